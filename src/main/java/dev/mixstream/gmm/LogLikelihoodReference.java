package dev.mixstream.gmm;

import java.util.Arrays;

/**
 * The distribution of a mixture's own log-likelihood, from which a point's anomaly score is computed:
 * p(ℓ) = P_{X ~ model}(log p(X) ≤ ℓ), the probability that a point drawn from the model is at most as likely
 * as this one, and the score is 1 − p.
 *
 * <p><b>How p is estimated.</b> p(ℓ) = Σ_k π_k P_{X ~ N(μ_k, Σ_k)}(log p(X) ≤ ℓ). For each component the
 * probability is a stratified sample over the radius: X = μ_k ± r_j L_k u_j for the strata of
 * {@link ReferenceStrata} (L_k the Cholesky factor, or σ_k for diagonal and spherical covariances), each
 * point weighted by π_k w_j / 2. The log-likelihoods of these ≈ {@value #TARGET_SAMPLES} weighted points
 * (log-sum-exp over all components, pruned as the E-step prunes; the own component's term from ‖z‖², the others
 * dropped where a bound proves them negligible, {@link GaussianMixture#othersNegligible} for a whole stratum in
 * O(K), {@link GaussianMixture#aloneOfPair} for its two points in O(K·D)) are sorted into a
 * weighted empirical distribution, read off at the fixed tail probabilities p_i = 10^(−9 + i/10), i = 0 … 90, and
 * kept as those {@value #LEVELS} quantiles ℓ(p_i): the whole reference is 91 doubles of the model's state.
 * Scoring a point is a binary search in that table and a linear interpolation of log p in ℓ (exact for an
 * exponential tail, which a Gaussian's log-likelihood has), with the first segment's slope extended below
 * p = 10⁻⁹.
 *
 * <p>A single Gaussian's log-likelihood depends only on the radius, so its p is exact up to the strata's
 * width (≈ 23 % in probability per step at K = 1, an interpolation error well below that); the directions
 * only matter where other components overlap the tail, and there their sampling noise is what the
 * calibration tests measure. {@link #refresh} costs ≈ {@value #TARGET_SAMPLES} E-steps and a sort.
 */
public final class LogLikelihoodReference {
    /** Weighted points per refresh, over all components. */
    static final int TARGET_SAMPLES = 4096;
    /** Fewest strata per component. */
    static final int MIN_STRATA = 64;
    /** The tail probabilities of the stored quantiles: p_i = 10^(−9 + i/10). */
    public static final int LEVELS = 91;
    private static final double[] LOG_LEVELS = new double[LEVELS];
    private static final double LN10 = Math.log(10.0);

    /**
     * Just below p_i = exp(log p_i) (by 10⁻¹²: far more than the roundings of exp and log), so that a mid-probability
     * P &lt; this has log P &lt; log p_i without taking its logarithm (readQuantiles takes ≈ 2 · 91 instead of 4 096).
     */
    private static final double[] LEVELS_BELOW = new double[LEVELS];

    static {
        for (int i = 0; i < LEVELS; i++) {
            LOG_LEVELS[i] = (-9.0 + i / 10.0) * LN10;
        }
        LOG_LEVELS[LEVELS - 1] = 0.0;
        for (int i = 0; i < LEVELS; i++) {
            LEVELS_BELOW[i] = Math.exp(LOG_LEVELS[i]) * (1 - 1e-12);
        }
    }

    /** ℓ(p_i), non-decreasing in i: the state. */
    final double[] quantiles = new double[LEVELS];
    /** {@link #stamp()}'s value, valid while {@link #stamped}: computed once per refresh, not at every commit. */
    private long stamp;
    private boolean stamped;

    /**
     * A 64-bit checksum of the quantiles' bits (h ← 0x6D7873526566; per quantile h ← rotl(h ⊕ bits(q), 23) · φ64), what
     * a state that keeps the reference apart holds in its place ({@link ModelStateCodec#encodeRunningHead}). Stored in
     * states: its function never changes.
     */
    long stamp() {
        if (!stamped) {
            long h = 0x6D7873526566L;
            for (double q : quantiles) {
                h = Long.rotateLeft(h ^ Double.doubleToRawLongBits(q), 23) * 0x9E3779B97F4A7C15L;
            }
            stamp = h;
            stamped = true;
        }
        return stamp;
    }

    /** The quantiles were written (by a refresh or a decoder): the stamp is computed again when asked. */
    void quantilesChanged() {
        stamped = false;
    }

    /**
     * The refresh's work arrays: ≈ 4 096 samples × 24 bytes, shared by all the models a thread refreshes (a
     * stream thread holds thousands of models; per model they were ≈ 100 KB of heap each, 40× a K=5 D=8 model's
     * state). The refresh's result does not depend on whose arrays it used.
     */
    private static final ThreadLocal<Work> WORK = ThreadLocal.withInitial(Work::new);

    private static final class Work {
        double[] sampleLogLikelihood = new double[0];
        double[] sampleWeight;
        long[] order;
        double[] x = new double[0];
        double[] y;
        double[] spectralBounds = new double[0];
        double[] meanDistances;

        /** Arrays for n samples of K components in d dimensions (reallocated only when the shape changes). */
        Work sized(int n, int d, int k) {
            if (sampleLogLikelihood.length != n || x.length != d) {
                sampleLogLikelihood = new double[n];
                sampleWeight = new double[n];
                order = new long[n];
                x = new double[d];
                y = new double[d];
            }
            if (spectralBounds.length != k) {
                spectralBounds = new double[k];
                meanDistances = new double[k * k];
            }
            return this;
        }
    }

    /** Strata per component for K components: max(64, ⌈2048 / K⌉), two points (±u) per stratum. */
    static int strataPerComponent(int components) {
        return Math.max(MIN_STRATA, (TARGET_SAMPLES / 2 + components - 1) / components);
    }

    /** Recomputes the quantiles for the mixture's current parameters (deterministic). */
    public void refresh(GaussianMixture mixture) {
        int k = mixture.components();
        int d = mixture.dimension();
        ReferenceStrata strata = ReferenceStrata.of(d, strataPerComponent(k));
        int perComponent = 2 * strata.size();
        int n = k * perComponent;
        Work w = WORK.get().sized(n, d, k);
        double[] sampleLogLikelihood = w.sampleLogLikelihood;
        double[] sampleWeight = w.sampleWeight;
        long[] order = w.order;
        double[] x = w.x;
        double[] bounds = w.spectralBounds;
        mixture.spectralBounds(bounds); // λ_max(Σ_k) from above, for pruning in O(D)
        mixture.meanDistances(w.meanDistances);
        double[] y = w.y;
        int s = 0;
        for (int c = 0; c < k; c++) {
            double weight = mixture.weight(c);
            double logWeight = mixture.logWeight(c);
            for (int j = 0; j < strata.size(); j++) {
                // both points of the stratum, x = μ_k ∓ L_k r_j u_j, have their own component's term from ‖z‖²
                double ownLogDensity = mixture.logDensityAt(c, strata.squaredNorms[2 * j]);
                double ownTerm = logWeight + ownLogDensity;
                int alone; // which of the two have every other component negligible: bit 0 for −z, bit 1 for +z
                if (mixture.othersNegligible(c, strata.radii[j] * (1 + 0x1p-30), ownTerm - 0x1p-20, bounds,
                        w.meanDistances)) {
                    alone = 3; // the whole stratum, in O(K)
                } else {
                    mixture.factorTimes(c, strata.points[2 * j + 1], y); // y = L_k r_j u_j
                    alone = mixture.aloneOfPair(c, y, ownTerm, bounds); // each point, in O(D) per component
                }
                double mass = 0.5 * weight * strata.masses[j]; // π_k w_j / 2
                for (int side = 0; side < 2; side++) {
                    int row = 2 * j + side; // row 2j: z = −r_j u_j, row 2j + 1: z = r_j u_j
                    if ((alone & (1 << side)) != 0) {
                        sampleLogLikelihood[s] = ownTerm; // log p(x) = log π_k N_k(x): one term
                    } else {
                        mixture.transform(c, strata.points[row], x); // x = μ_k + L_k z
                        sampleLogLikelihood[s] = mixture.logLikelihoodWith(c, ownLogDensity, x, bounds);
                    }
                    sampleWeight[s] = mass;
                    order[s] = sortKey(sampleLogLikelihood[s], s);
                    s++;
                }
            }
        }
        Arrays.sort(order); // by log-likelihood (to float precision), then by index: no boxing
        readQuantiles(n, w);
    }

    /** A long that sorts as (float) ℓ, then as the index. */
    private static long sortKey(double logLikelihood, int index) {
        int bits = Float.floatToIntBits((float) logLikelihood);
        bits ^= (bits >> 31) & 0x7fffffff; // negative floats: reverse their order
        return ((long) bits << 32) | index;
    }

    /**
     * ℓ(p_i) from the sorted weighted sample: sample m sits at mid-probability P_m = Σ_{m'<m} w_m' + w_m / 2
     * (of the total weight); ℓ(p_i) interpolates linearly in log P between the samples around p_i.
     */
    private void readQuantiles(int n, Work work) {
        double[] sampleWeight = work.sampleWeight;
        double[] sampleLogLikelihood = work.sampleLogLikelihood;
        long[] order = work.order;
        double total = 0;
        for (int m = 0; m < n; m++) {
            total += sampleWeight[m];
        }
        double inverseTotal = 1.0 / total;
        double below = 0;
        double previousP = 0;
        double previousLl = Double.NaN;
        int level = 0;
        for (int m = 0; m < n && level < LEVELS; m++) {
            int index = (int) order[m];
            double w = sampleWeight[index] * inverseTotal;
            double ll = sampleLogLikelihood[index];
            double p = below + 0.5 * w;
            below += w;
            if (p < LEVELS_BELOW[level]) { // log P < log p_level for sure: no level here, and no logarithm
                previousP = p;
                previousLl = ll;
                continue;
            }
            double logP = Math.log(p);
            double previousLogP = Math.log(previousP); // −∞ before the first sample
            while (level < LEVELS && LOG_LEVELS[level] <= logP) {
                if (Double.isNaN(previousLl)) {
                    quantiles[level] = ll + (LOG_LEVELS[level] - logP); // below the sample: slope dℓ/dlog p = 1
                } else {
                    double t = logP > previousLogP ? (LOG_LEVELS[level] - previousLogP) / (logP - previousLogP) : 1.0;
                    quantiles[level] = previousLl + t * (ll - previousLl);
                }
                level++;
            }
            previousP = p;
            previousLl = ll;
        }
        for (; level < LEVELS; level++) {
            quantiles[level] = previousLl; // p_i above the last sample's mid-probability: the largest ℓ
        }
        for (int i = 1; i < LEVELS; i++) {
            quantiles[i] = Math.max(quantiles[i], quantiles[i - 1]); // float-precision ties: keep it monotone
        }
        quantilesChanged();
    }

    /** log p(ℓ), ≤ 0, finite for finite ℓ (−∞ only for ℓ = −∞). */
    public double logTailProbability(double logLikelihood) {
        double[] q = quantiles;
        if (logLikelihood >= q[LEVELS - 1]) {
            return 0.0;
        }
        if (logLikelihood < q[0]) {
            double slope = 1.0; // dlog p/dℓ of a Gaussian tail, where the first segment is degenerate
            for (int i = 1; i < LEVELS; i++) {
                if (q[i] > q[0]) {
                    slope = (LOG_LEVELS[i] - LOG_LEVELS[0]) / (q[i] - q[0]);
                    break;
                }
            }
            return LOG_LEVELS[0] + slope * (logLikelihood - q[0]); // log p = log p_0 + slope (ℓ − ℓ_0)
        }
        int lo = 0;
        int span = LEVELS - 1; // q[lo] ≤ ℓ < q[lo + span]
        while (span > 1) { // a select, not a branch: which way a point goes is not predictable
            int half = span >>> 1;
            lo = q[lo + half] <= logLikelihood ? lo + half : lo;
            span -= half;
        }
        int hi = lo + 1;
        double t = (logLikelihood - q[lo]) / (q[hi] - q[lo]);
        return LOG_LEVELS[lo] + t * (LOG_LEVELS[hi] - LOG_LEVELS[lo]); // log p linear in ℓ within a segment
    }

    /** 1 − p(ℓ) ∈ [0, 1], rising with abnormality. */
    public double anomalyScore(double logLikelihood) {
        double logP = logTailProbability(logLikelihood);
        // 1 − e^{log p}: below p = e^{−1/2} the subtraction loses under 2 bits (e^{log p} ≤ 0.61), so the exp
        // intrinsic serves most points and expm1 (several times dearer) only the usual ones, where 1 − p is small
        return logP < -0.5 ? 1.0 - Math.exp(logP) : -Math.expm1(logP);
    }

    /** ℓ(p): the log-likelihood below which a fraction p of the model's own points fall, p ∈ [10⁻⁹, 1]. */
    public double quantile(double p) {
        double logP = Math.log(Math.min(1.0, Math.max(p, 1e-9)));
        int i = 0;
        while (i < LEVELS - 2 && LOG_LEVELS[i + 1] < logP) {
            i++;
        }
        double t = (logP - LOG_LEVELS[i]) / (LOG_LEVELS[i + 1] - LOG_LEVELS[i]);
        return quantiles[i] + Math.min(1.0, Math.max(0.0, t)) * (quantiles[i + 1] - quantiles[i]);
    }

    /** The stored quantiles (a copy). */
    public double[] quantiles() {
        return quantiles.clone();
    }
}
