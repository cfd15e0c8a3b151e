package dev.mixstream.bench;

import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.common.Cluster;

import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32;

/**
 * librdkafka's default partitioner ({@code consistent_random}), the one of Python's
 * confluent_kafka, Go's confluent-kafka-go, .NET and kcat: {@code crc32(key) mod partitions}, and a random
 * partition for a null or empty key. A Java producer with it behaves, partition-wise, like those clients
 * ({@code bench --partitioner crc32} pre-loads the points with it; the tests send with it).
 */
public final class Crc32Partitioner implements Partitioner {
    /** The partition librdkafka's default partitioner gives a non-empty key. */
    public static int partitionOf(byte[] key, int partitions) {
        CRC32 crc = new CRC32();
        crc.update(key);
        return (int) (crc.getValue() % partitions);
    }

    @Override
    public int partition(String topic, Object key, byte[] keyBytes, Object value, byte[] valueBytes, Cluster cluster) {
        int n = cluster.partitionCountForTopic(topic);
        return keyBytes == null || keyBytes.length == 0 ? ThreadLocalRandom.current().nextInt(n)
                : partitionOf(keyBytes, n);
    }

    @Override
    public void close() {
    }

    @Override
    public void configure(Map<String, ?> configs) {
    }
}
