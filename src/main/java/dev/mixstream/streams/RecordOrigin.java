package dev.mixstream.streams;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import java.nio.ByteBuffer;

/**
 * Where a point record was read from on the points topic, and what its key was. A record that reached
 * another partition than the one owning its model is rerouted through an internal topic (see
 * {@link PointRouter}); it carries its origin there in headers, so its answer and any dead letter still
 * name the points topic's partition and offset, and a dead letter gets the original key back.
 *
 * @param topic     the points topic (null if unknown)
 * @param partition its partition (-1 if unknown)
 * @param offset    its offset (-1 if unknown)
 * @param key       the record key as produced (null for none)
 */
public record RecordOrigin(String topic, int partition, long offset, byte[] key) {
    static final String ORIGIN_HEADER = "mixstream.origin";
    private static final byte NULL_KEY = 0;
    private static final byte EMPTY_KEY = 1;
    private static final byte KEY_PRESENT = 2;

    /** The origin of the record being processed: its rerouting header if it has one, else its own metadata. */
    static RecordOrigin of(RecordMetadata meta, String pointsTopic, Headers headers, byte[] key) {
        return meta == null ? of(null, -1, -1, pointsTopic, headers, key)
                : of(meta.topic(), meta.partition(), meta.offset(), pointsTopic, headers, key);
    }

    /**
     * The origin of a record read from {@code topic} at {@code partition}/{@code offset}: the points topic's
     * place and original key from its rerouting header if it has one, else where it was read.
     */
    static RecordOrigin of(String topic, int partition, long offset, String pointsTopic, Headers headers,
                           byte[] key) {
        Header h = headers == null ? null : headers.lastHeader(ORIGIN_HEADER);
        if (h == null) {
            return new RecordOrigin(topic, partition, offset, key);
        }
        ByteBuffer b = ByteBuffer.wrap(h.value());
        int originPartition = b.getInt();
        long originOffset = b.getLong();
        byte keyForm = b.get();
        byte[] original = keyForm == NULL_KEY ? null : keyForm == EMPTY_KEY ? new byte[0] : key;
        return new RecordOrigin(pointsTopic, originPartition, originOffset, original);
    }

    /** Adds the rerouting header (partition, offset, key form) to {@code headers}. */
    void writeTo(Headers headers) {
        byte keyForm = key == null ? NULL_KEY : key.length == 0 ? EMPTY_KEY : KEY_PRESENT;
        headers.add(ORIGIN_HEADER, ByteBuffer.allocate(4 + 8 + 1).putInt(partition).putLong(offset).put(keyForm)
                .array());
    }
}
