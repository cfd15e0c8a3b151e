package dev.mixstream.streams;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * What a point's output echoes about its input record: the optional {@code id} and {@code ts} of the
 * JSON, and the source partition and offset. It travels through the engine as the point's opaque tag,
 * so warm-up points answered later (at initialisation) still carry their own metadata, also across a
 * restart (the tag is part of the stored model state).
 */
public record PointMeta(String id, Long ts, int partition, long offset) {
    private static final byte HAS_ID = 1;
    private static final byte HAS_TS = 2;

    /** Compact binary form: flags, partition, offset, [ts], [id as UTF-8]. */
    public byte[] encode() {
        byte[] idBytes = id == null ? null : id.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(1 + 4 + 8 + (ts == null ? 0 : 8) + (idBytes == null ? 0 : idBytes.length));
        b.put((byte) ((id == null ? 0 : HAS_ID) | (ts == null ? 0 : HAS_TS)));
        b.putInt(partition);
        b.putLong(offset);
        if (ts != null) {
            b.putLong(ts);
        }
        if (idBytes != null) {
            b.put(idBytes);
        }
        return b.array();
    }

    /** Decodes {@link #encode()}. */
    public static PointMeta decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        byte flags = b.get();
        int partition = b.getInt();
        long offset = b.getLong();
        Long ts = (flags & HAS_TS) != 0 ? b.getLong() : null;
        String id = (flags & HAS_ID) != 0
                ? new String(bytes, b.position(), b.remaining(), StandardCharsets.UTF_8) : null;
        return new PointMeta(id, ts, partition, offset);
    }
}
