package dev.mixstream.streams;

import java.util.Properties;
import dev.mixstream.dashboard.RecentActivity;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds the mixstream topology:
 * <pre>
 *   points ──► owned-points ─────────────────────────────────┐
 *          └─► misrouted-points ─► [internal topic] ─────────┴─► mixture-estimator (stores: models, warm-up
 *                                                                  │   blocks, snapshots, [last seen])
 *                                                                  ├─► responsibilities
 *                                                                  ├─► snapshots
 *                                                                  ├─► dead letters
 *                                                                  └─► anomalies (if set)
 * </pre>
 * Every model lives in the task of the partition that Kafka's default partitioner gives its key over the
 * points topic's partitions ({@link ModelPartitioner}). A record already there (any Java producer) goes
 * straight to the estimator; one that is not (librdkafka's CRC32 partitioner of Python, Go, .NET or kcat
 * clients, null keys spread at random) is rerouted once through the internal repartition topic
 * {@code <application.id>-}{@value #REROUTED}{@code -repartition}, which has as many partitions as the
 * points topic, to the owning task. Per-key order holds for each producer that partitions a key
 * consistently. Keys and values are bytes at both ends, so deserialisation can never fail; the estimator
 * classifies every value itself. A record with an invalid (negative) timestamp does not stop the thread
 * either ({@link NonNegativeTimestampExtractor}).
 */
public final class MixstreamTopology {
    /** Name of the state store holding each model's binary state. */
    public static final String STORE = "mixstream-models";
    /** Name of the state store holding each model's latest snapshot (the JSON sent to the snapshots topic). */
    public static final String SNAPSHOT_STORE = "mixstream-snapshots";
    /**
     * Name of the state store holding the full blocks of warming models' buffers ({@link ModelStore#useWarmupBlocks}):
     * logged, not cached (each block is written once).
     */
    public static final String WARMUP_BLOCKS_STORE = "mixstream-warmup-blocks";
    /**
     * Name of the state store holding running models' anomaly references ({@link ModelStore#useAnomalyReferences}):
     * logged, not cached (each reference is written once per refresh).
     */
    public static final String ANOMALY_REFERENCES_STORE = "mixstream-anomaly-references";
    /** Stream time of each model's latest point (only with mixstream.model.ttl). */
    public static final String LAST_SEEN_STORE = "mixstream-last-seen";
    /** Name of the internal topic carrying misrouted points to their model's task. */
    public static final String REROUTED = "mixstream-rerouted";
    static final String SOURCE = "points-source";
    static final String CONTROL_SOURCE = "control-source";
    static final String CONTROL_MARKED = "marked-commands";
    static final String INPUTS = "points-and-commands";
    static final String OWNED = "owned-points";
    static final String MISROUTED = "misrouted-points";
    static final String MERGED = "routed-points";
    static final String PROCESSOR = "mixture-estimator";
    static final String RESPONSIBILITIES_SINK = "responsibilities-sink";
    static final String SNAPSHOTS_SINK = "snapshots-sink";
    static final String DLQ_SINK = "dlq-sink";
    static final String ANOMALIES_SINK = "anomalies-sink";

    private MixstreamTopology() {
    }

    /**
     * The topology for these settings (pure: no I/O).
     *
     * @param pointsPartitions the points topic's partition count (the internal topic gets as many)
     */
    public static Topology build(MixstreamSettings settings, int pointsPartitions) {
        return build(settings, pointsPartitions, MixstreamMetrics.standalone(settings.pointsTopic()));
    }

    /**
     * The topology for these settings, counting into these meters (pure: no I/O).
     *
     * @param pointsPartitions the points topic's partition count (the internal topic gets as many)
     */
    public static Topology build(MixstreamSettings settings, int pointsPartitions, MixstreamMetrics metrics) {
        return build(settings, pointsPartitions, metrics, RecentActivity.OFF);
    }

    /**
     * The topology for these settings, counting into these meters and recording each scored point in
     * {@code activity} (the dashboard's recent points; pure: no I/O).
     *
     * @param pointsPartitions the points topic's partition count (the internal topic gets as many)
     */
    public static Topology build(MixstreamSettings settings, int pointsPartitions, MixstreamMetrics metrics,
                                 RecentActivity activity) {
        Serde<byte[]> bytes = Serdes.ByteArray();
        StreamsBuilder b = new StreamsBuilder(topologyConfig(settings));
        b.addStateStore(new ModelStoreBuilder(STORE, settings.modelCacheSize()));
        // not cached: a model's snapshot is written at most once per interval or N points, and a punctuation's
        // snapshots go to RocksDB as one write batch (MixtureProcessor)
        b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(SNAPSHOT_STORE), Serdes.String(),
                Serdes.ByteArray()).withCachingDisabled());
        b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(WARMUP_BLOCKS_STORE), Serdes.String(),
                Serdes.ByteArray()).withCachingDisabled());
        b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ANOMALY_REFERENCES_STORE),
                Serdes.String(), Serdes.ByteArray()).withCachingDisabled());
        String[] stores = {STORE, WARMUP_BLOCKS_STORE, ANOMALY_REFERENCES_STORE, SNAPSHOT_STORE};
        if (settings.modelTtl().enabled()) {
            b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(LAST_SEEN_STORE),
                    Serdes.String(), Serdes.Long()).withCachingEnabled());
            stores = new String[]{STORE, WARMUP_BLOCKS_STORE, ANOMALY_REFERENCES_STORE, SNAPSHOT_STORE, LAST_SEEN_STORE};
        }
        KStream<byte[], byte[]> points = b.stream(settings.pointsTopic(), Consumed.with(bytes, bytes)
                .withTimestampExtractor(new NonNegativeTimestampExtractor()).withName(SOURCE));
        // model commands take the points' way to the model's task, marked as commands
        KStream<byte[], byte[]> control = b.stream(settings.controlTopic(), Consumed.with(bytes, bytes)
                        .withTimestampExtractor(new NonNegativeTimestampExtractor()).withName(CONTROL_SOURCE))
                .process(CommandMarker::new, Named.as(CONTROL_MARKED));
        KStream<byte[], byte[]> inputs = points.merge(control, Named.as(INPUTS));
        KStream<byte[], byte[]> owned = inputs.process(() -> PointRouter.owned(pointsPartitions), Named.as(OWNED));
        KStream<byte[], byte[]> rerouted = inputs
                .process(() -> PointRouter.misrouted(pointsPartitions, settings.pointsTopic()), Named.as(MISROUTED))
                .repartition(Repartitioned.<byte[], byte[]>as(REROUTED).withKeySerde(bytes).withValueSerde(bytes)
                        .withNumberOfPartitions(pointsPartitions));
        KStream<byte[], byte[]> out = owned.merge(rerouted, Named.as(MERGED))
                .process(() -> new MixtureProcessor(settings, metrics, activity), Named.as(PROCESSOR), stores);
        out.to(settings.responsibilitiesTopic(), Produced.with(bytes, bytes).withName(RESPONSIBILITIES_SINK));
        out.to(settings.snapshotsTopic(), Produced.with(bytes, bytes).withName(SNAPSHOTS_SINK));
        out.to(settings.dlqTopic(), Produced.with(bytes, bytes).withName(DLQ_SINK));
        if (settings.anomaliesTopic() != null) {
            out.to(settings.anomaliesTopic(), Produced.with(bytes, bytes).withName(ANOMALIES_SINK));
        }
        return b.build();
    }

    /**
     * The application's own configuration for the topology (a builder without one reads an empty configuration,
     * and Kafka Streams warns that the global processing exception handler is off, which it is not here).
     */
    private static TopologyConfig topologyConfig(MixstreamSettings settings) {
        Properties props = settings.streamsProperties();
        props.putIfAbsent(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092"); // building the topology connects nowhere
        return new TopologyConfig(new StreamsConfig(props));
    }
}
