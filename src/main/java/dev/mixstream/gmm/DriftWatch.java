package dev.mixstream.gmm;

/**
 * Watches a running model for data that left it, and collects the points of the re-fit that follows.
 *
 * <p>Over a window of L = max(W, halfLife / 10) points it tracks each component's share of recent
 * responsibility r_k and the recent log-likelihood per point. Once L points have been scored since the
 * last (re-)initialisation, a re-fit is due when either
 * <ul>
 *   <li>some r_k falls below {@code minWeight} (K &gt; 1): the data left that component, or</li>
 *   <li>the recent log-likelihood falls {@link #LOG_LIKELIHOOD_DROP} nats below the model's long-run
 *       average: the data moved away faster than the half-life can follow.</li>
 * </ul>
 * The watch then collects the next W points (with automatic K, the review sample; a collection can also be started
 * by the model, {@link #collect}), which are still scored and learned from at once, and
 * {@link #observe} reports when the collection is complete.
 *
 * <p>Points the anomaly policy keeps out of the statistics ({@code mixstream.anomaly.learn=false}) are watched
 * too, their log-likelihood counted as at most {@link #UNLEARNED_LOG_LIKELIHOOD_FLOOR} = 5 nats below the
 * long-run average (a far outlier's would be thousands, and fire the re-fit on its own): a burst of unlearned
 * outliers shorter than L·ln(5/4) ≈ 0.22·L points cannot trigger it, nor can less than a fifth of the points
 * being outliers for good; data that jump and stay away trigger it after about 0.22·L points.
 */
final class DriftWatch {
    /** Nats per point the recent log-likelihood must fall below the long-run average to trigger a re-fit. */
    static final double LOG_LIKELIHOOD_DROP = 1.0;
    /** How far below the long-run average an unlearned point's log-likelihood counts, at most, in nats. */
    static final double UNLEARNED_LOG_LIKELIHOOD_FLOOR = 5.0;

    /** r_k, each component's share of recent responsibility. */
    final double[] recentShare;
    /** ρ = 1 / L. */
    final double rate;
    /** Log-likelihood per point averaged over the recent window. */
    double recentLogLikelihood;
    /** Points scored since the last (re-)initialisation; nothing is judged before L of them. */
    long sinceRefit;
    /** The points collected for a re-fit; null while not collecting. */
    double[][] collected;
    int collectedCount;
    /** Whether the collection under way was started by a drop of the recent log-likelihood. */
    boolean dropTriggered;
    /** Whether the collection under way was started by a starving component (not part of the state: see
     * {@link #startedByStarving}). */
    private boolean starvingTriggered;

    /**
     * @param components K
     * @param window     L, in points
     */
    DriftWatch(int components, double window) {
        this.recentShare = new double[components];
        this.rate = 1.0 / window;
    }

    /** L = max(W, halfLife / 10), or W without half-life. */
    static double window(MixtureConfig config, int warmup) {
        return config.hasNoHalfLife() ? warmup : Math.max(warmup, config.halfLife() / 10);
    }

    /**
     * Takes in one scored point.
     *
     * @param x                 the point (copied when collected)
     * @param gamma             its responsibilities
     * @param logLikelihood     its log-likelihood
     * @param learned           whether the model learned the point; an unlearned one's log-likelihood counts as
     *                          at least the long-run average − {@link #UNLEARNED_LOG_LIKELIHOOD_FLOOR}
     * @param longRunLikelihood the model's long-run average log-likelihood per point
     * @param collectSize       W, the number of points a re-fit collects
     * @param minWeight         the starvation threshold on r_k
     * @return true when the points of a re-fit are complete ({@link #collected()})
     */
    boolean observe(double[] x, double[] gamma, double logLikelihood, boolean learned, double longRunLikelihood,
                    int collectSize, double minWeight) {
        if (!learned) {
            logLikelihood = Math.max(logLikelihood, longRunLikelihood - UNLEARNED_LOG_LIKELIHOOD_FLOOR);
        }
        int k = recentShare.length;
        for (int c = 0; c < k; c++) {
            recentShare[c] += rate * (gamma[c] - recentShare[c]); // r_k ← r_k + ρ (γ_k − r_k)
        }
        recentLogLikelihood += rate * (logLikelihood - recentLogLikelihood); // ℓ_recent ← ℓ_recent + ρ (ℓ − ℓ_recent)
        sinceRefit++;
        if (collected != null) {
            if (collectedCount < collected.length) { // a complete collection waits for the end of a mini-batch
                collected[collectedCount++] = x.clone();
            }
            return collectedCount == collected.length;
        }
        boolean drop = recentLogLikelihood < longRunLikelihood - LOG_LIKELIHOOD_DROP;
        boolean starving = starvingCount(minWeight) > 0 && k > 1;
        if (sinceRefit * rate >= 1 && (starving || drop)) {
            collect(collectSize);
            dropTriggered = drop;
            starvingTriggered = starving;
        }
        return false;
    }

    /** True when the collection was started by a starving component this very point (nothing collected yet). */
    boolean startedByStarving() {
        return collected != null && collectedCount == 0 && starvingTriggered;
    }

    /** Starts collecting the next {@code size} points (for a review of the components, automatic K). */
    void collect(int size) {
        collected = new double[size][];
        collectedCount = 0;
        dropTriggered = false;
        starvingTriggered = false;
    }

    /** True while points are being collected (until the collection is used and cleared). */
    boolean collecting() {
        return collected != null;
    }

    /** Drops the collected points, keeping the watch as it is. */
    void clearCollection() {
        collected = null;
        collectedCount = 0;
        dropTriggered = false;
        starvingTriggered = false;
    }

    /** True when component c's recent share is below {@code minWeight}. */
    boolean isStarving(int c, double minWeight) {
        return recentShare[c] < minWeight;
    }

    private int starvingCount(double minWeight) {
        int n = 0;
        for (double r : recentShare) {
            if (r < minWeight) {
                n++;
            }
        }
        return n;
    }

    /** The points collected for the re-fit. */
    double[][] collected() {
        return collected;
    }

    /**
     * Goes on watching a model whose components a review changed: the new components' recent shares are given (a
     * component that was starving goes on starving, instead of starting again from its weight, which the half-life
     * lowers far more slowly), the recent log-likelihood restarts at the long-run one, the collection is dropped.
     */
    void carryOn(double[] shares, double longRunLikelihood) {
        if (shares.length != recentShare.length) {
            throw new IllegalArgumentException(shares.length + " shares for " + recentShare.length + " components");
        }
        System.arraycopy(shares, 0, recentShare, 0, shares.length);
        recentLogLikelihood = longRunLikelihood;
        clearCollection();
    }

    /** Starts watching afresh after a (re-)initialisation: r_k = π_k, recent = long-run log-likelihood. */
    void restart(GaussianMixture mixture, double longRunLikelihood) {
        for (int c = 0; c < recentShare.length; c++) {
            recentShare[c] = mixture.weight(c);
        }
        sinceRefit = 0;
        recentLogLikelihood = longRunLikelihood;
        clearCollection();
    }
}
