package dev.mixstream.gmm;

import java.util.Arrays;

/**
 * Responsibility-weighted sufficient statistics of a mixture, per component k: the weight
 * s0_k = Σ γ_k, the first moment s1_k = Σ γ_k x and the second moment s2_k = Σ γ_k x xᵀ.
 *
 * <p>They are stored in the equivalent <em>centred</em> form — weight W_k = s0_k, mean
 * m_k = s1_k / s0_k and scatter C_k = s2_k − s0_k m_k m_kᵀ — and updated with West's weighted
 * Welford recurrences and Chan's merge. That gives exactly the stepwise-EM recursion
 * S ← (1−η) S + η s(x) while avoiding the catastrophic cancellation of s2/s0 − μμᵀ when the
 * data sit far from the origin (coordinates of 1e8 with unit spread).
 *
 * <p>FULL keeps the lower triangle of each D×D scatter; DIAG and SPHERICAL keep its diagonal.
 *
 * <p>Decay is lazy: the true statistics are g·(stored weight) and g·(stored scatter) for a common
 * factor g (means are not scaled). Forgetting S ← (1−η) S is then g ← (1−η) g, and a new
 * contribution is divided by g before it is added, so a component that receives nothing costs
 * nothing. Σ_k = C_k / W_k and π_k = W_k / Σ W do not depend on g. When g would fall below
 * {@link #RENORMALISE_BELOW} it is folded into the stored values and reset to 1, which keeps them
 * far from overflow (Σ W = 1 and coordinates are at most 1e100, so stored values stay below
 * 2^256 · 4e200 ≈ 5e277).
 *
 * <p>Each component remembers whether it changed since the last M-step into the same target, so
 * that {@link #maximise} re-computes (and re-factorises) only those; the parameters of a component
 * are a pure function of its stored statistics, so skipping unchanged ones changes no bit.
 */
final class SufficientStatistics {
    final int k;
    final int d;
    final CovarianceType type;
    /** W_k = s0_k. */
    final double[] weight;
    /** m_k = s1_k / s0_k. */
    final double[][] mean;
    /** C_k = s2_k − s0_k m_k m_kᵀ (FULL: lower triangle of D×D row-major; otherwise the diagonal). */
    final double[][] scatter;
    /** g: the true weights and scatters are g times the stored ones. */
    double g = 1.0;
    /** Components changed since the last {@link #maximise} into {@link #maximised}. */
    private final boolean[] changed;
    private GaussianMixture maximised;
    /** When set, single-point steps move the factors of {@link #maximised} by rank-one updates. */
    private IncrementalFactors incremental;
    private final double[] delta;
    /**
     * log W_k of the stored weight {@link #loggedWeight}[k] (NaN: none yet): an M-step takes log π_k = log W_k − log Σ W
     * and computes a logarithm only for the weights that changed (one or two per single-point step, not K).
     */
    private final double[] logWeight;
    private final double[] loggedWeight;

    /** g below which the stored values are rescaled to g = 1. */
    static final double RENORMALISE_BELOW = 0x1p-256;

    SufficientStatistics(int components, int dimension, CovarianceType type) {
        this.k = components;
        this.d = dimension;
        this.type = type;
        this.weight = new double[k];
        this.mean = new double[k][d];
        this.scatter = new double[k][type == CovarianceType.FULL ? d * d : d];
        this.changed = new boolean[k];
        this.delta = new double[d];
        this.logWeight = new double[k];
        this.loggedWeight = new double[k];
        Arrays.fill(loggedWeight, Double.NaN);
        changedAll();
    }

    /**
     * From now on, {@link #accumulate} brings the factors of the mixture last {@link #maximise}d into along by
     * rank-one updates, so that the next M-step refactorises only the components whose update was refused (FULL).
     */
    void trackFactors(IncrementalFactors factors) {
        this.incremental = factors;
    }

    /** The factor tracking in force, or null. */
    IncrementalFactors incrementalFactors() {
        return incremental;
    }

    void reset() {
        Arrays.fill(weight, 0.0);
        for (int c = 0; c < k; c++) {
            Arrays.fill(mean[c], 0.0);
            Arrays.fill(scatter[c], 0.0);
        }
        g = 1.0;
        changedAll();
    }

    /** Marks every component for re-computation at the next M-step. */
    void changedAll() {
        Arrays.fill(changed, true);
    }

    /** Marks component c for re-computation at the next M-step. */
    void changed(int c) {
        changed[c] = true;
    }

    /** Σ_k W_k as stored (the true total is g times this). */
    double totalWeight() {
        double t = 0;
        for (double w : weight) {
            t += w;
        }
        return t;
    }

    /**
     * One stepwise-EM step with the statistics of a single point, S ← (1−η) S + η s(x): the decay is
     * lazy (g ← (1−η) g), then the point is added with weight ηγ_k / g by {@link #accumulate}. In true
     * terms: W' = (1−η)W + ηγ; m' = m + (ηγ/W')(x − m); C' = (1−η)C + ηγ(1 − ηγ/W')(x − m)(x − m)ᵀ.
     */
    void step(double[] x, double[] responsibilities, double eta) {
        decay(eta); // S ← (1−η) S
        accumulate(x, responsibilities, eta / g); // + η s(x), in stored units
    }

    /**
     * Adds one point with weight {@code scale·γ_k} to each component (West's recurrence):
     * W' = W + w; m' = m + (w/W')(x − m); C' = C + w(1 − w/W')(x − m)(x − m)ᵀ.
     */
    void accumulate(double[] x, double[] responsibilities, double scale) {
        for (int c = 0; c < k; c++) {
            double w = scale * responsibilities[c];
            if (w == 0) {
                continue;
            }
            double newWeight = weight[c] + w;
            double ratio = w / newWeight;
            double[] m = mean[c];
            for (int i = 0; i < d; i++) {
                double di = x[i] - m[i];
                delta[i] = di;
                m[i] += ratio * di; // m' = m + (w/W')(x − m)
            }
            addOuter(scatter[c], delta, w * (1 - ratio)); // C' = C + w(1 − w/W') δδᵀ
            weight[c] = newWeight;
            if (changed[c] || incremental == null || maximised == null
                    || !incremental.update(maximised, c, ratio, delta, newWeight)) {
                changed[c] = true; // the next M-step refactorises it
            } else {
                System.arraycopy(m, 0, maximised.meanArray(c), 0, d); // μ = m; Σ moved by the update
            }
        }
    }

    /**
     * One stepwise-EM step S ← (1−η) S + η B, where B are the (averaged) statistics of the latest
     * mini-batch (B itself with g = 1). In centred form (Chan's merge of the two weighted sets
     * a = (1−η)S and b = ηB): W = W_a + W_b; m = m_a + (W_b/W) δ; C = C_a + C_b + (W_a W_b / W) δδᵀ,
     * δ = m_b − m_a. With lazy decay (g ← (1−η) g) a is the stored S itself and b is ηB / g.
     */
    void blend(SufficientStatistics batch, double eta) {
        decay(eta); // S ← (1−η) S
        double f = eta / g; // η / g: B in stored units
        for (int c = 0; c < k; c++) {
            double wb = f * batch.weight[c];
            if (wb == 0) {
                continue;
            }
            merge(c, wb, batch.mean[c], batch.scatter[c], f);
        }
    }

    /**
     * S ← (1−η) S lazily: g ← (1−η) g. When that would fall below {@link #RENORMALISE_BELOW} the new
     * g is folded into the stored values instead (W ← g(1−η)W, C ← g(1−η)C, g ← 1).
     */
    private void decay(double eta) {
        double next = g * (1 - eta);
        if (next < RENORMALISE_BELOW) {
            for (int c = 0; c < k; c++) {
                weight[c] *= next;
                scale(scatter[c], next);
            }
            next = 1.0;
            changedAll();
        }
        g = next;
    }

    /**
     * The statistics of a unit mass of points distributed as {@code p}: W_k = π_k, m_k = μ_k,
     * C_k = π_k (Σ_k − regCovar·I) (the M-step's inverse; a diagonal below regCovar is taken as 0), g = 1.
     */
    void setFrom(GaussianMixture p, double regCovar) {
        g = 1.0;
        double[] pi = p.weights();
        for (int c = 0; c < k; c++) {
            setComponent(c, pi[c], p.meanArray(c), p.covarianceArray(c), regCovar);
        }
        changedAll();
    }

    /**
     * Component c's statistics (stored units) for stored weight w and parameters μ, Σ (the type's covariance storage):
     * W = w, m = μ, C = w (Σ − regCovar·I), a diagonal below regCovar taken as 0.
     */
    void setComponent(int c, double w, double[] mu, double[] cov, double regCovar) {
        weight[c] = w;
        System.arraycopy(mu, 0, mean[c], 0, d);
        double[] sc = scatter[c];
        Arrays.fill(sc, 0.0);
        if (type == CovarianceType.FULL) {
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < i; j++) {
                    sc[i * d + j] = w * cov[i * d + j]; // C_ij = w Σ_ij
                }
                sc[i * d + i] = w * Math.max(0, cov[i * d + i] - regCovar); // C_ii = w (Σ_ii − reg)
            }
        } else {
            for (int i = 0; i < d; i++) {
                sc[i] = w * Math.max(0, cov[i] - regCovar);
            }
        }
        changed[c] = true;
    }

    /** Component c's statistics copied from component {@code from} of {@code o} (same D and type; stored units). */
    void copyComponent(int c, SufficientStatistics o, int from) {
        weight[c] = o.weight[from];
        System.arraycopy(o.mean[from], 0, mean[c], 0, d);
        System.arraycopy(o.scatter[from], 0, scatter[c], 0, scatter[c].length);
        changed[c] = true;
    }

    /**
     * Merges component {@code from} of {@code o} into component c (Chan's merge of two weighted sets):
     * W = W_a + W_b; m = m_a + (W_b/W) δ; C = C_a + C_b + (W_a W_b / W) δδᵀ, δ = m_b − m_a.
     */
    void mergeComponent(int c, SufficientStatistics o, int from) {
        merge(c, o.weight[from], o.mean[from], o.scatter[from], 1.0);
    }

    /**
     * Chan's merge into component c of a weighted set b (weight W_b, mean m_b, scatter f·C_b):
     * W = W_a + W_b; m = m_a + (W_b/W) δ; C = C_a + f C_b + (W_a W_b / W) δδᵀ, δ = m_b − m_a.
     */
    private void merge(int c, double wb, double[] mb, double[] cb, double f) {
        double wa = weight[c];
        double w = wa + wb;
        double[] ma = mean[c];
        for (int i = 0; i < d; i++) {
            double di = mb[i] - ma[i];
            delta[i] = di;
            ma[i] += (wb / w) * di; // m = m_a + (W_b/W) δ
        }
        addScaled(scatter[c], cb, f); // C_a + f C_b
        addOuter(scatter[c], delta, wa * wb / w); // + (W_a W_b / W) δδᵀ
        weight[c] = w;
        changed[c] = true;
    }

    /** Rescales the weights (and scatters) so that Σ_k W_k = 1 with g = 1; means are unchanged. */
    void normalise() {
        double total = totalWeight();
        if (!(total > 0)) {
            return;
        }
        double f = 1.0 / total;
        for (int c = 0; c < k; c++) {
            weight[c] *= f;
            scale(scatter[c], f);
        }
        g = 1.0;
        changedAll();
    }

    /**
     * M-step into {@code target}: π_k = W_k / Σ W, μ_k = m_k, Σ_k = C_k / W_k + regCovar·I
     * (SPHERICAL: σ_k² = tr(C_k / W_k) / D + regCovar). Every W_k must be > 0. Means and covariances
     * are only re-computed for components that changed since the last M-step into the same target.
     */
    void maximise(GaussianMixture target, double regCovar) {
        double total = totalWeight();
        double inverseTotal = 1.0 / total;
        double logTotal = Math.log(total);
        if (target != maximised) {
            changedAll();
            maximised = target;
        }
        for (int c = 0; c < k; c++) {
            double w = weight[c];
            if (!(w == loggedWeight[c])) { // a pure function of the stored weight: remembered, no bit changes
                logWeight[c] = Math.log(w);
                loggedWeight[c] = w;
            }
            target.setWeight(c, w * inverseTotal, logWeight[c] - logTotal); // π_k = W_k / Σ W, log π_k = log W_k − log Σ W
            if (!changed[c]) {
                continue;
            }
            changed[c] = false;
            System.arraycopy(mean[c], 0, target.meanArray(c), 0, d);
            double[] cov = target.covarianceToOverwrite(c);
            double[] s = scatter[c];
            double inv = 1.0 / w;
            switch (type) {
                case FULL -> {
                    for (int i = 0; i < d; i++) {
                        for (int j = 0; j < i; j++) {
                            double v = s[i * d + j] * inv; // Σ_ij = C_ij / W
                            cov[i * d + j] = v;
                            cov[j * d + i] = v;
                        }
                        cov[i * d + i] = s[i * d + i] * inv + regCovar; // Σ_ii = C_ii / W + reg
                    }
                }
                case DIAG -> {
                    for (int i = 0; i < d; i++) {
                        cov[i] = s[i] * inv + regCovar;
                    }
                }
                case SPHERICAL -> {
                    double trace = 0;
                    for (int i = 0; i < d; i++) {
                        trace += s[i];
                    }
                    Arrays.fill(cov, trace * inv / d + regCovar); // σ² = tr(C)/(W·D) + reg
                }
            }
            target.refactor(c, regCovar);
            if (incremental != null) {
                incremental.refactored(c, w);
            }
        }
    }

    /** C += a·δδᵀ (lower triangle for FULL, diagonal otherwise). */
    void addOuter(double[] c, double[] v, double a) {
        if (type == CovarianceType.FULL) {
            for (int i = 0; i < d; i++) {
                double avi = a * v[i];
                int row = i * d;
                for (int j = 0; j <= i; j++) {
                    c[row + j] += avi * v[j];
                }
            }
        } else {
            for (int i = 0; i < d; i++) {
                c[i] += a * v[i] * v[i];
            }
        }
    }

    /** C += f·B (lower triangle for FULL, diagonal otherwise). */
    private void addScaled(double[] c, double[] b, double f) {
        if (type == CovarianceType.FULL) {
            for (int i = 0; i < d; i++) {
                int row = i * d;
                for (int j = row; j <= row + i; j++) {
                    c[j] += f * b[j];
                }
            }
        } else {
            for (int i = 0; i < d; i++) {
                c[i] += f * b[i];
            }
        }
    }

    static void scale(double[] a, double f) {
        for (int i = 0; i < a.length; i++) {
            a[i] *= f;
        }
    }

    void copyFrom(SufficientStatistics o) {
        System.arraycopy(o.weight, 0, weight, 0, k);
        for (int c = 0; c < k; c++) {
            System.arraycopy(o.mean[c], 0, mean[c], 0, d);
            System.arraycopy(o.scatter[c], 0, scatter[c], 0, scatter[c].length);
        }
        g = o.g;
        changedAll();
    }

    /** Copies {@code o} with its component c stored at index {@code target[c]}. */
    void copyPermuted(SufficientStatistics o, int[] target) {
        for (int c = 0; c < k; c++) {
            int t = target[c];
            weight[t] = o.weight[c];
            System.arraycopy(o.mean[c], 0, mean[t], 0, d);
            System.arraycopy(o.scatter[c], 0, scatter[t], 0, scatter[t].length);
        }
        g = o.g;
        changedAll();
    }
}
