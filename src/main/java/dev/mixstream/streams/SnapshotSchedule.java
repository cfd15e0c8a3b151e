package dev.mixstream.streams;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.function.Consumer;

/**
 * When the models that changed get their wall-clock snapshot ({@code mixstream.snapshot.interval.ms}). The interval is
 * cut into {@link #SLOTS} ticks, and each model has one of them, fixed by its key's hash: a model that changed is
 * snapshotted at the next tick of its own, so within one interval of its change, at most once per interval, and the
 * snapshots of many models are spread evenly over the interval instead of all being taken in one punctuation. With
 * 100 000 models changing within every interval that one punctuation was a burst of 100 000 snapshots (1.3 s of the
 * stream thread in a benchmark, during which no record was processed and the transaction stayed open, against Kafka's
 * 10 s transaction timeout); now each tick takes about a tenth of them, whenever they changed.
 *
 * <p>Ticks the stream thread was too late for (a punctuation runs once however many ticks it missed) are taken at the
 * next punctuation, at most one interval's worth.
 */
final class SnapshotSchedule {
    /** Ticks per interval, and so the share of the models a tick takes: a tenth. */
    static final int SLOTS = 10;
    private final long tickMs;
    /** The models that changed since their last snapshot, by slot. */
    private final List<LinkedHashSet<String>> changed = new ArrayList<>(SLOTS);
    /** The last tick taken (wall-clock time / tick), or {@link Long#MIN_VALUE} before {@link #start}. */
    private long lastTick = Long.MIN_VALUE;

    /** @param intervalMs the snapshot interval, &gt; 0 */
    SnapshotSchedule(long intervalMs) {
        if (intervalMs <= 0) {
            throw new IllegalArgumentException("snapshot interval must be > 0, got " + intervalMs);
        }
        this.tickMs = Math.max(1, intervalMs / SLOTS);
        for (int s = 0; s < SLOTS; s++) {
            changed.add(new LinkedHashSet<>());
        }
    }

    /** How often the task looks for due models: a tenth of the interval. */
    long tickMs() {
        return tickMs;
    }

    /** The tick of the interval the model's snapshots are taken at, from its key's hash. */
    static int slotOf(String model) {
        return Math.floorMod(model.hashCode(), SLOTS);
    }

    /** Forgets every model and starts counting ticks at wall-clock time {@code now} (a task's start). */
    void start(long now) {
        clear();
        lastTick = Math.floorDiv(now, tickMs);
    }

    /** The model changed since its last snapshot. */
    void changed(String model) {
        changed.get(slotOf(model)).add(model);
    }

    /** The model was snapshotted, reset or removed: nothing is due for it until it changes again. */
    void forget(String model) {
        changed.get(slotOf(model)).remove(model);
    }

    /** Forgets every model (a task's close). */
    void clear() {
        changed.forEach(LinkedHashSet::clear);
    }

    /** Models waiting for a snapshot. */
    int waiting() {
        return changed.stream().mapToInt(LinkedHashSet::size).sum();
    }

    /**
     * Hands each changed model of the ticks up to wall-clock time {@code now} not taken yet (at most a whole interval's)
     * to {@code snapshot}, after forgetting it.
     */
    void takeDue(long now, Consumer<String> snapshot) {
        long tick = Math.floorDiv(now, tickMs);
        long from = lastTick == Long.MIN_VALUE ? tick : Math.max(lastTick + 1, tick - SLOTS + 1);
        lastTick = Math.max(lastTick, tick);
        for (long t = from; t <= tick; t++) {
            LinkedHashSet<String> slot = changed.get((int) Math.floorMod(t, (long) SLOTS));
            List<String> due = new ArrayList<>(slot);
            slot.clear();
            due.forEach(snapshot);
        }
    }
}
