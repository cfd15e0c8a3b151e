package dev.mixstream.streams;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * What a point's output echoes about its input record: the optional {@code id} and {@code ts} of the
 * JSON, and the source partition and offset; and, while the point waits in a warm-up, when it arrived (its record's
 * timestamp) and whether it was already answered as warming up ({@code mixstream.warmup.max.wait}). It travels
 * through the engine as the point's opaque tag, so warm-up points answered later (at initialisation) still carry
 * their own metadata, also across a restart (the tag is part of the stored model state).
 *
 * @param arrival  the input record's timestamp, or null (tags written before it was recorded)
 * @param answered whether the point has had its answer (a warming-up record), so its score at initialisation is not
 *                 sent
 */
public record PointMeta(String id, Long ts, int partition, long offset, Long arrival, boolean answered) {
    private static final byte HAS_ID = 1;
    private static final byte HAS_TS = 2;
    private static final byte HAS_ARRIVAL = 4;
    private static final byte ANSWERED = 8;

    /** The metadata of a point just received. */
    public PointMeta(String id, Long ts, int partition, long offset, long arrival) {
        this(id, ts, partition, offset, arrival, false);
    }

    /** The metadata of a point whose arrival is not recorded. */
    public PointMeta(String id, Long ts, int partition, long offset) {
        this(id, ts, partition, offset, null, false);
    }

    /** The same point, answered. */
    public PointMeta asAnswered() {
        return new PointMeta(id, ts, partition, offset, arrival, true);
    }

    /** The same point, arrived at the given time. */
    public PointMeta arrivedAt(long time) {
        return new PointMeta(id, ts, partition, offset, time, answered);
    }

    /** Compact binary form: flags, partition, offset, [ts], [arrival], [id as UTF-8]. */
    public byte[] encode() {
        byte[] idBytes = id == null ? null : id.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(1 + 4 + 8 + (ts == null ? 0 : 8) + (arrival == null ? 0 : 8)
                + (idBytes == null ? 0 : idBytes.length));
        b.put((byte) ((id == null ? 0 : HAS_ID) | (ts == null ? 0 : HAS_TS) | (arrival == null ? 0 : HAS_ARRIVAL)
                | (answered ? ANSWERED : 0)));
        b.putInt(partition);
        b.putLong(offset);
        if (ts != null) {
            b.putLong(ts);
        }
        if (arrival != null) {
            b.putLong(arrival);
        }
        if (idBytes != null) {
            b.put(idBytes);
        }
        return b.array();
    }

    /** Decodes {@link #encode()} (also the tags of earlier versions, which had neither arrival nor answered). */
    public static PointMeta decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        byte flags = b.get();
        int partition = b.getInt();
        long offset = b.getLong();
        Long ts = (flags & HAS_TS) != 0 ? b.getLong() : null;
        Long arrival = (flags & HAS_ARRIVAL) != 0 ? b.getLong() : null;
        String id = (flags & HAS_ID) != 0
                ? new String(bytes, b.position(), b.remaining(), StandardCharsets.UTF_8) : null;
        return new PointMeta(id, ts, partition, offset, arrival, (flags & ANSWERED) != 0);
    }

    /** Whether an encoded tag is that of an answered point (without decoding the rest). */
    public static boolean isAnswered(byte[] tag) {
        return (tag[0] & ANSWERED) != 0;
    }
}
