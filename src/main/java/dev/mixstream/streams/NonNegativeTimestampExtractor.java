package dev.mixstream.streams;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * The record's own timestamp, or — for the rare record without a valid one (negative, e.g. written
 * by a pre-0.10 client) — the partition time, or 0 if there is none yet. Kafka's default extractor
 * would stop the stream thread on such a record; a point must never do that.
 */
public final class NonNegativeTimestampExtractor implements TimestampExtractor {
    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
        long ts = record.timestamp();
        return ts >= 0 ? ts : Math.max(partitionTime, 0);
    }
}
