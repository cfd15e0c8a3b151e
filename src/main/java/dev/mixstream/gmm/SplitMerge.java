package dev.mixstream.gmm;

/**
 * Split-and-merge EM (after Ueda, Nakano, Ghahramani &amp; Hinton 2000), for the local optimum EM cannot leave by
 * itself: one component spread over two clusters while two share one. After EM has converged, a pair of components is
 * merged into one (moment-matched), and the component whose points look most like two clusters
 * ({@link #kurtosisDeficit}) is split in two along its principal axis; EM runs from there, and the result is kept only if
 * it is more likely by at least {@link #MIN_GAIN} nats per point. The {@link #CANDIDATES} closest pairs are tried in
 * turn (each with the worst-fitting other component); a kept move starts another round, up to K rounds.
 *
 * <p>Three departures from the paper: the split criterion (the kurtosis along the principal axis instead of the local KL
 * divergence, see {@link #kurtosisDeficit}), all measured on the 8-D test ({@code SplitMergeTest}); pairs ranked by the
 * distance of their means in units of their spread, δ² = ‖μ_i − μ_j‖² / (σ̄_i² + σ̄_j²), not by Ueda's J_merge (the
 * cosine of their responsibility vectors), which is near 0 for two components that halve one cluster with near-hard
 * responsibilities, as in 8 dimensions; and each candidate runs full EM for at most {@link #TRIAL_ITERATIONS} iterations
 * before it is judged (no partial EM on the three components alone): a real escape gains far more than
 * {@link #MIN_GAIN} within them, and a rejected candidate costs a bounded number of iterations — at most
 * CANDIDATES × TRIAL_ITERATIONS = 100 EM iterations for a fit that is already good.
 */
final class SplitMerge {
    /** Candidate triples tried per round. */
    static final int CANDIDATES = 5;
    /** Least gain in mean log-likelihood (nats per point) that keeps a candidate. */
    static final double MIN_GAIN = 1e-3;
    /** EM iterations a candidate gets before it is judged. */
    static final int TRIAL_ITERATIONS = 20;

    private SplitMerge() {
    }

    /**
     * The fit, or a more likely one found by split-and-merge moves (same K, type and points).
     *
     * @param maxIter EM iterations of a kept candidate after its trial
     */
    static BatchEm.Fit improve(double[][] points, BatchEm.Fit fit, double regCovar, int maxIter, double tol) {
        int k = fit.mixture().components();
        if (k < 3 || points.length < 2 * k) {
            return fit;
        }
        BatchEm.Fit best = fit;
        for (int round = 0; round < k; round++) {
            BatchEm.Fit better = oneRound(points, best, regCovar, maxIter, tol);
            if (better == null) {
                break;
            }
            best = better;
        }
        return best;
    }

    /** The first candidate of this round that gains {@link #MIN_GAIN}, or null. */
    private static BatchEm.Fit oneRound(double[][] points, BatchEm.Fit fit, double regCovar, int maxIter, double tol) {
        GaussianMixture g = fit.mixture();
        int k = g.components();
        int n = points.length;
        double[][] gamma = new double[n][k];
        for (int i = 0; i < n; i++) {
            g.score(points[i], gamma[i]);
        }
        double[] total = new double[k];
        for (double[] row : gamma) {
            for (int c = 0; c < k; c++) {
                total[c] += row[c];
            }
        }
        // merge pairs by the distance of their means in units of their spread, closest first
        int pairs = k * (k - 1) / 2;
        double[] distance = new double[pairs];
        int[] first = new int[pairs];
        int[] second = new int[pairs];
        int p = 0;
        for (int a = 0; a < k; a++) {
            for (int b = a + 1; b < k; b++) {
                distance[p] = KMeansPlusPlus.squaredDistance(g.meanArray(a), g.meanArray(b))
                        / (meanVariance(g, a) + meanVariance(g, b)); // δ² = ‖μ_a − μ_b‖² / (σ̄_a² + σ̄_b²)
                first[p] = a;
                second[p] = b;
                p++;
            }
        }
        double[] split = new double[k];
        for (int c = 0; c < k; c++) {
            split[c] = kurtosisDeficit(points, gamma, c, total[c], g);
        }
        Integer[] order = new Integer[pairs];
        for (int i = 0; i < pairs; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (x, y) -> Double.compare(distance[x], distance[y]));
        double before = fit.meanLogLikelihood();
        int tried = 0;
        for (int o = 0; o < pairs && tried < CANDIDATES; o++) {
            int pair = order[o];
            int i = first[pair];
            int j = second[pair];
            int s = -1;
            for (int c = 0; c < k; c++) {
                if (c != i && c != j && (s < 0 || split[c] > split[s])) {
                    s = c;
                }
            }
            tried++;
            GaussianMixture start = g.copy();
            mergeInto(start, i, j, regCovar);
            splitInto(start, s, j, regCovar);
            SufficientStatistics stats = new SufficientStatistics(k, g.dimension(), g.covarianceType());
            BatchEm.iterate(points, start, stats, regCovar, TRIAL_ITERATIONS, tol);
            double trial = start.meanLogLikelihood(points);
            if (trial > before + MIN_GAIN) {
                BatchEm.Loop loop = BatchEm.iterate(points, start, stats, regCovar, maxIter, tol);
                return new BatchEm.Fit(start, stats, start.meanLogLikelihood(points),
                        fit.iterations() + TRIAL_ITERATIONS + loop.iterations(), loop.converged());
            }
        }
        return null;
    }

    /** σ̄² = tr Σ_c / D, the component's average variance per dimension. */
    static double meanVariance(GaussianMixture g, int c) {
        int d = g.dimension();
        double[] cov = g.covarianceArray(c);
        double trace = 0;
        for (int a = 0; a < d; a++) {
            trace += g.covarianceType() == CovarianceType.FULL ? cov[a * d + a] : cov[a];
        }
        return trace / d;
    }

    /**
     * The split criterion: how much component c's points look like two clusters along its principal axis v — the
     * kurtosis of their projections, κ = Σ_n f_nc t_n⁴ / (Σ_n f_nc t_n²)², t_n = vᵀ(x_n − μ_c), f_nc = γ_nc / Σ_m γ_mc, is 3
     * for a Gaussian and falls towards 1 for two separated clusters (two unit clusters 5.6 apart: 1.4); returned as the
     * z-score (3 − κ) / √(24 / n_c), n_c = Σ_m γ_mc. (Ueda's local KL divergence with the points' empirical density, and
     * Mardia's kurtosis over all D dimensions, barely told such a component from a good one in 8 dimensions: the
     * log-likelihood of an ML Gaussian is blind to bimodality, its expected Mahalanobis distance is exactly D.)
     */
    static double kurtosisDeficit(double[][] points, double[][] gamma, int c, double total,
                                          GaussianMixture g) {
        if (!(total > 1)) {
            return Double.NEGATIVE_INFINITY;
        }
        int d = g.dimension();
        double[] v = new double[d];
        principalAxis(g, c, v);
        double[] mu = g.meanArray(c);
        double m2 = 0;
        double m4 = 0;
        for (int n = 0; n < points.length; n++) {
            double f = gamma[n][c] / total;
            if (f > 0) {
                double t = 0;
                for (int a = 0; a < d; a++) {
                    t += v[a] * (points[n][a] - mu[a]);
                }
                m2 += f * t * t;
                m4 += f * t * t * t * t;
            }
        }
        if (!(m2 > 0)) {
            return Double.NEGATIVE_INFINITY;
        }
        return (3 - m4 / (m2 * m2)) / Math.sqrt(24 / total);
    }

    /** Component c's principal axis into v (unit length); returns the variance along it. */
    private static double principalAxis(GaussianMixture g, int c, double[] v) {
        int d = g.dimension();
        double[] cov = g.covarianceArray(c);
        if (g.covarianceType() == CovarianceType.FULL) {
            return principalAxis(cov, d, v);
        }
        int axis = 0;
        for (int a = 1; a < d; a++) {
            if (cov[a] > cov[axis]) {
                axis = a;
            }
        }
        java.util.Arrays.fill(v, 0);
        v[axis] = 1;
        return cov[axis];
    }

    /**
     * Component i becomes the moment-matched merge of i and j: π = π_i + π_j, μ = (π_i μ_i + π_j μ_j) / π,
     * Σ = Σ_{c∈{i,j}} π_c (Σ_c + (μ_c − μ)(μ_c − μ)ᵀ) / π (the diagonal of that for diag, its mean for spherical).
     */
    static void mergeInto(GaussianMixture g, int i, int j, double regCovar) {
        int d = g.dimension();
        double pi = g.weight(i) + g.weight(j);
        double wi = g.weight(i) / pi;
        double wj = g.weight(j) / pi;
        double[] mi = g.meanArray(i);
        double[] mj = g.meanArray(j);
        double[] mu = new double[d];
        for (int a = 0; a < d; a++) {
            mu[a] = wi * mi[a] + wj * mj[a];
        }
        double[] ci = g.covarianceArray(i);
        double[] cj = g.covarianceArray(j);
        CovarianceType type = g.covarianceType();
        if (type == CovarianceType.FULL) {
            double[] merged = new double[d * d];
            for (int a = 0; a < d; a++) {
                for (int b = 0; b < d; b++) {
                    merged[a * d + b] = wi * (ci[a * d + b] + (mi[a] - mu[a]) * (mi[b] - mu[b]))
                            + wj * (cj[a * d + b] + (mj[a] - mu[a]) * (mj[b] - mu[b]));
                }
            }
            System.arraycopy(merged, 0, ci, 0, d * d);
        } else {
            double mean = 0;
            for (int a = 0; a < d; a++) {
                double v = wi * (ci[a] + (mi[a] - mu[a]) * (mi[a] - mu[a])) + wj * (cj[a] + (mj[a] - mu[a]) * (mj[a] - mu[a]));
                ci[a] = v;
                mean += v / d;
            }
            if (type == CovarianceType.SPHERICAL) {
                java.util.Arrays.fill(ci, mean);
            }
        }
        System.arraycopy(mu, 0, mi, 0, d);
        g.setWeight(i, pi);
        g.refactor(i, regCovar);
    }

    /**
     * Component s is split along its principal axis v (variance λ) into s and t: each gets π_s / 2, means μ_s ± ½√λ v,
     * and Σ_s with its variance along v cut to a quarter (Σ_s − ¾ λ v vᵀ; for diag and spherical, that axis's variance
     * or all of them × ¼).
     */
    static void splitInto(GaussianMixture g, int s, int t, double regCovar) {
        int d = g.dimension();
        double[] cov = g.covarianceArray(s);
        CovarianceType type = g.covarianceType();
        double[] v = new double[d];
        double lambda = principalAxis(g, s, v);
        double[] mu = g.meanArray(s);
        double[] muT = g.meanArray(t);
        double step = 0.5 * Math.sqrt(Math.max(lambda, 0));
        for (int a = 0; a < d; a++) {
            muT[a] = mu[a] - step * v[a];
            mu[a] += step * v[a];
        }
        if (type == CovarianceType.FULL) {
            for (int a = 0; a < d; a++) {
                for (int b = 0; b < d; b++) {
                    cov[a * d + b] -= 0.75 * lambda * v[a] * v[b];
                }
                cov[a * d + a] = Math.max(cov[a * d + a], regCovar);
            }
        } else if (type == CovarianceType.DIAG) {
            for (int a = 0; a < d; a++) {
                cov[a] = v[a] == 1 ? Math.max(cov[a] * 0.25, regCovar) : cov[a];
            }
        } else {
            for (int a = 0; a < d; a++) {
                cov[a] = Math.max(cov[a] * 0.25, regCovar);
            }
        }
        System.arraycopy(cov, 0, g.covarianceArray(t), 0, cov.length);
        double half = g.weight(s) / 2;
        g.setWeight(s, half);
        g.setWeight(t, half);
        g.refactor(s, regCovar);
        g.refactor(t, regCovar);
    }

    /** The leading eigenvector of a symmetric D×D matrix (power iteration, 50 steps) into v; returns its eigenvalue. */
    private static double principalAxis(double[] m, int d, double[] v) {
        java.util.Arrays.fill(v, 1 / Math.sqrt(d));
        double[] w = new double[d];
        double lambda = 0;
        for (int it = 0; it < 50; it++) {
            double length = 0;
            for (int a = 0; a < d; a++) {
                double sum = 0;
                for (int b = 0; b < d; b++) {
                    sum += m[a * d + b] * v[b]; // w = M v
                }
                w[a] = sum;
                length += sum * sum;
            }
            length = Math.sqrt(length);
            if (!(length > 0)) {
                return 0;
            }
            lambda = length;
            for (int a = 0; a < d; a++) {
                v[a] = w[a] / length;
            }
        }
        return lambda;
    }
}
