package dev.mixstream.streams;

import org.apache.kafka.common.config.ConfigDef;

import java.util.Locale;
import java.util.Map;

/**
 * The configuration reference tables of docs/CONFIGURATION.md, generated from the declaration
 * ({@link MixstreamConfig#DEFINITION}) and from the Kafka properties mixstream sets
 * ({@link MixstreamSettings#KAFKA_DEFAULTS}); a test fails when the page and these differ.
 */
public final class ConfigurationReference {
    /** Marks the start of the generated part of the page. */
    public static final String BEGIN = "<!-- generated from MixstreamConfig: do not edit by hand -->";
    /** Marks its end. */
    public static final String END = "<!-- end of generated part -->";

    /** What each Kafka property mixstream sets is for. */
    static final Map<String, String> KAFKA_MEANING = Map.of(
            "application.id", "Kafka Streams application id (consumer group, state and changelog names)",
            "processing.guarantee", "exactly_once_v2, or at_least_once",
            "producer.max.request.size", "largest record the application writes (model states, snapshots)",
            "topic.max.message.bytes", "record limit of the changelog topics Streams creates and of the snapshots topic",
            "session.timeout.ms", "a dead instance leaves the group after this (Kafka's default 45000)",
            "heartbeat.interval.ms", "at most a third of the session timeout",
            "num.standby.replicas", "warm copies of each task on other instances",
            "max.task.idle.ms", "process what is buffered without waiting for the other input topics' partitions "
                    + "(Kafka's default 0 formats a log line per record while one is empty)",
            "producer.compression.type", "compression of everything the application writes (outputs, snapshots, "
                    + "changelogs; Kafka's default none); consumers decompress transparently",
            "producer.batch.size", "bytes per producer batch and partition (Kafka's default 16384); each partition the "
                    + "instance writes holds one batch out of `producer.buffer.memory` (32 MiB by default)");

    private ConfigurationReference() {
    }

    /** The generated part: both tables, between {@link #BEGIN} and {@link #END}. */
    public static String generated() {
        StringBuilder b = new StringBuilder(BEGIN).append("\n\n");
        b.append("| key | default | values | environment variable | meaning |\n|---|---|---|---|---|\n");
        for (ConfigDef.ConfigKey k : MixstreamConfig.DEFINITION.configKeys().values()) {
            String def = MixstreamConfig.defaultText(k.name);
            b.append("| `").append(k.name).append("` | ").append(def == null ? "(not set)" : "`" + def + "`").append(" | ")
                    .append(values(k)).append(" | `").append(environmentVariable(k.name)).append("` | ")
                    .append(k.documentation).append(" |\n");
        }
        b.append("\nPer-key settings: each rule named in `").append(MixstreamConfig.MODEL_OVERRIDES_CONFIG)
                .append("` is set by these keys (`<rule>`: lower-case letters and digits); a setting a rule leaves out "
                        + "is the global one:\n\n");
        b.append("| key | meaning |\n|---|---|\n");
        for (ModelOverrides.Setting setting : ModelOverrides.Setting.values()) {
            b.append("| `").append(setting.key("<rule>")).append("` | ").append(setting.meaning()).append(" |\n");
        }
        b.append("\nKafka properties mixstream sets unless configured otherwise (any other Kafka Streams or client "
                + "property passes through unchanged):\n\n");
        b.append("| key | default | environment variable | meaning |\n|---|---|---|---|\n");
        MixstreamSettings.KAFKA_DEFAULTS.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e ->
                b.append("| `").append(e.getKey()).append("` | `").append(e.getValue()).append("` | `")
                        .append(environmentVariable(e.getKey())).append("` | ")
                        .append(KAFKA_MEANING.getOrDefault(e.getKey(), "")).append(" |\n"));
        return b.append('\n').append(END).toString();
    }

    /** {@code mixstream.foo.bar} → {@code MIXSTREAM_FOO_BAR}; Kafka's {@code foo.bar} → {@code MIXSTREAM_KAFKA_FOO_BAR}. */
    static String environmentVariable(String key) {
        String name = key.startsWith("mixstream.") ? key : "mixstream.kafka." + key;
        return name.toUpperCase(Locale.ROOT).replace('.', '_');
    }

    private static String values(ConfigDef.ConfigKey k) {
        if (k.validator instanceof ConfigDef.Range range) {
            // Kafka writes "[1,...,100]" and "[0,...]"
            String[] ends = range.toString().replaceAll("[\\[\\]]", "").split(",\\.\\.\\.,?");
            return ends.length == 1 || ends[1].isEmpty() ? "≥ " + ends[0] : ends[0] + " to " + ends[1];
        }
        if (k.validator != null) {
            return k.validator.toString();
        }
        return switch (k.type) {
            case BOOLEAN -> "true, false";
            case LONG, INT, SHORT -> "an integer";
            default -> k.type.name().toLowerCase(Locale.ROOT);
        };
    }
}
