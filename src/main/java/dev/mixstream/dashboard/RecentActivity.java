package dev.mixstream.dashboard;

import dev.mixstream.gmm.PointScore;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The recent points of the models this instance processes, for the dashboard: a {@link ModelTrace} for each of the
 * {@code maxModels} most recently updated models (the least recently updated one's trace is handed to a newcomer), in
 * memory only. It is a live view, not a record: it starts empty at each start and on each instance that takes a
 * model over, and a point re-processed after a crash appears twice. {@link #OFF} records nothing (zero cost).
 *
 * <p>Memory: at most {@code maxModels × pointsPerModel × (8·D + 25)} bytes plus {@code maxModels × 14 KB} of
 * per-second totals.
 */
public final class RecentActivity {
    /** Records nothing. */
    public static final RecentActivity OFF = new RecentActivity(0, 0);
    private final int pointsPerModel;
    private final int maxModels;
    /** Access order: the eldest entry is the least recently updated model. */
    private final LinkedHashMap<String, ModelTrace> traces = new LinkedHashMap<>(16, 0.75f, true);

    /**
     * @param pointsPerModel recent points kept per model (0: none, nothing recorded)
     * @param maxModels      models followed at a time (0: none, nothing recorded)
     */
    public RecentActivity(int pointsPerModel, int maxModels) {
        if (pointsPerModel < 0 || maxModels < 0) {
            throw new IllegalArgumentException("pointsPerModel and maxModels must be >= 0");
        }
        this.pointsPerModel = maxModels == 0 ? 0 : pointsPerModel;
        this.maxModels = pointsPerModel == 0 ? 0 : maxModels;
    }

    /** Whether anything is recorded. */
    public boolean enabled() {
        return maxModels > 0;
    }

    /** Recent points kept per model. */
    public int pointsPerModel() {
        return pointsPerModel;
    }

    /** Records a point of {@code model} just scored (the score is copied; it may be reused after this returns). */
    public void record(String model, PointScore s, long nowMs) {
        if (maxModels == 0) {
            return;
        }
        ModelTrace t;
        synchronized (traces) {
            t = traces.get(model);
            if (t == null) {
                if (traces.size() >= maxModels) {
                    Iterator<Map.Entry<String, ModelTrace>> eldest = traces.entrySet().iterator();
                    t = eldest.next().getValue();
                    eldest.remove();
                    t.reset();
                } else {
                    t = new ModelTrace(pointsPerModel);
                }
                traces.put(model, t);
            }
        }
        t.add(s, nowMs);
    }

    /** A copy of what is held for the model, or null when nothing is. */
    ModelTrace.Copy recent(String model, long nowMs) {
        ModelTrace t;
        synchronized (traces) {
            t = traces.get(model);
        }
        return t == null ? null : t.copy(nowMs);
    }

    /** Forgets a model's points (it was reset or deleted). */
    public void forget(String model) {
        ModelTrace t;
        synchronized (traces) {
            t = traces.remove(model);
        }
        if (t != null) {
            t.reset();
        }
    }
}
