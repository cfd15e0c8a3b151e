package dev.mixstream.streams;

import dev.mixstream.gmm.AnomalyPolicy;
import dev.mixstream.gmm.CovarianceType;
import dev.mixstream.gmm.MixtureConfig;
import dev.mixstream.gmm.MixtureParameter;
import dev.mixstream.gmm.SettingText;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

import java.util.Map;

/**
 * Every {@code mixstream.*} setting, declared once: name, type, default, validator and documentation, as
 * Kafka declares its own ({@link ConfigDef}). {@link MixstreamSettings} parses with it, the CLI takes its
 * defaults from it, and the configuration reference (docs/CONFIGURATION.md) is generated from it.
 */
public final class MixstreamConfig {
    public static final String POINTS_TOPIC_CONFIG = "mixstream.topic.points";
    public static final String RESPONSIBILITIES_TOPIC_CONFIG = "mixstream.topic.responsibilities";
    public static final String SNAPSHOTS_TOPIC_CONFIG = "mixstream.topic.snapshots";
    public static final String DLQ_TOPIC_CONFIG = "mixstream.topic.dlq";
    public static final String ANOMALIES_TOPIC_CONFIG = "mixstream.topic.anomalies";
    public static final String CONTROL_TOPIC_CONFIG = "mixstream.topic.control";
    public static final String MODEL_TTL_CONFIG = "mixstream.model.ttl";
    public static final String MODEL_OVERRIDES_CONFIG = "mixstream.model.overrides";
    public static final String TOPICS_CREATE_CONFIG = "mixstream.topics.create";
    public static final String TOPICS_PARTITIONS_CONFIG = "mixstream.topics.partitions";
    public static final String TOPICS_REPLICATION_FACTOR_CONFIG = "mixstream.topics.replication.factor";
    public static final String COMPONENTS_CONFIG = "mixstream.components";
    public static final String MAX_COMPONENTS_CONFIG = "mixstream.max.components";
    public static final String COVARIANCE_TYPE_CONFIG = "mixstream.covariance.type";
    public static final String REG_COVAR_CONFIG = "mixstream.reg.covar";
    public static final String HALF_LIFE_CONFIG = "mixstream.half.life";
    public static final String STEP_EXPONENT_CONFIG = "mixstream.step.exponent";
    public static final String BATCH_SIZE_CONFIG = "mixstream.batch.size";
    public static final String WARMUP_CONFIG = "mixstream.warmup";
    public static final String WARMUP_MAX_WAIT_CONFIG = "mixstream.warmup.max.wait";
    public static final String INIT_ITERATIONS_CONFIG = "mixstream.init.iterations";
    public static final String MIN_WEIGHT_CONFIG = "mixstream.min.weight";
    public static final String SEED_CONFIG = "mixstream.seed";
    public static final String ANOMALY_ALPHA_CONFIG = "mixstream.anomaly.alpha";
    public static final String ANOMALY_LEARN_CONFIG = "mixstream.anomaly.learn";
    public static final String OUTPUT_X_CONFIG = "mixstream.output.x";
    public static final String OUTPUT_DIGITS_CONFIG = "mixstream.output.responsibility.digits";
    public static final String SNAPSHOT_EVERY_POINTS_CONFIG = "mixstream.snapshot.every.points";
    public static final String SNAPSHOT_INTERVAL_MS_CONFIG = "mixstream.snapshot.interval.ms";
    public static final String MODEL_CACHE_SIZE_CONFIG = "mixstream.model.cache.size";
    public static final String MAX_VALUE_BYTES_CONFIG = "mixstream.max.value.bytes";
    public static final String MAX_DIMENSION_CONFIG = "mixstream.max.dimension";
    public static final String DLQ_MAX_VALUE_BYTES_CONFIG = "mixstream.dlq.max.value.bytes";
    public static final String STATUS_INTERVAL_MS_CONFIG = "mixstream.status.interval.ms";
    public static final String INSTANCE_ID_CONFIG = "mixstream.instance.id";
    public static final String HTTP_PORT_CONFIG = "mixstream.http.port";
    public static final String HTTP_HOST_CONFIG = "mixstream.http.host";
    public static final String HTTP_ADVERTISED_HOST_CONFIG = "mixstream.http.advertised.host";
    public static final String HTTP_AUTH_TOKEN_CONFIG = "mixstream.http.auth.token";
    public static final String HTTP_MAX_BODY_BYTES_CONFIG = "mixstream.http.max.body.bytes";
    public static final String DASHBOARD_RECENT_POINTS_CONFIG = "mixstream.dashboard.recent.points";
    public static final String DASHBOARD_RECENT_MODELS_CONFIG = "mixstream.dashboard.recent.models";

    private static final Checked TOPIC_NAME = new Checked("a topic name", v -> {
        if (v == null || !v.matches("[a-zA-Z0-9._-]{1,249}")) {
            throw new IllegalArgumentException("not a valid topic name (letters, digits, '.', '_', '-')");
        }
    });
    private static final Checked OPTIONAL_TOPIC_NAME = new Checked("a topic name, or none (off)", v -> {
        if (!SettingText.NONE.equalsIgnoreCase(v)) {
            TOPIC_NAME.check().accept(v);
        }
    });
    private static final Checked COVARIANCE_NAME = new Checked("full, diag or spherical", CovarianceType::parse);
    private static final Checked HALF_LIFE = new Checked("a number ≥ 1, or none", v -> {
        if (!(SettingText.halfLife(v) >= 1)) {
            throw new IllegalArgumentException("must be >= 1 point or none");
        }
    });
    private static final Checked COMPONENTS = new Checked("an integer in [1, " + MixtureConfig.MAX_COMPONENTS
            + "], or auto", SettingText::components);
    private static final Checked WARMUP = new Checked("an integer ≥ K, or auto", v -> {
        int w = SettingText.warmup(v);
        if (w < 0 || w > 10_000_000) {
            throw new IllegalArgumentException("must be auto or in [1, 10000000]");
        }
    });
    private static final Checked MIN_WEIGHT = new Checked("a number in (0, 1/K), or auto", v -> {
        double w = SettingText.minWeight(v);
        if (!Double.isNaN(w) && !(w > 0 && w < 1)) {
            throw new IllegalArgumentException("must be auto or in (0, 1/K)");
        }
    });
    private static final Checked HTTP_PORT = new Checked("a port in [0, 65535] (0 = any free port), or none (off)",
            v -> HttpSettings.port(v));
    private static final Checked CACHE_SIZE = new Checked("auto, or an integer >= 1", ModelCacheBudget::parseSize);
    private static final Checked DIGITS = new Checked("all, or an integer in [1, 15]", OutputFormat::parseDigits);
    private static final Checked INSTANCE_ID = new Checked("auto, none or an id", InstanceIdentity::validate);
    private static final Checked DURATION = new Checked("none, or a duration such as 7d, 12h, 30m, 90s",
            StreamDuration::parse);

    /** The declaration. */
    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(POINTS_TOPIC_CONFIG, Type.STRING, "mixstream.points", TOPIC_NAME, Importance.HIGH,
                    "Input topic: one point per record, keyed by model id.")
            .define(RESPONSIBILITIES_TOPIC_CONFIG, Type.STRING, "mixstream.responsibilities", TOPIC_NAME,
                    Importance.HIGH, "Per-point output: responsibilities, component and log-likelihood.")
            .define(SNAPSHOTS_TOPIC_CONFIG, Type.STRING, "mixstream.snapshots", TOPIC_NAME, Importance.HIGH,
                    "Parameter snapshots of each model (compacted).")
            .define(DLQ_TOPIC_CONFIG, Type.STRING, "mixstream.dlq", TOPIC_NAME, Importance.HIGH,
                    "Dead-letter topic: records that cannot be used, with the reason in headers.")
            .define(CONTROL_TOPIC_CONFIG, Type.STRING, "mixstream.control", TOPIC_NAME, Importance.MEDIUM,
                    "Input topic of model commands, keyed by model id: {\"op\":\"load\",\"snapshot\":{...}}, "
                            + "{\"op\":\"reset\"}, {\"op\":\"delete\"} (README \"Model lifecycle\").")
            .define(MODEL_TTL_CONFIG, Type.STRING, SettingText.NONE, DURATION, Importance.MEDIUM,
                    "Remove a model that received no point for this long (stream time: record timestamps), with a "
                            + "tombstone on the snapshots topic; none = never.")
            .define(MODEL_OVERRIDES_CONFIG, Type.LIST, "", Importance.MEDIUM,
                    "Per-key settings: the names of the rules, tried in this order; each rule is set by "
                            + "mixstream.model.override.<rule>.* (keys, and any of components, covariance.type, "
                            + "half.life, warmup, min.weight: see \"Per-key settings\" below). A new model takes the "
                            + "first matching rule's settings and keeps them until it is reset.")
            .define(ANOMALIES_TOPIC_CONFIG, Type.STRING, SettingText.NONE, OPTIONAL_TOPIC_NAME, Importance.MEDIUM,
                    "A copy of every flagged point's responsibilities record, for alerting consumers that want only "
                            + "anomalies; none = off.")
            .define(TOPICS_CREATE_CONFIG, Type.BOOLEAN, true, Importance.MEDIUM,
                    "Create missing topics at start (the snapshots topic with cleanup.policy=compact).")
            .define(TOPICS_PARTITIONS_CONFIG, Type.INT, 4, Range.between(1, 100_000), Importance.MEDIUM,
                    "Partitions of created topics.")
            .define(TOPICS_REPLICATION_FACTOR_CONFIG, Type.SHORT, (short) 1, Range.between(1, Short.MAX_VALUE),
                    Importance.MEDIUM, "Replication factor of created topics.")
            .define(COMPONENTS_CONFIG, Type.STRING, MixtureConfig.defaultText(MixtureParameter.COMPONENTS),
                    COMPONENTS, Importance.HIGH,
                    "K, the number of Gaussian components (n_components); auto: each model chooses its own K, up to "
                            + "mixstream.max.components, and changes it as its data change (components are born, "
                            + "split, merged and die; see docs/ESTIMATOR.md).")
            .define(MAX_COMPONENTS_CONFIG, Type.INT, MixtureConfig.DEFAULT_MAX_COMPONENTS,
                    Range.between(1, MixtureConfig.MAX_COMPONENTS), Importance.MEDIUM,
                    "The largest K of a model when mixstream.components=auto (max_components); ignored otherwise.")
            .define(COVARIANCE_TYPE_CONFIG, Type.STRING, CovarianceType.FULL.wireName(),
                    COVARIANCE_NAME, Importance.HIGH, "Shape of the covariances (covariance_type).")
            .define(REG_COVAR_CONFIG, Type.DOUBLE, MixtureConfig.DEFAULT_REG_COVAR, PositiveNumber.INSTANCE,
                    Importance.MEDIUM, "Covariance floor added to every diagonal at each M-step (reg_covar).")
            .define(HALF_LIFE_CONFIG, Type.STRING, SettingText.halfLife(MixtureConfig.DEFAULT_HALF_LIFE),
                    HALF_LIFE, Importance.HIGH, "Half-life of the statistics in points, or none to never forget.")
            .define(STEP_EXPONENT_CONFIG, Type.DOUBLE, MixtureConfig.DEFAULT_STEP_EXPONENT, StepExponent.INSTANCE,
                    Importance.LOW, "α of the step size max((n + 2)^-α, η_min).")
            .define(BATCH_SIZE_CONFIG, Type.INT, MixtureConfig.DEFAULT_BATCH_SIZE, Range.between(1, 1_000_000),
                    Importance.LOW, "Points per stepwise-EM step (mini-batch).")
            .define(WARMUP_CONFIG, Type.STRING, SettingText.AUTO, WARMUP, Importance.MEDIUM,
                    "W, points buffered before a model is initialised by EM, or auto = max(100, 10·K·(D+1)).")
            .define(WARMUP_MAX_WAIT_CONFIG, Type.STRING, "60s", DURATION, Importance.MEDIUM,
                    "A point that has waited this long (stream time) in its model's warm-up is answered at once with "
                            + "a {\"status\":\"warming_up\"} record instead of responsibilities, so a key that sends "
                            + "fewer than W points still gets its answers; every point is answered once. none = wait "
                            + "for the warm-up's end.")
            .define(INIT_ITERATIONS_CONFIG, Type.INT, MixtureConfig.DEFAULT_INIT_ITERATIONS,
                    Range.between(1, 1_000_000), Importance.LOW, "EM iterations at initialisation and re-fits.")
            .define(MIN_WEIGHT_CONFIG, Type.STRING, SettingText.AUTO, MIN_WEIGHT, Importance.MEDIUM,
                    "Starvation threshold on a component's recent share of responsibility (triggers a re-fit), "
                            + "or auto = min(0.005, 0.1/K).")
            .define(SEED_CONFIG, Type.LONG, MixtureConfig.DEFAULT_SEED, Importance.LOW,
                    "Seed of the k-means++ initialisation (the only randomness).")
            .define(ANOMALY_ALPHA_CONFIG, Type.DOUBLE, AnomalyPolicy.DEFAULT_ALPHA, OpenUnitInterval.INSTANCE,
                    Importance.HIGH, "α: a point is flagged (anomaly = true) when its anomaly_score ≥ 1 − α, i.e. when "
                            + "at most a fraction α of the model's own points are as unlikely.")
            .define(ANOMALY_LEARN_CONFIG, Type.BOOLEAN, true, Importance.MEDIUM,
                    "Learn from flagged points; false answers them without learning them (a burst of outliers "
                            + "cannot drag the model; a lasting jump of the data still triggers a re-fit).")
            .define(OUTPUT_X_CONFIG, Type.BOOLEAN, true, Importance.MEDIUM,
                    "Whether responsibilities records echo the point's coordinates (\"x\"). Records without them are "
                            + "about half as long; the input's id, ts, partition and offset still identify the point.")
            .define(OUTPUT_DIGITS_CONFIG, Type.STRING, OutputFormat.ALL, DIGITS, Importance.MEDIUM,
                    "Significant digits of each responsibility in responsibilities records: all (the shortest text "
                            + "that reads back as the exact double) or 1 to 15 (rounded; the rounded values need not "
                            + "sum to exactly 1). Log-likelihoods and anomaly scores are always written in full.")
            .define(SNAPSHOT_EVERY_POINTS_CONFIG, Type.LONG, 1000L, Range.atLeast(0), Importance.MEDIUM,
                    "A snapshot of a model every N of its points, and at initialisation (0 = never).")
            .define(SNAPSHOT_INTERVAL_MS_CONFIG, Type.LONG, 10_000L, Range.atLeast(0), Importance.MEDIUM,
                    "A model that changed is snapshotted within this wall-clock interval, at most once per interval; "
                            + "each model has its tenth of the interval (by its key's hash), so the snapshots of many "
                            + "models are spread evenly over it (0 = never).")
            .define(MODEL_CACHE_SIZE_CONFIG, Type.STRING, ModelCacheBudget.AUTO, CACHE_SIZE, Importance.LOW,
                    "Decoded models kept in memory: auto (as many as fit in 30 % of the maximum heap, all tasks of the "
                            + "instance together, a model counted at three times its stored size) or a number per stream "
                            + "task. An updated model is encoded into the store at the next commit, or when it is "
                            + "dropped from memory.")
            .define(MAX_VALUE_BYTES_CONFIG, Type.INT, 1_048_576, Range.atLeast(1), Importance.LOW,
                    "Larger input values are dead letters (too_large).")
            .define(MAX_DIMENSION_CONFIG, Type.INT, 4096, Range.between(1, 1_000_000), Importance.LOW,
                    "Longer vectors are dead letters (too_large).")
            .define(DLQ_MAX_VALUE_BYTES_CONFIG, Type.INT, 65_536, Range.atLeast(0), Importance.LOW,
                    "Dead-letter values are cut to this many bytes (header mixstream.value.truncated = original size).")
            .define(STATUS_INTERVAL_MS_CONFIG, Type.LONG, 30_000L, Range.atLeast(0), Importance.LOW,
                    "Interval of the one-line status log of run (0 = never).")
            .define(INSTANCE_ID_CONFIG, Type.STRING, InstanceIdentity.AUTO, INSTANCE_ID,
                    Importance.MEDIUM, "Static group membership (group.instance.id): auto = an id kept in the state "
                            + "directory, none = dynamic membership, or a fixed id (see docs/OPERATIONS.md).")
            .define(HTTP_PORT_CONFIG, Type.STRING, "8080", HTTP_PORT, Importance.HIGH,
                    "Port of the HTTP API (models, scoring, metrics, health; README \"HTTP API\"): 0 = any free "
                            + "port, none = no HTTP server (and no interactive queries from other instances).")
            .define(HTTP_HOST_CONFIG, Type.STRING, "0.0.0.0", new ConfigDef.NonEmptyString(), Importance.MEDIUM,
                    "Address the HTTP API binds to (127.0.0.1 = this machine only).")
            .define(HTTP_ADVERTISED_HOST_CONFIG, Type.STRING, SettingText.AUTO, new ConfigDef.NonEmptyString(),
                    Importance.MEDIUM, "Host name other instances use to reach this one's HTTP API "
                            + "(application.server is <this>:<port>); auto = this machine's host name. In a container, "
                            + "its service or pod name.")
            .define(HTTP_AUTH_TOKEN_CONFIG, Type.PASSWORD, null, Importance.MEDIUM,
                    "If set, every HTTP request except /health/* must carry Authorization: Bearer <token> "
                            + "(instances forward it to each other, so all must share it). Never logged.")
            .define(HTTP_MAX_BODY_BYTES_CONFIG, Type.INT, 1_048_576, Range.between(1, 1 << 30), Importance.LOW,
                    "Larger request bodies are refused (413).")
            .define(DASHBOARD_RECENT_POINTS_CONFIG, Type.INT, 300, Range.between(0, 100_000), Importance.LOW,
                    "Recent points per model the dashboard draws, kept in memory by the instance that processes the "
                            + "model (0 = none: no per-record cost).")
            .define(DASHBOARD_RECENT_MODELS_CONFIG, Type.INT, 256, Range.between(0, 1_000_000), Importance.LOW,
                    "Models whose recent points are kept (the most recently updated ones); memory is at most "
                            + "models x points x (8 D + 25) bytes.");

    /** The configuration key of each model parameter (for messages about a value out of its range). */
    public static final Map<MixtureParameter, String> KEY_OF = Map.ofEntries(
            Map.entry(MixtureParameter.COMPONENTS, COMPONENTS_CONFIG),
            Map.entry(MixtureParameter.COVARIANCE_TYPE, COVARIANCE_TYPE_CONFIG),
            Map.entry(MixtureParameter.REG_COVAR, REG_COVAR_CONFIG),
            Map.entry(MixtureParameter.HALF_LIFE, HALF_LIFE_CONFIG),
            Map.entry(MixtureParameter.STEP_EXPONENT, STEP_EXPONENT_CONFIG),
            Map.entry(MixtureParameter.BATCH_SIZE, BATCH_SIZE_CONFIG),
            Map.entry(MixtureParameter.WARMUP, WARMUP_CONFIG),
            Map.entry(MixtureParameter.INIT_ITERATIONS, INIT_ITERATIONS_CONFIG),
            Map.entry(MixtureParameter.MIN_WEIGHT, MIN_WEIGHT_CONFIG),
            Map.entry(MixtureParameter.SEED, SEED_CONFIG),
            Map.entry(MixtureParameter.MAX_COMPONENTS, MAX_COMPONENTS_CONFIG));

    private MixstreamConfig() {
    }

    /** The default of a key as written in a properties file. */
    public static String defaultText(String key) {
        ConfigDef.ConfigKey k = DEFINITION.configKeys().get(key);
        if (k == null || !k.hasDefault() || k.defaultValue == null) {
            return null;
        }
        return k.defaultValue instanceof java.util.List<?> list
                ? String.join(",", list.stream().map(String::valueOf).toList()) : String.valueOf(k.defaultValue);
    }

    /**
     * A validator of a text setting from a check that throws {@link IllegalArgumentException} with what is wrong;
     * {@code shown} is what the configuration reference says the values are.
     */
    record Checked(String shown, java.util.function.Consumer<String> check) implements ConfigDef.Validator {
        @Override
        public void ensureValid(String name, Object value) {
            try {
                check.accept((String) value);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(name, value, e.getMessage());
            }
        }

        @Override
        public String toString() {
            return shown;
        }
    }


    /** A finite number > 0. */
    enum PositiveNumber implements ConfigDef.Validator {
        INSTANCE;

        @Override
        public void ensureValid(String name, Object value) {
            double v = ((Number) value).doubleValue();
            if (!(v > 0) || Double.isInfinite(v)) {
                throw new ConfigException(name, value, "must be a finite number > 0");
            }
        }

        @Override
        public String toString() {
            return "(0, ∞)";
        }
    }

    /** A number in (0, 1). */
    enum OpenUnitInterval implements ConfigDef.Validator {
        INSTANCE;

        @Override
        public void ensureValid(String name, Object value) {
            double v = ((Number) value).doubleValue();
            if (!(v > 0 && v < 1)) {
                throw new ConfigException(name, value, "must be in (0, 1)");
            }
        }

        @Override
        public String toString() {
            return "(0, 1)";
        }
    }

    /** α ∈ (0.5, 1]. */
    enum StepExponent implements ConfigDef.Validator {
        INSTANCE;

        @Override
        public void ensureValid(String name, Object value) {
            double v = ((Number) value).doubleValue();
            if (!(v > 0.5 && v <= 1.0)) {
                throw new ConfigException(name, value, "must be in (0.5, 1]");
            }
        }

        @Override
        public String toString() {
            return "(0.5, 1]";
        }
    }
}
