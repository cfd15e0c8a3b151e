package dev.mixstream.streams;

import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.Topology;

/**
 * Builds the mixstream topology: points source → {@link MixtureProcessor} (with the models store) →
 * responsibilities, snapshots and dead-letter sinks. Keys and values are bytes at both ends, so
 * deserialisation can never fail; the processor classifies every value itself. A record with an invalid
 * (negative) timestamp does not stop the thread either ({@link NonNegativeTimestampExtractor}).
 */
public final class MixstreamTopology {
    /** Name of the state store holding each model's binary state. */
    public static final String STORE = "mixstream-models";
    static final String SOURCE = "points-source";
    static final String PROCESSOR = "mixture-estimator";
    static final String RESPONSIBILITIES_SINK = "responsibilities-sink";
    static final String SNAPSHOTS_SINK = "snapshots-sink";
    static final String DLQ_SINK = "dlq-sink";

    private MixstreamTopology() {
    }

    /** The topology for these settings (pure: no I/O). */
    public static Topology build(MixstreamSettings settings) {
        Topology t = new Topology();
        t.addSource((org.apache.kafka.streams.AutoOffsetReset) null, SOURCE, new NonNegativeTimestampExtractor(),
                new ByteArrayDeserializer(), new ByteArrayDeserializer(), settings.pointsTopic());
        t.addProcessor(PROCESSOR, () -> new MixtureProcessor(settings), SOURCE);
        t.addStateStore(new ModelStoreBuilder(STORE, settings.modelCacheSize()), PROCESSOR);
        t.addSink(RESPONSIBILITIES_SINK, settings.responsibilitiesTopic(), new ByteArraySerializer(),
                new ByteArraySerializer(), PROCESSOR);
        t.addSink(SNAPSHOTS_SINK, settings.snapshotsTopic(), new ByteArraySerializer(), new ByteArraySerializer(),
                PROCESSOR);
        t.addSink(DLQ_SINK, settings.dlqTopic(), new ByteArraySerializer(), new ByteArraySerializer(), PROCESSOR);
        return t;
    }
}
