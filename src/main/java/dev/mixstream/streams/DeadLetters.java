package dev.mixstream.streams;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The dead-letter record format: the original key and value bytes as they were (a value longer than
 * {@code mixstream.dlq.max.value.bytes} is cut to that prefix, and the header
 * {@code mixstream.value.truncated} gives its original length), with headers {@code mixstream.reason},
 * {@code mixstream.detail}, {@code mixstream.source.topic}, {@code mixstream.source.partition} and
 * {@code mixstream.source.offset} (all UTF-8 text).
 */
public final class DeadLetters {
    public static final String REASON = "mixstream.reason";
    public static final String DETAIL = "mixstream.detail";
    public static final String SOURCE_TOPIC = "mixstream.source.topic";
    public static final String SOURCE_PARTITION = "mixstream.source.partition";
    public static final String SOURCE_OFFSET = "mixstream.source.offset";
    public static final String VALUE_TRUNCATED = "mixstream.value.truncated";
    private static final int MAX_DETAIL_CHARS = 1000;

    private DeadLetters() {
    }

    /** The headers of a dead letter. */
    public static Headers headers(RejectReason reason, String detail, String topic, int partition, long offset,
                                  byte[] value, int maxValueBytes) {
        RecordHeaders h = new RecordHeaders();
        h.add(REASON, utf8(reason.wireName()));
        String d = detail == null ? "" : detail;
        h.add(DETAIL, utf8(d.length() > MAX_DETAIL_CHARS ? d.substring(0, MAX_DETAIL_CHARS) + "..." : d));
        h.add(SOURCE_TOPIC, utf8(topic == null ? "" : topic));
        h.add(SOURCE_PARTITION, utf8(Integer.toString(partition)));
        h.add(SOURCE_OFFSET, utf8(Long.toString(offset)));
        if (value != null && value.length > maxValueBytes) {
            h.add(VALUE_TRUNCATED, utf8(Integer.toString(value.length)));
        }
        return h;
    }

    /** The value to write: the original bytes, cut to {@code maxValueBytes}. */
    public static byte[] value(byte[] value, int maxValueBytes) {
        return value == null || value.length <= maxValueBytes ? value : Arrays.copyOf(value, maxValueBytes);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
