package dev.mixstream.streams;

import static dev.mixstream.streams.MixstreamConfig.*;

import dev.mixstream.gmm.AnomalyPolicy;
import dev.mixstream.gmm.CovarianceType;
import dev.mixstream.gmm.InvalidMixtureConfigException;
import dev.mixstream.gmm.MixtureConfig;
import dev.mixstream.gmm.SettingText;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * The validated configuration of the streaming application. Keys starting with {@code mixstream.} are
 * ours (declared in {@link MixstreamConfig}); every other key is a Kafka Streams / client property passed
 * through unchanged.
 *
 * @param pointsTopic           input topic
 * @param responsibilitiesTopic per-point output topic
 * @param snapshotsTopic        compacted snapshot topic
 * @param dlqTopic              dead-letter topic
 * @param anomaliesTopic        topic of the flagged points' records, or null (off)
 * @param controlTopic          input topic of model commands (load, reset, delete), keyed by model id
 * @param modelTtl              idle models are removed after this long (stream time), or off
 * @param warmupMaxWait         a point waiting this long (stream time) in a warm-up is answered as warming up, or off
 * @param mixture               the engine configuration of new models (the global one; see {@link #mixtureFor})
 * @param overrides             per-key settings: the configuration of new models whose key matches a rule
 * @param anomaly               which points are flagged, and whether they are learned (all models)
 * @param output                what the responsibilities records carry (echoed x, digits of responsibilities)
 * @param snapshotEveryPoints   a snapshot of a model every this many of its points (0 = never)
 * @param snapshotIntervalMs    wall-clock interval of snapshots of models that changed (0 = never)
 * @param modelCacheSize        decoded models kept in memory per stream task, or 0: as many as the instance's
 *                              {@link ModelCacheBudget} from the heap allows
 * @param maxValueBytes         larger input values are dead letters (too_large)
 * @param maxDimension          longer vectors are dead letters (too_large)
 * @param dlqMaxValueBytes      dead-letter values are cut to this many bytes
 * @param createTopics          create missing topics at start
 * @param topicPartitions       partitions of created topics
 * @param topicReplicationFactor replication factor of created topics
 * @param statusIntervalMs      interval of the status log line of {@code run} (0 = never)
 * @param instanceId            this instance's static group member id: {@code auto} (kept in the state
 *                              directory), {@code none} (dynamic membership) or an id
 * @param http                  the HTTP API's settings
 * @param kafka                 Kafka Streams and client properties
 */
public record MixstreamSettings(
        String pointsTopic,
        String responsibilitiesTopic,
        String snapshotsTopic,
        String dlqTopic,
        String anomaliesTopic,
        String controlTopic,
        StreamDuration modelTtl,
        StreamDuration warmupMaxWait,
        MixtureConfig mixture,
        ModelOverrides overrides,
        AnomalyPolicy anomaly,
        OutputFormat output,
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
        HttpSettings http,
        Map<String, String> kafka) {

    /** Every {@code mixstream.*} key with its default as written in a properties file, in declaration order. */
    public static final Map<String, String> KEYS;

    static {
        Map<String, String> k = new LinkedHashMap<>();
        for (String key : MixstreamConfig.DEFINITION.configKeys().keySet()) { // a LinkedHashMap: declaration order
            k.put(key, MixstreamConfig.defaultText(key));
        }
        KEYS = java.util.Collections.unmodifiableMap(k);
    }

    /** Largest record mixstream lets Kafka write by default: a large model's state or snapshot exceeds 1 MiB. */
    public static final String MAX_RECORD_BYTES = "16777216";

    /**
     * Kafka properties set unless the configuration says otherwise. The record limits: a snapshot's covariances are
     * K·D² numbers (1.3 MB of JSON at K=16, D=64), beyond Kafka's default 1 MiB, and a running model's state K·(D² + D)
     * (0.54 MB there; a warming model's is a head and blocks of at most 32 points each), so the producer may send
     * 16 MiB and the changelog topics Streams creates accept it.
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
            StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, "1",
            // a task reads three topics (points, control, the rerouting topic), two of them mostly empty; with
            // any max.task.idle.ms >= 0 Kafka Streams 4.3 formats its "waiting for data" log lines with
            // String.format for every record while one of them is empty, logged or not (6 % of the stream
            // thread in a profile). -1 processes what is buffered; the order across topics was never finer
            // than that (README, "Order against the points").
            StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, "-1",
            // the JSON outputs, snapshots and states compress about 2×; on one machine, broker included, lz4 took
            // the estimator's CPU per record from 20.1–20.3 to 14.6–16.6 core-µs (docs/PERFORMANCE.md); every
            // Kafka client reads lz4 batches
            StreamsConfig.PRODUCER_PREFIX + "compression.type", "lz4",
            // one lz4 block per batch: Kafka's lz4 stream allocates two 64 KiB buffers per batch, which at Kafka's
            // 16 KiB batches was the largest allocation of the process with many keys; 64 KiB batches took 23–28 % off
            // the CPU per record at 16 and at 100 000 keys (docs/PERFORMANCE.md, "Producer batches of 64 KiB")
            StreamsConfig.PRODUCER_PREFIX + "batch.size", "65536");

    private static final Set<String> GUARANTEES = Set.of(StreamsConfig.EXACTLY_ONCE_V2, StreamsConfig.AT_LEAST_ONCE);

    /**
     * Parses and validates merged properties (defaults are filled in).
     *
     * @throws IllegalArgumentException naming the offending key
     */
    public static MixstreamSettings from(Map<String, String> properties) {
        Map<String, String> p = new LinkedHashMap<>(KEYS);
        Map<String, String> kafka = new TreeMap<>(KAFKA_DEFAULTS);
        Map<String, String> rules = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : properties.entrySet()) {
            String key = e.getKey().trim();
            String value = e.getValue() == null ? "" : e.getValue().trim();
            if (ModelOverrides.isRuleKey(key)) {
                rules.put(key, value);
            } else if (key.startsWith("mixstream.")) {
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
        Map<String, Object> v;
        try {
            v = MixstreamConfig.DEFINITION.parse(p);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        MixtureConfig mixture = mixture(v);
        checkWarmup(WARMUP_CONFIG, mixture, null);
        @SuppressWarnings("unchecked")
        ModelOverrides overrides = ModelOverrides.parse((java.util.List<String>) v.get(MODEL_OVERRIDES_CONFIG), rules,
                mixture, Double.isNaN(SettingText.minWeight((String) v.get(MIN_WEIGHT_CONFIG))));
        for (ModelOverrides.Rule r : overrides.rules()) {
            checkWarmup(r.set().contains(ModelOverrides.Setting.WARMUP) ? ModelOverrides.Setting.WARMUP.key(r.name())
                    : WARMUP_CONFIG, r.config(), r);
        }
        MixstreamSettings s = new MixstreamSettings(
                (String) v.get(POINTS_TOPIC_CONFIG), (String) v.get(RESPONSIBILITIES_TOPIC_CONFIG),
                (String) v.get(SNAPSHOTS_TOPIC_CONFIG), (String) v.get(DLQ_TOPIC_CONFIG),
                SettingText.NONE.equalsIgnoreCase((String) v.get(ANOMALIES_TOPIC_CONFIG)) ? null : (String) v.get(ANOMALIES_TOPIC_CONFIG),
                (String) v.get(CONTROL_TOPIC_CONFIG), StreamDuration.parse((String) v.get(MODEL_TTL_CONFIG)),
                StreamDuration.parse((String) v.get(WARMUP_MAX_WAIT_CONFIG)),
                mixture, overrides,
                new AnomalyPolicy((Double) v.get(ANOMALY_ALPHA_CONFIG), (Boolean) v.get(ANOMALY_LEARN_CONFIG)),
                new OutputFormat((Boolean) v.get(OUTPUT_X_CONFIG),
                        OutputFormat.parseDigits((String) v.get(OUTPUT_DIGITS_CONFIG))),
                (Long) v.get(SNAPSHOT_EVERY_POINTS_CONFIG),
                (Long) v.get(SNAPSHOT_INTERVAL_MS_CONFIG),
                ModelCacheBudget.parseSize((String) v.get(MODEL_CACHE_SIZE_CONFIG)),
                (Integer) v.get(MAX_VALUE_BYTES_CONFIG),
                (Integer) v.get(MAX_DIMENSION_CONFIG),
                (Integer) v.get(DLQ_MAX_VALUE_BYTES_CONFIG),
                (Boolean) v.get(TOPICS_CREATE_CONFIG),
                (Integer) v.get(TOPICS_PARTITIONS_CONFIG),
                (Short) v.get(TOPICS_REPLICATION_FACTOR_CONFIG),
                (Long) v.get(STATUS_INTERVAL_MS_CONFIG),
                (String) v.get(INSTANCE_ID_CONFIG),
                new HttpSettings(HttpSettings.port((String) v.get(HTTP_PORT_CONFIG)), (String) v.get(HTTP_HOST_CONFIG),
                        (String) v.get(HTTP_ADVERTISED_HOST_CONFIG),
                        v.get(HTTP_AUTH_TOKEN_CONFIG) == null ? null
                                : ((org.apache.kafka.common.config.types.Password) v.get(HTTP_AUTH_TOKEN_CONFIG)).value(),
                        (Integer) v.get(HTTP_MAX_BODY_BYTES_CONFIG), (Integer) v.get(DASHBOARD_RECENT_POINTS_CONFIG),
                        (Integer) v.get(DASHBOARD_RECENT_MODELS_CONFIG)),
                java.util.Collections.unmodifiableMap(kafka));
        if (new java.util.HashSet<>(s.topics()).size() != s.topics().size()) {
            throw new IllegalArgumentException("mixstream.topic.* must name " + s.topics().size() + " different topics");
        }
        return s;
    }

    /**
     * The engine configuration of new models. Each value is in its declared range already; what is left are the
     * engine's constraints between values (warm-up ≥ K, min weight &lt; 1/K), reported under the key's name.
     */
    private static MixtureConfig mixture(Map<String, Object> v) {
        int k = SettingText.components((String) v.get(COMPONENTS_CONFIG));
        int max = k == MixtureConfig.AUTO_COMPONENTS ? (Integer) v.get(MAX_COMPONENTS_CONFIG) : 0;
        double minWeight = SettingText.minWeight((String) v.get(MIN_WEIGHT_CONFIG));
        try {
            return new MixtureConfig(k, CovarianceType.parse((String) v.get(COVARIANCE_TYPE_CONFIG)),
                    (Double) v.get(REG_COVAR_CONFIG), SettingText.halfLife((String) v.get(HALF_LIFE_CONFIG)),
                    (Double) v.get(STEP_EXPONENT_CONFIG), (Integer) v.get(BATCH_SIZE_CONFIG),
                    SettingText.warmup((String) v.get(WARMUP_CONFIG)), (Integer) v.get(INIT_ITERATIONS_CONFIG),
                    Double.isNaN(minWeight) ? MixtureConfig.defaultMinWeight(Math.max(k, max)) : minWeight,
                    (Long) v.get(SEED_CONFIG), max);
        } catch (InvalidMixtureConfigException e) {
            throw new IllegalArgumentException(MixstreamConfig.KEY_OF.get(e.parameter()) + " " + e.problem(), e);
        }
    }

    /**
     * Refuses an explicit warm-up below {@link MixtureConfig#safeWarmup} for the smallest D (1): the dimension of a
     * model is known only at its first point, so larger D are checked there (the processor warns).
     */
    private static void checkWarmup(String key, MixtureConfig c, ModelOverrides.Rule rule) {
        int least = c.safeWarmup(1);
        if (c.warmup() != 0 && c.warmup() < least) {
            throw new IllegalArgumentException(key + "=" + c.warmup() + (rule == null ? "" : " (rule " + rule.name()
                    + ")") + " is below the safe minimum for K=" + SettingText.components(c.components()) + " "
                    + c.covarianceType().wireName()
                    + ": " + least + " points at D=1 (" + MixtureConfig.safeWarmupFormula(c.covarianceType())
                    + " for D dimensions); a shorter warm-up collapses components onto a "
                    + "few points. Set it to at least " + least + ", or auto");
        }
    }

    /** The configuration a new model with this key starts with: its rule's ({@code mixstream.model.overrides}) or the global one. */
    public MixtureConfig mixtureFor(String model) {
        return overrides.configFor(model);
    }

    /** Whether a {@code mixstream.*} key is one of the settings (declared, or a per-key rule's). */
    public static boolean isKnownKey(String key) {
        return KEYS.containsKey(key) || ModelOverrides.isRuleKey(key);
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

    /**
     * Checks that {@code bootstrap.servers} is set.
     *
     * @throws IllegalArgumentException saying where to set it
     */
    public void requireBootstrapServers() {
        if (bootstrapServers() == null || bootstrapServers().isBlank()) {
            throw new IllegalArgumentException("bootstrap.servers is not set (use --bootstrap-servers, "
                    + "MIXSTREAM_KAFKA_BOOTSTRAP_SERVERS or the configuration file)");
        }
    }

    /** Every topic the application reads or writes (not its internal ones): points first, then control. */
    public java.util.List<String> topics() {
        java.util.List<String> all = new java.util.ArrayList<>(java.util.List.of(pointsTopic, controlTopic));
        all.addAll(outputTopics());
        return all;
    }

    /** The topics the application writes: responsibilities, snapshots, dead letters, and anomalies if set. */
    public java.util.List<String> outputTopics() {
        java.util.List<String> out = new java.util.ArrayList<>(java.util.List.of(responsibilitiesTopic,
                snapshotsTopic, dlqTopic));
        if (anomaliesTopic != null) {
            out.add(anomaliesTopic);
        }
        return out;
    }

    /** The same settings with other HTTP settings. */
    public MixstreamSettings withHttp(HttpSettings h) {
        return new MixstreamSettings(pointsTopic, responsibilitiesTopic, snapshotsTopic, dlqTopic, anomaliesTopic,
                controlTopic, modelTtl, warmupMaxWait, mixture, overrides, anomaly, output, snapshotEveryPoints, snapshotIntervalMs, modelCacheSize, maxValueBytes, maxDimension,
                dlqMaxValueBytes, createTopics, topicPartitions, topicReplicationFactor, statusIntervalMs, instanceId,
                h, kafka);
    }

    /** {@code bootstrap.servers}, or null. */
    public String bootstrapServers() {
        return kafka.get("bootstrap.servers");
    }
}
