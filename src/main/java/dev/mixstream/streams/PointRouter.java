package dev.mixstream.streams;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * One half of the routing of points to the task that owns their model ({@link ModelPartitioner}): the
 * {@linkplain #owned owned} router passes on the records already on their model's partition (the common
 * case: Java producers, a cost of one murmur2 hash), the {@linkplain #misrouted misrouted} router the others
 * (librdkafka's CRC32 partitioner, random null keys, ...), keyed by the model's key and with their
 * {@link RecordOrigin} in a header, for the internal topic that brings them to the owning task.
 */
final class PointRouter implements Processor<byte[], byte[], byte[], byte[]> {
    private final int partitions;
    private final boolean owned;
    private final String pointsTopic;
    private ProcessorContext<byte[], byte[]> context;

    private PointRouter(int partitions, boolean owned, String pointsTopic) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be positive, got " + partitions);
        }
        this.partitions = partitions;
        this.owned = owned;
        this.pointsTopic = pointsTopic;
    }

    /** Passes on the records that are on their model's partition. */
    static PointRouter owned(int partitions) {
        return new PointRouter(partitions, true, null);
    }

    /** Passes on the records that are not, keyed by their model's key, with their origin. */
    static PointRouter misrouted(int partitions, String pointsTopic) {
        return new PointRouter(partitions, false, pointsTopic);
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        RecordMetadata meta = context.recordMetadata().orElseThrow();
        boolean onOwner = ModelPartitioner.partitionOf(record.key(), partitions) == meta.partition();
        if (onOwner == owned) {
            context.forward(owned ? record : reroute(record, meta));
        }
    }

    private Record<byte[], byte[]> reroute(Record<byte[], byte[]> record, RecordMetadata meta) {
        Record<byte[], byte[]> r = record.withKey(ModelPartitioner.modelKey(record.key()));
        new RecordOrigin(pointsTopic, meta.partition(), meta.offset(), record.key()).writeTo(r.headers());
        return r;
    }
}
