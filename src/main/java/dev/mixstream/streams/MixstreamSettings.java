package dev.mixstream.streams;

import dev.mixstream.gmm.CovarianceType;
import dev.mixstream.gmm.MixtureConfig;
import org.apache.kafka.streams.StreamsConfig;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * The validated configuration of the streaming application. Keys starting with {@code mixstream.} are
 * ours (listed in {@link #KEYS} with their defaults); every other key is a Kafka Streams / client
 * property passed through unchanged.
 *
 * @param pointsTopic           input topic
 * @param responsibilitiesTopic per-point output topic
 * @param snapshotsTopic        compacted snapshot topic
 * @param dlqTopic              dead-letter topic
 * @param mixture               the engine configuration of new models
 * @param snapshotEveryPoints   a snapshot of a model every this many of its points (0 = never)
 * @param snapshotIntervalMs    wall-clock interval of snapshots of models that changed (0 = never)
 * @param modelCacheSize        decoded models kept in memory per stream task
 * @param maxValueBytes         larger input values are dead letters (too_large)
 * @param maxDimension          longer vectors are dead letters (too_large)
 * @param dlqMaxValueBytes      dead-letter values are cut to this many bytes
 * @param createTopics          create missing topics at start
 * @param topicPartitions       partitions of created topics
 * @param topicReplicationFactor replication factor of created topics
 * @param statusIntervalMs      interval of the status log line of {@code run} (0 = never)
 * @param instanceId            this instance's static group member id: {@code auto} (kept in the state
 *                              directory), {@code none} (dynamic membership) or an id
 * @param kafka                 Kafka Streams and client properties
 */
public record MixstreamSettings(
        String pointsTopic,
        String responsibilitiesTopic,
        String snapshotsTopic,
        String dlqTopic,
        MixtureConfig mixture,
        long snapshotEveryPoints,
        long snapshotIntervalMs,
        int modelCacheSize,
        int maxValueBytes,
        int maxDimension,
        int dlqMaxValueBytes,
        boolean createTopics,
        int topicPartitions,
        short topicReplicationFactor,
        long statusIntervalMs,
        String instanceId,
        Map<String, String> kafka) {

    /** Every {@code mixstream.*} key with its default. */
    public static final Map<String, String> KEYS;

    static {
        Map<String, String> k = new LinkedHashMap<>();
        k.put("mixstream.topic.points", "mixstream.points");
        k.put("mixstream.topic.responsibilities", "mixstream.responsibilities");
        k.put("mixstream.topic.snapshots", "mixstream.snapshots");
        k.put("mixstream.topic.dlq", "mixstream.dlq");
        k.put("mixstream.components", "3");
        k.put("mixstream.covariance.type", "full");
        k.put("mixstream.reg.covar", Double.toString(MixtureConfig.DEFAULT_REG_COVAR));
        k.put("mixstream.half.life", "10000");
        k.put("mixstream.step.exponent", "1.0");
        k.put("mixstream.batch.size", "1");
        k.put("mixstream.warmup", "auto");
        k.put("mixstream.init.iterations", Integer.toString(MixtureConfig.DEFAULT_INIT_ITERATIONS));
        k.put("mixstream.min.weight", "auto");
        k.put("mixstream.seed", Long.toString(MixtureConfig.DEFAULT_SEED));
        k.put("mixstream.snapshot.every.points", "1000");
        k.put("mixstream.snapshot.interval.ms", "10000");
        k.put("mixstream.model.cache.size", "10000");
        k.put("mixstream.max.value.bytes", "1048576");
        k.put("mixstream.max.dimension", "4096");
        k.put("mixstream.dlq.max.value.bytes", "65536");
        k.put("mixstream.topics.create", "true");
        k.put("mixstream.topics.partitions", "4");
        k.put("mixstream.topics.replication.factor", "1");
        k.put("mixstream.status.interval.ms", "30000");
        k.put("mixstream.instance.id", InstanceIdentity.AUTO);
        KEYS = java.util.Collections.unmodifiableMap(k);
    }

    /** Largest record mixstream lets Kafka write by default: a large model's state or snapshot exceeds 1 MiB. */
    public static final String MAX_RECORD_BYTES = "16777216";

    /**
     * Kafka properties set unless the configuration says otherwise. The record limits: a model's stored state
     * holds its warm-up buffer (5.4 MB at K=16, D=64) and a snapshot's covariances K·D² numbers, both beyond
     * Kafka's default 1 MiB, so the producer may send 16 MiB and the changelog topics Streams creates accept it.
     */
    public static final Map<String, String> KAFKA_DEFAULTS = Map.of(
            StreamsConfig.APPLICATION_ID_CONFIG, "mixstream",
            StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2,
            StreamsConfig.PRODUCER_PREFIX + "max.request.size", MAX_RECORD_BYTES,
            StreamsConfig.TOPIC_PREFIX + "max.message.bytes", MAX_RECORD_BYTES,
            // recovery in seconds (README "Operations"): a dead instance leaves the group after 6 s (the
            // broker's minimum; Kafka's default is 45 s), and its tasks have a warm copy on another instance
            "session.timeout.ms", "6000",
            "heartbeat.interval.ms", "1500",
            StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, "1");

    private static final Set<String> GUARANTEES = Set.of(StreamsConfig.EXACTLY_ONCE_V2, StreamsConfig.AT_LEAST_ONCE);

    /**
     * Parses and validates merged properties (defaults are filled in).
     *
     * @throws IllegalArgumentException naming the offending key
     */
    public static MixstreamSettings from(Map<String, String> properties) {
        Map<String, String> p = new LinkedHashMap<>(KEYS);
        Map<String, String> kafka = new TreeMap<>(KAFKA_DEFAULTS);
        for (Map.Entry<String, String> e : properties.entrySet()) {
            String key = e.getKey().trim();
            String value = e.getValue() == null ? "" : e.getValue().trim();
            if (key.startsWith("mixstream.")) {
                if (!KEYS.containsKey(key)) {
                    throw new IllegalArgumentException("unknown configuration key " + key
                            + " (known: " + String.join(", ", KEYS.keySet()) + ")");
                }
                p.put(key, value);
            } else if (!key.isEmpty()) {
                kafka.put(key, value);
            }
        }
        String guarantee = kafka.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG);
        if (!GUARANTEES.contains(guarantee)) {
            throw new IllegalArgumentException(StreamsConfig.PROCESSING_GUARANTEE_CONFIG + " must be "
                    + StreamsConfig.EXACTLY_ONCE_V2 + " or " + StreamsConfig.AT_LEAST_ONCE + ", got '" + guarantee + "'");
        }
        int k = intValue(p, "mixstream.components", 1, MixtureConfig.MAX_COMPONENTS);
        MixtureConfig mixture;
        try {
            MixtureConfig base = MixtureConfig.defaults(k, covarianceType(p));
            mixture = base
                    .withRegCovar(doubleValue(p, "mixstream.reg.covar"))
                    .withHalfLife(noneOrDouble(p, "mixstream.half.life"))
                    .withStepExponent(doubleValue(p, "mixstream.step.exponent"))
                    .withBatchSize(intValue(p, "mixstream.batch.size", 1, 1_000_000))
                    .withWarmup(autoOrInt(p, "mixstream.warmup"))
                    .withInitIterations(intValue(p, "mixstream.init.iterations", 1, 1_000_000))
                    .withSeed(longValue(p, "mixstream.seed"));
            String minWeight = p.get("mixstream.min.weight");
            if (!"auto".equalsIgnoreCase(minWeight)) {
                mixture = mixture.withMinWeight(doubleValue(p, "mixstream.min.weight"));
            }
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("mixstream.")) {
                throw e;
            }
            throw new IllegalArgumentException("invalid model configuration: " + e.getMessage()
                    .replace("reg_covar", "mixstream.reg.covar").replace("half_life", "mixstream.half.life")
                    .replace("step_exponent", "mixstream.step.exponent").replace("batch_size", "mixstream.batch.size")
                    .replace("min_weight", "mixstream.min.weight").replace("warmup", "mixstream.warmup")
                    .replace("init_iterations", "mixstream.init.iterations"), e);
        }
        MixstreamSettings s = new MixstreamSettings(
                topic(p, "mixstream.topic.points"), topic(p, "mixstream.topic.responsibilities"),
                topic(p, "mixstream.topic.snapshots"), topic(p, "mixstream.topic.dlq"),
                mixture,
                longValue(p, "mixstream.snapshot.every.points", 0, Long.MAX_VALUE),
                longValue(p, "mixstream.snapshot.interval.ms", 0, Long.MAX_VALUE),
                intValue(p, "mixstream.model.cache.size", 1, 100_000_000),
                intValue(p, "mixstream.max.value.bytes", 1, Integer.MAX_VALUE),
                intValue(p, "mixstream.max.dimension", 1, 1_000_000),
                intValue(p, "mixstream.dlq.max.value.bytes", 0, Integer.MAX_VALUE),
                booleanValue(p, "mixstream.topics.create"),
                intValue(p, "mixstream.topics.partitions", 1, 100_000),
                (short) intValue(p, "mixstream.topics.replication.factor", 1, Short.MAX_VALUE),
                longValue(p, "mixstream.status.interval.ms", 0, Long.MAX_VALUE),
                InstanceIdentity.validate(p.get("mixstream.instance.id")),
                java.util.Collections.unmodifiableMap(kafka));
        Set<String> topics = new java.util.HashSet<>(java.util.List.of(s.pointsTopic, s.responsibilitiesTopic,
                s.snapshotsTopic, s.dlqTopic));
        if (topics.size() != 4) {
            throw new IllegalArgumentException("mixstream.topic.* must name four different topics");
        }
        return s;
    }

    /** The properties for KafkaStreams: the Kafka pass-through plus our handler and its settings. */
    public Properties streamsProperties() {
        Properties props = new Properties();
        props.putAll(kafka);
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterProcessingHandler.class.getName());
        props.putIfAbsent(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, "true");
        props.put(DeadLetterProcessingHandler.DLQ_TOPIC_CONFIG, dlqTopic);
        props.put(DeadLetterProcessingHandler.POINTS_TOPIC_CONFIG, pointsTopic);
        props.put(DeadLetterProcessingHandler.DLQ_MAX_VALUE_BYTES_CONFIG, Integer.toString(dlqMaxValueBytes));
        return props;
    }

    /** {@code bootstrap.servers}, or null. */
    public String bootstrapServers() {
        return kafka.get("bootstrap.servers");
    }

    private static String topic(Map<String, String> p, String key) {
        String v = p.get(key);
        if (v.isEmpty() || !v.matches("[a-zA-Z0-9._-]{1,249}")) {
            throw new IllegalArgumentException(key + " is not a valid topic name: '" + v + "'");
        }
        return v;
    }

    private static CovarianceType covarianceType(Map<String, String> p) {
        try {
            return CovarianceType.parse(p.get("mixstream.covariance.type"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("mixstream.covariance.type: " + e.getMessage(), e);
        }
    }

    private static double doubleValue(Map<String, String> p, String key) {
        String v = p.get(key);
        try {
            double d = Double.parseDouble(v);
            if (!Double.isFinite(d)) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a finite number, got '" + v + "'");
        }
    }

    private static double noneOrDouble(Map<String, String> p, String key) {
        return "none".equalsIgnoreCase(p.get(key)) ? Double.POSITIVE_INFINITY : doubleValue(p, key);
    }

    private static int autoOrInt(Map<String, String> p, String key) {
        return "auto".equalsIgnoreCase(p.get(key)) ? 0 : intValue(p, key, 1, 10_000_000);
    }

    private static long longValue(Map<String, String> p, String key) {
        return longValue(p, key, Long.MIN_VALUE, Long.MAX_VALUE);
    }

    private static long longValue(Map<String, String> p, String key, long min, long max) {
        String v = p.get(key);
        long x;
        try {
            x = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + v + "'");
        }
        if (x < min || x > max) {
            throw new IllegalArgumentException(key + " must be in [" + min + ", " + max + "], got " + x);
        }
        return x;
    }

    private static int intValue(Map<String, String> p, String key, int min, int max) {
        return (int) longValue(p, key, min, max);
    }

    private static boolean booleanValue(Map<String, String> p, String key) {
        String v = p.get(key).toLowerCase(Locale.ROOT);
        if (!v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException(key + " must be true or false, got '" + p.get(key) + "'");
        }
        return Boolean.parseBoolean(v);
    }
}
