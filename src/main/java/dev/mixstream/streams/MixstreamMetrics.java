package dev.mixstream.streams;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.common.Metric;
import org.apache.kafka.streams.KafkaStreams;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * mixstream's own meters, in one Micrometer registry shared by an instance's stream threads and read by its
 * {@code /metrics} endpoint (Prometheus names in brackets):
 * <ul>
 *   <li>records processed by the estimator, dead letters included ({@code mixstream_records_processed_total});</li>
 *   <li>dead letters by reason ({@code mixstream_dead_letters_total{reason}}, every reason from 0);</li>
 *   <li>points flagged ({@code mixstream_anomalies_total}), re-fits ({@code mixstream_refits_total}), snapshots
 *       written ({@code mixstream_snapshots_total});</li>
 *   <li>changes of models with automatic K ({@code mixstream_component_changes_total{change}}: birth, split,
 *       merge, death);</li>
 *   <li>models held by this instance's active tasks ({@code mixstream_models{state="running"|"warming_up"}});</li>
 *   <li>per-record processing time in the estimator ({@code mixstream_record_processing_seconds}, a histogram);</li>
 *   <li>consumer lag of the points topic ({@code mixstream_points_lag}).</li>
 * </ul>
 * Counters count processing, so a record re-processed after a crash (exactly-once: its first outputs were
 * aborted) counts again. The meters are thread-safe; the per-record cost is a few atomic additions.
 */
public final class MixstreamMetrics {
    private final MeterRegistry registry;
    private final Counter processed;
    private final Map<RejectReason, Counter> deadLetters = new EnumMap<>(RejectReason.class);
    private final Counter anomalies;
    private final Counter refits;
    private final Counter births;
    private final Counter splits;
    private final Counter merges;
    private final Counter deaths;
    private final Counter snapshots;
    private final Counter expired;
    private final Counter warmingUp;
    private final Timer processing;
    /** Models held and warming up, per active task (stream thread), so a task's census leaves with it. */
    private final Map<String, ModelCensus> census = new ConcurrentHashMap<>();
    private volatile Supplier<KafkaStreams> streams = () -> null;
    private final String pointsTopic;

    /** The models of one task: held, and warming up among them; written by its stream thread only. */
    public static final class ModelCensus {
        private volatile long held;
        private volatile long warmingUp;

        /** A model appeared ({@code warming}: not yet initialised). */
        void added(boolean warming) {
            held++;
            if (warming) {
                warmingUp++;
            }
        }

        /** A warming-up model was initialised. */
        void initialised() {
            warmingUp--;
        }

        /** A running model starts a warm-up again (it was reset). */
        void reset() {
            warmingUp++;
        }

        /** A model was removed ({@code warming}: it was still warming up). */
        void removed(boolean warming) {
            held--;
            if (warming) {
                warmingUp--;
            }
        }

        public long held() {
            return held;
        }

        public long warmingUp() {
            return warmingUp;
        }
    }

    public MixstreamMetrics(MeterRegistry registry, String pointsTopic) {
        this.registry = registry;
        this.pointsTopic = pointsTopic;
        processed = Counter.builder("mixstream.records.processed")
                .description("Records processed by the estimator (points and dead letters)").register(registry);
        for (RejectReason r : RejectReason.values()) {
            deadLetters.put(r, Counter.builder("mixstream.dead.letters").tag("reason", r.wireName())
                    .description("Records sent to the dead-letter topic, by reason").register(registry));
        }
        anomalies = Counter.builder("mixstream.anomalies").description("Points flagged as anomalies")
                .register(registry);
        refits = Counter.builder("mixstream.refits").description("Model re-fits (drift or a starved component)")
                .register(registry);
        births = componentChanges(registry, "birth");
        splits = componentChanges(registry, "split");
        merges = componentChanges(registry, "merge");
        deaths = componentChanges(registry, "death");
        snapshots = Counter.builder("mixstream.snapshots").description("Snapshots written to the snapshots topic")
                .register(registry);
        expired = Counter.builder("mixstream.models.expired")
                .description("Models removed after mixstream.model.ttl without a point").register(registry);
        warmingUp = Counter.builder("mixstream.points.warming.up")
                .description("Points answered as warming up after mixstream.warmup.max.wait in a warm-up")
                .register(registry);
        processing = Timer.builder("mixstream.record.processing")
                .description("Time the estimator takes per record (parse, score, learn, forward)")
                .serviceLevelObjectives(micros(2), micros(5), micros(10), micros(20), micros(50), micros(100),
                        micros(200), micros(500), micros(1000), micros(2000), micros(5000), micros(10_000),
                        micros(50_000), micros(100_000), micros(1_000_000))
                .register(registry);
        Gauge.builder("mixstream.models", this, m -> m.models(false)).tag("state", "running")
                .description("Models held by this instance's active tasks, by state").register(registry);
        Gauge.builder("mixstream.models", this, m -> m.models(true)).tag("state", "warming_up")
                .description("Models held by this instance's active tasks, by state").register(registry);
        Gauge.builder("mixstream.points.lag", this, MixstreamMetrics::pointsLag)
                .description("Records on the points topic not yet read by this instance (sum over its partitions)")
                .register(registry);
    }

    /** Meters in a registry of their own (tests, benchmarks, topology test drivers). */
    public static MixstreamMetrics standalone(String pointsTopic) {
        return new MixstreamMetrics(new SimpleMeterRegistry(), pointsTopic);
    }

    private static Duration micros(long us) {
        return Duration.ofNanos(us * 1000);
    }

    /** The registry holding these meters. */
    public MeterRegistry registry() {
        return registry;
    }

    /** The Kafka Streams instance whose consumer lag {@code mixstream_points_lag} reports. */
    public void watch(KafkaStreams s) {
        streams = () -> s;
    }

    void recordProcessed(long nanos) {
        processed.increment();
        processing.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    void deadLetter(RejectReason reason) {
        deadLetters.get(reason).increment();
    }

    void anomaly() {
        anomalies.increment();
    }

    void refits(long n) {
        refits.increment(n);
    }

    private static Counter componentChanges(MeterRegistry registry, String change) {
        return Counter.builder("mixstream.component.changes").tag("change", change)
                .description("Components born, split, merged or dead in models with automatic K").register(registry);
    }

    /** What a model with automatic K changed while it learned a point: components born, split, merged, dead. */
    void componentChanges(long born, long split, long merged, long died) {
        births.increment(born);
        splits.increment(split);
        merges.increment(merged);
        deaths.increment(died);
    }

    void snapshot() {
        snapshots.increment();
    }

    void expired() {
        expired.increment();
    }

    void warmingUp() {
        warmingUp.increment();
    }

    /** Points answered as warming up so far. */
    public long warmingUpAnswers() {
        return (long) warmingUp.count();
    }

    /** Models removed for idleness so far. */
    public long expiredModels() {
        return (long) expired.count();
    }

    /** The census of a task's models, new and empty (replacing one left by an earlier assignment). */
    ModelCensus census(String task) {
        ModelCensus c = new ModelCensus();
        census.put(task, c);
        return c;
    }

    /** The task is closed (revoked, or the instance stops): its models are no longer held here. */
    void forget(String task, ModelCensus c) {
        census.remove(task, c);
    }

    /** Models held now, running or warming up. */
    public long models(boolean warmingUp) {
        long n = 0;
        for (ModelCensus c : census.values()) {
            n += warmingUp ? c.warmingUp() : c.held() - c.warmingUp();
        }
        return n;
    }

    /** Records processed so far. */
    public long recordsProcessed() {
        return (long) processed.count();
    }

    /** Dead letters so far, all reasons. */
    public long deadLetters() {
        double n = 0;
        for (Counter c : deadLetters.values()) {
            n += c.count();
        }
        return (long) n;
    }

    /** Dead letters so far, by reason (every reason, zeros included). */
    public Map<RejectReason, Long> deadLettersByReason() {
        Map<RejectReason, Long> n = new EnumMap<>(RejectReason.class);
        deadLetters.forEach((r, c) -> n.put(r, (long) c.count()));
        return n;
    }

    /** Points flagged as anomalies so far. */
    public long anomalies() {
        return (long) anomalies.count();
    }

    /** Lag of the points topic: the sum of this instance's consumers' {@code records-lag} on it (0 before any fetch). */
    public double pointsLag() {
        KafkaStreams s = streams.get();
        if (s == null) {
            return 0;
        }
        double lag = 0;
        for (Map.Entry<org.apache.kafka.common.MetricName, ? extends Metric> e : s.metrics().entrySet()) {
            if (e.getKey().name().equals("records-lag")
                    && e.getKey().group().equals("consumer-fetch-manager-metrics")
                    && pointsTopic.equals(e.getKey().tags().get("topic"))
                    && e.getKey().tags().containsKey("partition")
                    && e.getValue().metricValue() instanceof Number v && Double.isFinite(v.doubleValue())) {
                lag += v.doubleValue();
            }
        }
        return lag;
    }
}
