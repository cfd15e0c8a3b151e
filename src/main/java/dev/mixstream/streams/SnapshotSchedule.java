package dev.mixstream.streams;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * When the models that changed get their wall-clock snapshot ({@code mixstream.snapshot.interval.ms}): each model is
 * due one interval after its first change since its last snapshot, and the task looks for due models every tenth of
 * the interval ({@link #tickMs}), so the snapshots of many models are spread over the interval instead of all being
 * taken in one punctuation. With 100 000 models changing within every interval that one punctuation was a burst of
 * 100 000 snapshots (seconds of the stream thread, during which no record was processed and the transaction stayed
 * open, against Kafka's 10 s transaction timeout); now each tick takes about a tenth of them.
 *
 * <p>A changed model is snapshotted between {@code interval − tick} and {@code interval} after its first change (a
 * tick later at most if the stream thread is late), so the freshness promise of the interval is kept.
 */
final class SnapshotSchedule {
    /** Ticks per interval: a tenth of the models per tick at a steady rate of changes. */
    static final int TICKS = 10;
    private final long intervalMs;
    private final long tickMs;
    /** Wall-clock time of each model's first change since its last snapshot, oldest first (insertion order). */
    private final LinkedHashMap<String, Long> changedSince = new LinkedHashMap<>();

    /** @param intervalMs the snapshot interval, &gt; 0 */
    SnapshotSchedule(long intervalMs) {
        if (intervalMs <= 0) {
            throw new IllegalArgumentException("snapshot interval must be > 0, got " + intervalMs);
        }
        this.intervalMs = intervalMs;
        this.tickMs = Math.max(1, intervalMs / TICKS);
    }

    /** How often the task looks for due models. */
    long tickMs() {
        return tickMs;
    }

    /** The model changed at wall-clock time {@code now} (its first change since its last snapshot counts). */
    void changed(String model, long now) {
        changedSince.putIfAbsent(model, now);
    }

    /** The model was snapshotted, reset or removed: nothing is due for it until it changes again. */
    void forget(String model) {
        changedSince.remove(model);
    }

    /** Forgets every model (a task's start or close). */
    void clear() {
        changedSince.clear();
    }

    /** Models waiting for a snapshot. */
    int waiting() {
        return changedSince.size();
    }

    /**
     * Hands each model due at {@code now} (first changed at least {@code interval − tick} ago) to {@code snapshot},
     * oldest first, after forgetting it; the others wait.
     */
    void takeDue(long now, Consumer<String> snapshot) {
        long threshold = now - (intervalMs - tickMs);
        Iterator<Map.Entry<String, Long>> oldest = changedSince.entrySet().iterator();
        java.util.List<String> due = new java.util.ArrayList<>();
        while (oldest.hasNext()) {
            Map.Entry<String, Long> e = oldest.next();
            if (e.getValue() > threshold) {
                break; // insertion order is first-change order: the rest changed later
            }
            due.add(e.getKey());
            oldest.remove();
        }
        due.forEach(snapshot);
    }
}
