package dev.mixstream.streams;

import org.apache.kafka.common.utils.Utils;

import java.nio.charset.StandardCharsets;

/**
 * Which partition owns a model: Kafka's default partitioner over the model's key bytes,
 * {@code toPositive(murmur2(key)) mod partitions} (what every Java producer and Kafka Streams' own sinks
 * compute), where a record without a key (null or empty) belongs to the model {@value #DEFAULT_MODEL}.
 * Each model lives in the task of that partition, whatever partitioner the record's producer used.
 */
public final class ModelPartitioner {
    /** The model of records without a key. */
    public static final String DEFAULT_MODEL = "default";
    private static final byte[] DEFAULT_MODEL_KEY = DEFAULT_MODEL.getBytes(StandardCharsets.UTF_8);

    private ModelPartitioner() {
    }

    /** The model's key bytes of a record key: the key itself, or {@value #DEFAULT_MODEL} for null or empty. */
    public static byte[] modelKey(byte[] key) {
        return key == null || key.length == 0 ? DEFAULT_MODEL_KEY : key;
    }

    /** The partition that owns the model of {@code key} among {@code partitions}. */
    public static int partitionOf(byte[] key, int partitions) {
        return Utils.toPositive(Utils.murmur2(modelKey(key))) % partitions;
    }
}
