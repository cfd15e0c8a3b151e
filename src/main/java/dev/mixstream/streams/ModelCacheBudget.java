package dev.mixstream.streams;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The memory the decoded models of one application instance may take, shared by the models stores of all its tasks
 * ({@code mixstream.model.cache.size=auto}): {@link #HEAP_SHARE} of the JVM's maximum heap. A decoded model is
 * counted as {@link #DECODED_PER_ENCODED_BYTE} times its encoded state (its statistics, plus the parameters and
 * factors derived from them, which the state does not store); each store drops its least recently used models
 * (writing them first if updated) while the instance's total is over the limit. Thread-safe: the stream threads
 * share it.
 */
final class ModelCacheBudget {
    /** The share of the maximum heap the decoded models may take. */
    static final double HEAP_SHARE = 0.3;
    /** Bytes of heap per byte of encoded state, an estimate: measured 2.7–2.8 for running models, 1.5 warming. */
    static final long DECODED_PER_ENCODED_BYTE = 3;
    /** {@code mixstream.model.cache.size} text for a budget from the heap. */
    static final String AUTO = "auto";

    private final long limit;
    private final AtomicLong used = new AtomicLong();

    ModelCacheBudget(long limitBytes) {
        if (limitBytes < 1) {
            throw new IllegalArgumentException("limit must be >= 1 byte, got " + limitBytes);
        }
        this.limit = limitBytes;
    }

    /** {@link #HEAP_SHARE} of this JVM's maximum heap. */
    static ModelCacheBudget ofHeap() {
        return new ModelCacheBudget((long) (HEAP_SHARE * Runtime.getRuntime().maxMemory()));
    }

    /** The heap a model decoded from a state of {@code encodedBytes} bytes is counted for. */
    static long decodedBytes(long encodedBytes) {
        return DECODED_PER_ENCODED_BYTE * encodedBytes;
    }

    /** Adds (or, negative, releases) bytes. */
    void add(long bytes) {
        used.addAndGet(bytes);
    }

    /** Whether the decoded models take more than the limit. */
    boolean over() {
        return used.get() > limit;
    }

    long used() {
        return used.get();
    }

    long limit() {
        return limit;
    }

    /**
     * {@code mixstream.model.cache.size}: {@code auto} (0 here: a budget from the heap) or decoded models per task.
     *
     * @throws IllegalArgumentException otherwise
     */
    static int parseSize(String text) {
        String t = text.trim();
        if (t.equalsIgnoreCase(AUTO)) {
            return 0;
        }
        try {
            int n = Integer.parseInt(t);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // worded below
        }
        throw new IllegalArgumentException("'" + text + "' is not " + AUTO + " or an integer >= 1");
    }
}
