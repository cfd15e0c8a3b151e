package dev.mixstream.gmm;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.decomposition.chol.CholeskyDecompositionInner_DDRM;

import java.util.Arrays;

/**
 * The parameters of a Gaussian mixture — weights π, means μ and covariances Σ — with each Σ_k kept
 * as its Cholesky factor and log-determinant so that the E-step costs O(K·D²) and never forms an
 * inverse or a determinant.
 *
 * <p>Instances own work arrays and are not thread-safe.
 */
public final class GaussianMixture {
    private static final double LOG_2PI = Math.log(2 * Math.PI);

    private final int k;
    private final int d;
    private final CovarianceType type;
    private final double[] weights;
    private final double[] logWeights;
    private final double[][] means;
    /** FULL: the D×D symmetric Σ_k row-major; DIAG and SPHERICAL: the D variances. */
    private final double[][] covariances;
    /** FULL: lower Cholesky factor L_k (Σ_k = L_k L_kᵀ) row-major; DIAG and SPHERICAL: σ_k per dimension. */
    private final double[][] factors;
    /** FULL: 1 / L_k,ii; DIAG and SPHERICAL: 1 / σ_k per dimension (multiplications in the E-step). */
    private final double[][] inverseDiagonals;
    /** log |Σ_k| = 2 Σ_i log L_k,ii. */
    private final double[] logDets;
    /** FULL: each factor array wrapped as a matrix, decomposed in place. */
    private final DMatrixRMaj[] factorMatrices;
    /**
     * FULL: true when the factor was moved by {@link #rankOneUpdate} and the covariance array is not yet
     * L Lᵀ; readers of the covariance recompute it first ({@link #syncCovariance}).
     */
    private final boolean[] covarianceStale;

    // work arrays
    private final double[] diff;
    private final double[] logProb;
    private final double[] scratchResp;
    private final CholeskyDecompositionInner_DDRM chol;

    /** An all-unit mixture to be filled by an M-step: uniform weights, zero means, identity covariances. */
    GaussianMixture(int components, int dimension, CovarianceType type) {
        this.k = components;
        this.d = dimension;
        this.type = type;
        this.weights = new double[k];
        this.logWeights = new double[k];
        this.means = new double[k][d];
        this.covariances = new double[k][type == CovarianceType.FULL ? d * d : d];
        this.factors = new double[k][type == CovarianceType.FULL ? d * d : d];
        this.inverseDiagonals = new double[k][d];
        this.logDets = new double[k];
        this.factorMatrices = new DMatrixRMaj[type == CovarianceType.FULL ? k : 0];
        for (int c = 0; c < factorMatrices.length; c++) {
            factorMatrices[c] = DMatrixRMaj.wrap(d, d, factors[c]);
        }
        this.covarianceStale = new boolean[k];
        this.diff = new double[d];
        this.logProb = new double[k];
        this.scratchResp = new double[k];
        this.chol = type == CovarianceType.FULL ? new CholeskyDecompositionInner_DDRM(true) : null;
        for (int c = 0; c < k; c++) {
            weights[c] = 1.0 / k;
            logWeights[c] = Math.log(weights[c]);
            if (type == CovarianceType.FULL) {
                for (int i = 0; i < d; i++) {
                    covariances[c][i * d + i] = 1.0;
                }
            } else {
                Arrays.fill(covariances[c], 1.0);
            }
            refactor(c, 0.0);
        }
    }

    /**
     * A mixture from explicit parameters (e.g. a snapshot). Covariances are full D×D matrices whatever
     * the type; for DIAG only the diagonal is used, for SPHERICAL the mean of the diagonal (taken as
     * is when all diagonal entries are equal). Weights are
     * divided by their sum unless that sum is already 1 up to rounding (K·2⁻⁵²), so that the weights of
     * a mixture (e.g. from a snapshot) are taken over exactly.
     *
     * @throws IllegalArgumentException if shapes disagree, a value is not finite, weights are not
     *                                  positive, or a covariance is not positive definite
     */
    public static GaussianMixture of(CovarianceType type, double[] weights, double[][] means, double[][][] covariances) {
        int k = weights.length;
        if (k == 0 || means.length != k || covariances.length != k) {
            throw new IllegalArgumentException("weights, means and covariances must all have K > 0 entries");
        }
        int d = means[0].length;
        if (d == 0) {
            throw new IllegalArgumentException("dimension must be > 0");
        }
        GaussianMixture m = new GaussianMixture(k, d, type);
        double total = 0;
        for (double w : weights) {
            if (!(w > 0) || !Double.isFinite(w)) {
                throw new IllegalArgumentException("weights must be finite and > 0");
            }
            total += w;
        }
        boolean normalised = Math.abs(total - 1) <= k * 0x1p-52;
        for (int c = 0; c < k; c++) {
            requireFiniteOfDimension(c, means[c], covariances[c], d);
            m.weights[c] = normalised ? weights[c] : weights[c] / total;
            m.logWeights[c] = Math.log(m.weights[c]);
            System.arraycopy(means[c], 0, m.means[c], 0, d);
            storeCovariance(type, covariances[c], m.covariances[c], d);
            if (!m.factorize(c)) {
                throw new IllegalArgumentException("covariance of component " + c + " is not positive definite");
            }
        }
        return m;
    }
    /** Checks one component's mean (D finite numbers) and covariance (D×D finite numbers). */
    private static void requireFiniteOfDimension(int c, double[] mean, double[][] covariance, int d) {
        if (mean.length != d || covariance.length != d) {
            throw new IllegalArgumentException("component " + c + " does not have dimension " + d);
        }
        for (int i = 0; i < d; i++) {
            if (!Double.isFinite(mean[i])) {
                throw new IllegalArgumentException("mean of component " + c + " is not finite");
            }
            if (covariance[i].length != d) {
                throw new IllegalArgumentException("covariance of component " + c + " is not " + d + "x" + d);
            }
            for (int j = 0; j < d; j++) {
                if (!Double.isFinite(covariance[i][j])) {
                    throw new IllegalArgumentException("covariance of component " + c + " is not finite");
                }
            }
        }
    }

    /** A D×D covariance in the storage of the type: symmetrised full matrix, its diagonal, or σ² = tr(Σ)/D. */
    private static void storeCovariance(CovarianceType type, double[][] covariance, double[] cov, int d) {
        switch (type) {
            case FULL -> {
                for (int i = 0; i < d; i++) {
                    for (int j = 0; j < d; j++) {
                        cov[i * d + j] = 0.5 * (covariance[i][j] + covariance[j][i]);
                    }
                }
            }
            case DIAG -> {
                for (int i = 0; i < d; i++) {
                    cov[i] = covariance[i][i];
                }
            }
            case SPHERICAL -> {
                double trace = 0;
                boolean equal = true;
                for (int i = 0; i < d; i++) {
                    trace += covariance[i][i];
                    equal &= covariance[i][i] == covariance[0][0];
                }
                Arrays.fill(cov, equal ? covariance[0][0] : trace / d); // σ² = tr(Σ)/D, exact when equal
            }
        }
    }


    /** A deep copy with its own work arrays. */
    public GaussianMixture copy() {
        GaussianMixture m = new GaussianMixture(k, d, type);
        for (int c = 0; c < k; c++) {
            m.weights[c] = weights[c];
            m.logWeights[c] = logWeights[c];
            System.arraycopy(means[c], 0, m.means[c], 0, d);
            syncCovariance(c);
            System.arraycopy(covariances[c], 0, m.covariances[c], 0, covariances[c].length);
            System.arraycopy(factors[c], 0, m.factors[c], 0, factors[c].length);
            System.arraycopy(inverseDiagonals[c], 0, m.inverseDiagonals[c], 0, d);
            m.logDets[c] = logDets[c];
        }
        return m;
    }

    /** K. */
    public int components() {
        return k;
    }

    /** D. */
    public int dimension() {
        return d;
    }

    public CovarianceType covarianceType() {
        return type;
    }

    /** π_k. */
    public double weight(int c) {
        return weights[c];
    }

    /** log π_c, as the E-step uses it. */
    double logWeight(int c) {
        return logWeights[c];
    }

    /** A copy of the weights. */
    public double[] weights() {
        return weights.clone();
    }

    /** A copy of μ_k. */
    public double[] mean(int c) {
        return means[c].clone();
    }

    /** Σ_k as a full D×D matrix (a copy), whatever the covariance type. */
    public double[][] covariance(int c) {
        syncCovariance(c);
        double[][] out = new double[d][d];
        for (int i = 0; i < d; i++) {
            if (type == CovarianceType.FULL) {
                System.arraycopy(covariances[c], i * d, out[i], 0, d);
            } else {
                out[i][i] = covariances[c][i];
            }
        }
        return out;
    }

    /** log |Σ_k|, from the Cholesky factor. */
    public double logDeterminant(int c) {
        return logDets[c];
    }

    /**
     * E-step for one point: writes γ_k = π_k N(x|μ_k,Σ_k) / Σ_j π_j N(x|μ_j,Σ_j) into
     * {@code responsibilities} (length ≥ K) and returns log p(x) = log Σ_k π_k N(x|μ_k,Σ_k).
     * Computed in log space with log-sum-exp, so points far from every component still get finite
     * values that sum to 1.
     *
     * <p>Negligible components are pruned: every component's substitution stops as soon as its partial
     * Mahalanobis sum (which only grows) proves π_k N_k &lt; 2⁻⁶⁴ of the largest term found so far. Such a
     * component gets γ_k = 0 exactly; below 2⁻⁶⁴ its term could not move log p(x) by more than the last bit,
     * so log p(x) and the other γ_k are the exact ones to rounding. With full covariances the component whose
     * mean is nearest in Euclidean distance (an O(K·D) pass against the O(K·D²) E-step) is scored first, so
     * that the far ones cost a few rows each instead of D²/2; with diagonal ones, whose E-step is O(K·D)
     * itself, the components are taken in order.
     */
    public double score(double[] x, double[] responsibilities) {
        int first = k == 1 || type != CovarianceType.FULL ? 0 : nearestMean(x);
        double max = termsAfter(first, logDensity(first, x), x, null);
        if (Double.isInfinite(max)) { // no finite term: log p(x) = max, as LogSumExp.logSumExp
            for (int c = 0; c < k; c++) {
                responsibilities[c] = Math.exp(logProb[c] - max);
            }
            return max;
        }
        double sum = 0;
        for (int c = 0; c < k; c++) {
            double e = Math.exp(logProb[c] - max); // π_k N_k / max_j π_j N_j (0 when pruned)
            responsibilities[c] = e;
            sum += e;
        }
        double inverse = 1.0 / sum;
        for (int c = 0; c < k; c++) {
            responsibilities[c] *= inverse; // γ_k = π_k N_k / Σ_j π_j N_j
        }
        return max + Math.log(sum); // log p(x) = max + log Σ_j exp(log π_j N_j − max)
    }

    /**
     * True when, for every point x = μ_own + L_own z with ‖z‖ ≤ {@code radius}, every other component's term is
     * proven below 2⁻⁶⁴ of {@code ownTerm} (log π_own N(x|μ_own,Σ_own), or less): a whole stratum alone with its
     * component, in O(K), without computing its points. By the triangle inequality
     * ‖x − μ_k‖ ≥ ‖μ_own − μ_k‖ − ‖L_own‖₂ ‖z‖, and ‖L_k⁻¹ (x − μ_k)‖² ≥ ‖x − μ_k‖² / λ_max(Σ_k).
     *
     * @param spectralBounds {@link #spectralBounds}' λ_max bounds
     * @param meanDistances  {@link #meanDistances}' ‖μ_j − μ_k‖ (K × K, row-major)
     */
    boolean othersNegligible(int own, double radius, double ownTerm, double[] spectralBounds, double[] meanDistances) {
        double reach = Math.sqrt(spectralBounds[own]) * radius; // ‖L_own z‖ ≤ this
        for (int c = 0; c < k; c++) {
            if (c == own) {
                continue;
            }
            double gap = meanDistances[own * k + c] - reach; // ‖x − μ_c‖ ≥ this
            double floor = ownTerm - NEGLIGIBLE_LOG_RATIO - logWeights[c];
            double limit = -2 * floor - (d * LOG_2PI + logDets[c]); // log N_c < floor ⇔ ‖L_c⁻¹ (x − μ_c)‖² > limit
            if (!(gap > 0 && gap * gap * (1 - 0x1p-30) > limit * spectralBounds[c])) {
                return false;
            }
        }
        return true;
    }

    /** ‖μ_j − μ_k‖ for all pairs, into {@code out} (K × K, row-major). */
    void meanDistances(double[] out) {
        for (int j = 0; j < k; j++) {
            out[j * k + j] = 0;
            for (int c = j + 1; c < k; c++) {
                double distance = Math.sqrt(squaredDistance(means[j], means[c]));
                out[j * k + c] = distance;
                out[c * k + j] = distance;
            }
        }
    }

    /**
     * Which of the two points x = μ_own ∓ y (a stratum's antithetic pair, y = L_own z) have every other component's
     * term proven below 2⁻⁶⁴ of {@code ownTerm} (log π_own N(x|μ_own,Σ_own)), so that log p(x) is that term alone:
     * ‖x − μ_k‖² = ‖e‖² + ‖y‖² ∓ 2 e·y with e = μ_own − μ_k, for both points in one O(D) pass per component, and
     * ‖L_k⁻¹ (x − μ_k)‖² ≥ ‖x − μ_k‖² / λ_max(Σ_k).
     *
     * @param spectralBounds {@link #spectralBounds}' λ_max bounds
     * @return bit 0 set: x = μ − y is alone; bit 1: x = μ + y
     */
    int aloneOfPair(int own, double[] y, double ownTerm, double[] spectralBounds) {
        double[] mu = means[own];
        double yy = 0;
        for (int i = 0; i < d; i++) {
            yy += y[i] * y[i];
        }
        int alone = 3;
        for (int c = 0; c < k && alone != 0; c++) {
            if (c == own) {
                continue;
            }
            double[] m = means[c];
            double ee = 0;
            double ey = 0;
            for (int i = 0; i < d; i++) {
                double e = mu[i] - m[i];
                ee += e * e;
                ey += e * y[i];
            }
            double floor = ownTerm - NEGLIGIBLE_LOG_RATIO - logWeights[c]; // log π_c N_c below this: negligible
            // log N_c < floor ⇐ ‖x − μ_c‖² / λ_max > −2·floor − D log 2π − log|Σ_c|
            double limit = (-2 * floor - (d * LOG_2PI + logDets[c])) * spectralBounds[c];
            double slack = 0x1p-40 * (ee + yy + 2 * Math.abs(ey)); // the expansion's rounding, from above
            if (!(ee + yy - 2 * ey - slack > limit)) {
                alone &= ~1;
            }
            if (!(ee + yy + 2 * ey - slack > limit)) {
                alone &= ~2;
            }
        }
        return alone;
    }

    /** y = L_c z (FULL; σ_c ⊙ z otherwise): {@link #transform} without the mean. */
    void factorTimes(int c, double[] z, double[] out) {
        double[] f = factors[c];
        if (type == CovarianceType.FULL) {
            for (int i = 0; i < d; i++) {
                int row = i * d;
                double v = 0;
                for (int j = 0; j <= i; j++) {
                    v += f[row + j] * z[j];
                }
                out[i] = v;
            }
        } else {
            for (int i = 0; i < d; i++) {
                out[i] = f[i] * z[i];
            }
        }
    }

    /**
     * log p(x) of a point of component {@code own} whose log N(x|μ_own,Σ_own) the caller knows (e.g. x = μ + L z,
     * where it is −½ (D log 2π + log|Σ| + ‖z‖²) without a substitution): that term first, the others pruned
     * against it as in {@link #score}.
     */
    double logLikelihoodWith(int own, double ownLogDensity, double[] x, double[] spectralBounds) {
        double max = termsAfter(own, ownLogDensity, x, spectralBounds);
        double sum = 0;
        for (int c = 0; c < k; c++) {
            if (logProb[c] != Double.NEGATIVE_INFINITY) {
                sum += Math.exp(logProb[c] - max);
            }
        }
        return max + Math.log(sum); // log p(x) = max + log Σ_j exp(log π_j N_j − max)
    }

    /**
     * Per component an upper bound of Σ_k's largest eigenvalue, for {@link #logLikelihoodWith}: FULL ‖L‖₁ ‖L‖_∞
     * (≥ ‖L‖₂² = λ_max(Σ)), otherwise max σ_i².
     */
    void spectralBounds(double[] out) {
        for (int c = 0; c < k; c++) {
            double[] f = factors[c];
            if (type == CovarianceType.FULL) {
                double rows = 0;
                double columns = 0;
                for (int i = 0; i < d; i++) {
                    double row = 0;
                    double column = 0;
                    for (int j = 0; j <= i; j++) {
                        row += Math.abs(f[i * d + j]);
                    }
                    for (int j = i; j < d; j++) {
                        column += Math.abs(f[j * d + i]);
                    }
                    rows = Math.max(rows, row);
                    columns = Math.max(columns, column);
                }
                out[c] = rows * columns * (1 + 0x1p-40); // ‖L‖_∞ ‖L‖₁, rounded up
            } else {
                double largest = 0;
                for (int i = 0; i < d; i++) {
                    largest = Math.max(largest, f[i] * f[i]);
                }
                out[c] = largest * (1 + 0x1p-40);
            }
        }
    }

    /** ‖x − μ‖². */
    private double squaredDistance(double[] x, double[] mu) {
        double distance = 0;
        for (int i = 0; i < d; i++) {
            double r = x[i] - mu[i];
            distance += r * r;
        }
        return distance;
    }

    /**
     * Fills {@link #logProb} with log π_k N(x|μ_k,Σ_k), component {@code first}'s density given, the others −∞ where
     * pruned (below 2⁻⁶⁴ of the largest term found before them), and returns the largest. With
     * {@code spectralBounds} ({@link #spectralBounds}, or null) a component is pruned in O(D) where
     * ‖x − μ_k‖² / λ_max(Σ_k), a lower bound of its Mahalanobis distance, already proves it negligible.
     */
    private double termsAfter(int first, double firstLogDensity, double[] x, double[] spectralBounds) {
        double max = logWeights[first] + firstLogDensity; // log π_f + log N(x|μ_f,Σ_f)
        logProb[first] = max;
        for (int c = 0; c < k; c++) {
            if (c == first) {
                continue;
            }
            double floor = max - NEGLIGIBLE_LOG_RATIO - logWeights[c]; // log π_k N_k below max − 64 ln 2: γ_k = 0
            if (spectralBounds != null // log N_k < floor ⇔ ‖L_k⁻¹ (x − μ_k)‖² > −2·floor − D log 2π − log|Σ_k|
                    && squaredDistance(x, means[c]) > (-2 * floor - (d * LOG_2PI + logDets[c])) * spectralBounds[c]) {
                logProb[c] = Double.NEGATIVE_INFINITY;
                continue;
            }
            double lp = logWeights[c] + logDensityAbove(c, x, floor);
            logProb[c] = lp;
            if (lp > max) {
                max = lp;
            }
        }
        return max;
    }

    /** log N(μ_k + L_k z | μ_k, Σ_k) = −½ (D log 2π + log|Σ_k| + ‖z‖²): no substitution needed. */
    double logDensityAt(int c, double squaredNorm) {
        return -0.5 * (d * LOG_2PI + logDets[c] + squaredNorm);
    }

    /** ln 2⁶⁴: a term this far below another is below the last bit of their sum. */
    static final double NEGLIGIBLE_LOG_RATIO = 64 * Math.log(2);

    /** The component whose mean is nearest x in Euclidean distance (lowest index on ties). */
    private int nearestMean(double[] x) {
        int best = 0;
        double bestDistance = Double.POSITIVE_INFINITY;
        for (int c = 0; c < k; c++) {
            double[] mu = means[c];
            double distance = 0;
            for (int i = 0; i < d; i++) {
                double r = x[i] - mu[i];
                distance += r * r; // ‖x − μ_k‖²
            }
            if (distance < bestDistance) {
                best = c;
                bestDistance = distance;
            }
        }
        return best;
    }

    /** log p(x) for one point. */
    public double logLikelihood(double[] x) {
        return score(x, scratchResp);
    }

    /** Mean of log p(x) over the points. */
    public double meanLogLikelihood(double[][] points) {
        double total = 0;
        for (double[] x : points) {
            total += logLikelihood(x);
        }
        return total / points.length;
    }

    /** log N(x | μ_k, Σ_k) = −½ (D log 2π + log|Σ_k| + ‖L_k⁻¹ (x − μ_k)‖²). */
    public double logDensity(int c, double[] x) {
        return logDensityAbove(c, x, Double.NEGATIVE_INFINITY);
    }

    /**
     * log N(x | μ_k, Σ_k) as {@link #logDensity}, or −∞ as soon as the partial Mahalanobis sum shows it is
     * below {@code floor}: the sum of z_i² only grows, so the substitution stops there. With floor = −∞
     * the exact value, bit for bit.
     */
    double logDensityAbove(int c, double[] x, double floor) {
        double[] mu = means[c];
        double[] inv = inverseDiagonals[c];
        double constant = d * LOG_2PI + logDets[c];
        double limit = -2 * floor - constant; // log N < floor ⇔ ‖z‖² > −2·floor − D log 2π − log|Σ|
        double mahalanobis = 0;
        if (type == CovarianceType.FULL) {
            double[] l = factors[c];
            double[] z = diff;
            for (int i = 0; i < d; i++) {
                int row = i * d;
                double r = x[i] - mu[i];
                for (int j = 0; j < i; j++) {
                    r -= l[row + j] * z[j];
                }
                double zi = r * inv[i]; // z = L⁻¹ (x − μ) by forward substitution
                z[i] = zi;
                mahalanobis += zi * zi;
                if (mahalanobis > limit) {
                    return Double.NEGATIVE_INFINITY;
                }
            }
        } else {
            for (int i = 0; i < d; i++) {
                double z = (x[i] - mu[i]) * inv[i]; // z_i = (x_i − μ_i) / σ_i
                mahalanobis += z * z;
                if (mahalanobis > limit) {
                    return Double.NEGATIVE_INFINITY;
                }
            }
        }
        return -0.5 * (constant + mahalanobis);
    }

    /**
     * Draws one point: a component k with probability π_k, then x = μ_k + L_k z with z ~ N(0, I).
     *
     * @return the component drawn
     */
    public int sample(java.util.random.RandomGenerator rng, double[] out) {
        double u = rng.nextDouble();
        int c = k - 1;
        double cumulative = 0;
        for (int j = 0; j < k; j++) {
            cumulative += weights[j];
            if (u < cumulative) {
                c = j;
                break;
            }
        }
        for (int i = 0; i < d; i++) {
            diff[i] = rng.nextGaussian();
        }
        transform(c, diff, out);
        return c;
    }

    /** x = μ_k + L_k z (FULL; σ_k ⊙ z otherwise): the point of component c at standard coordinates z. */
    void transform(int c, double[] z, double[] out) {
        double[] f = factors[c];
        double[] mu = means[c];
        if (type == CovarianceType.FULL) {
            for (int i = 0; i < d; i++) {
                double v = mu[i];
                int row = i * d;
                for (int j = 0; j <= i; j++) {
                    v += f[row + j] * z[j]; // x = μ + L z
                }
                out[i] = v;
            }
        } else {
            for (int i = 0; i < d; i++) {
                out[i] = mu[i] + f[i] * z[i]; // x = μ + σ ⊙ z
            }
        }
    }

    /** σ_k,i = √Σ_k,ii, the standard deviation of coordinate i under component c. */
    public double standardDeviation(int c, int i) {
        syncCovariance(c);
        return Math.sqrt(type == CovarianceType.FULL ? covariances[c][i * d + i] : covariances[c][i]);
    }

    // ---- package-private mutation used by the M-step -------------------------------------------

    double[] meanArray(int c) {
        return means[c];
    }

    /** Σ_k's storage, up to date, to read or to write (a writer then calls {@link #refactor}). */
    double[] covarianceArray(int c) {
        syncCovariance(c);
        return covariances[c];
    }

    /** Σ_k's storage for a caller that overwrites all of it and then calls {@link #refactor}. */
    double[] covarianceToOverwrite(int c) {
        covarianceStale[c] = false;
        return covariances[c];
    }

    /** L_k's storage (FULL: row-major lower triangle; otherwise σ per dimension), for the state codec. */
    double[] factorArray(int c) {
        return factors[c];
    }

    /**
     * Takes a factor written into {@link #factorArray} as L_k (FULL): 1/L_ii and log|Σ_k| from it, Σ_k = L_k L_kᵀ
     * when next read.
     *
     * @return false if a diagonal entry of the factor is not a finite positive number
     */
    boolean factorWritten(int c) {
        covarianceStale[c] = true;
        return fromFactor(c, d + 1);
    }

    /**
     * Moves component c to Σ' = (1−r) Σ + r(1−r) δδᵀ in O(D²) (FULL only), the covariance one point of
     * relative weight r and offset δ = x − μ_old gives when nothing else changes: L' = √(1−r) · chol(L Lᵀ + r δδᵀ),
     * by the rank-one Cholesky update in product form (Gill, Golub, Murray and Saunders 1974, method C1):
     * with v = √r δ, p = L⁻¹ v and I + ppᵀ = T Tᵀ, chol(L Lᵀ + vvᵀ) = L T, where T is lower triangular with
     * T_jj = β_j / β_{j−1}, T_ij = p_i p_j / (β_{j−1} β_j) (i &gt; j) and β_j² = 1 + Σ_{m≤j} p_m². Column j of L T is
     * L_:j T_jj + w⁽ʲ⁾ p_j / (β_{j−1} β_j), with w⁽ʲ⁾ = v − Σ_{m≤j} L_:m p_m the forward substitution's running
     * remainder, so one pass does both. Unlike one Givens rotation per column (LINPACK dchud), whose square root and
     * division sit between one column and the next, only the substitution (one multiply-add per column) carries
     * over: the square roots and divisions of the columns overlap. The mean is not touched; the covariance array
     * is recomputed from L' when next read.
     *
     * @param work D doubles, overwritten
     * @return false if the result is not a finite positive-definite factor (the caller then refactors from
     * the statistics); the factor is then undefined
     */
    boolean rankOneUpdate(int c, double r, double[] delta, double[] work) {
        double[] l = factors[c];
        double[] inv = inverseDiagonals[c];
        double root = Math.sqrt(r);
        for (int i = 0; i < d; i++) {
            work[i] = root * delta[i]; // w⁽⁻¹⁾ = v = √r δ
        }
        double shrink = Math.sqrt(1 - r); // √(1−r) scales every entry of L'
        double betaSquared = 1; // β_{j−1}²
        double inverseBeta = 1; // 1 / β_{j−1}
        for (int j = 0; j < d; j++) {
            double p = work[j] * inv[j]; // p_j = w_j / L_jj (forward substitution, with the old L_jj)
            betaSquared += p * p; // β_j² = β_{j−1}² + p_j²
            double beta = Math.sqrt(betaSquared);
            double inverseNext = 1.0 / beta;
            double diagonal = shrink * beta * inverseBeta; // √(1−r) T_jj
            double offDiagonal = shrink * p * inverseBeta * inverseNext; // √(1−r) p_j / (β_{j−1} β_j)
            int jj = j * d + j;
            l[jj] *= diagonal;
            inv[j] = 1.0 / l[jj]; // 1 / L'_jj, as a factorisation computes it
            for (int i = j + 1; i < d; i++) {
                int ij = i * d + j;
                double lij = l[ij];
                double wi = work[i] - lij * p; // w_i⁽ʲ⁾ = w_i⁽ʲ⁻¹⁾ − L_ij p_j
                work[i] = wi;
                l[ij] = diagonal * lij + offDiagonal * wi; // L'_ij = √(1−r) (L_ij T_jj + w_i⁽ʲ⁾ p_j / (β_{j−1} β_j))
            }
            inverseBeta = inverseNext;
        }
        covarianceStale[c] = true;
        return logDeterminantFromFactor(c, d + 1);
    }

    /** Σ_k = L_k L_kᵀ into the covariance array, when {@link #rankOneUpdate} left it behind. */
    private void syncCovariance(int c) {
        if (!covarianceStale[c]) {
            return;
        }
        double[] l = factors[c];
        double[] cov = covariances[c];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j <= i; j++) {
                double v = 0;
                for (int m = 0; m <= j; m++) {
                    v += l[i * d + m] * l[j * d + m]; // Σ_ij = Σ_m L_im L_jm
                }
                cov[i * d + j] = v;
                cov[j * d + i] = v;
            }
        }
        covarianceStale[c] = false;
    }

    void setWeight(int c, double w) {
        setWeight(c, w, Math.log(w));
    }

    /** π_c = w with its logarithm as the caller computed it. */
    void setWeight(int c, double w, double logW) {
        weights[c] = w;
        logWeights[c] = logW;
    }

    /**
     * Recomputes the Cholesky factor of component c after its covariance array was written. If the
     * matrix is not numerically positive definite, a growing jitter (from {@code floor}, or a
     * tiny fraction of the trace) is added to its diagonal until it is; the covariance array is
     * updated accordingly so that parameters and factor always agree.
     */
    void refactor(int c, double floor) {
        covarianceStale[c] = false;
        if (factorize(c)) {
            return;
        }
        double[] cov = covariances[c];
        int stride = type == CovarianceType.FULL ? d + 1 : 1;
        double trace = 0;
        for (int i = 0; i < d; i++) {
            trace += Math.abs(cov[i * stride]);
        }
        double jitter = Math.max(Math.max(floor, 1e-12 * trace / d), Double.MIN_NORMAL);
        for (int attempt = 0; attempt < 60; attempt++) {
            for (int i = 0; i < d; i++) {
                cov[i * stride] += jitter;
            }
            if (factorize(c)) {
                return;
            }
            jitter *= 10;
        }
        // Unreachable for finite input; fall back to a diagonal that is certainly positive.
        for (int i = 0; i < d; i++) {
            double v = Math.max(Math.abs(cov[i * stride]), 1.0);
            if (type == CovarianceType.FULL) {
                Arrays.fill(cov, i * d, i * d + d, 0.0);
            }
            cov[i * stride] = v;
        }
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < i && type == CovarianceType.FULL; j++) {
                cov[j * d + i] = 0;
            }
        }
        if (!factorize(c)) {
            throw new IllegalStateException("covariance of component " + c + " cannot be factorised");
        }
    }

    /** Cholesky of Σ_c into the factor array; false if Σ_c is not positive definite or not finite. */
    private boolean factorize(int c) {
        double[] cov = covariances[c];
        double[] f = factors[c];
        int stride;
        if (type == CovarianceType.FULL) {
            System.arraycopy(cov, 0, f, 0, d * d);
            if (!chol.decompose(factorMatrices[c])) { // Σ = L Lᵀ, in place in the factor array
                return false;
            }
            stride = d + 1;
        } else {
            for (int i = 0; i < d; i++) {
                f[i] = Math.sqrt(cov[i]); // σ_i = √Σ_ii (NaN when negative, caught below)
            }
            stride = 1;
        }
        return fromFactor(c, stride);
    }

    /** 1/L_ii and log|Σ_c| from the factor's diagonal (entries {@code stride} apart); false unless all are finite and > 0. */
    private boolean fromFactor(int c, int stride) {
        double[] f = factors[c];
        double[] inv = inverseDiagonals[c];
        for (int i = 0; i < d; i++) {
            inv[i] = 1.0 / f[i * stride]; // checked below
        }
        return logDeterminantFromFactor(c, stride);
    }

    /**
     * log|Σ_c| from the factor's diagonal (entries {@code stride} apart); false unless all are finite and > 0.
     * Any NaN or infinity in Σ reaches some diagonal entry of L through the recurrence, so checking the diagonal
     * is enough. log|Σ| = 2 Σ log L_ii is taken as 2 log Π L_ii (one logarithm instead of D); factors outside
     * [2^−400, 2^400], and the product whenever it leaves that range, are folded into the sum directly, so the
     * product can neither overflow nor underflow.
     */
    private boolean logDeterminantFromFactor(int c, int stride) {
        double[] f = factors[c];
        if (d <= 15) { // the usual case without a test per entry: D factors in [2⁻⁶⁴, 2⁶⁴] keep Π L_ii within 2^±960
            double product = 1;
            boolean moderate = true;
            for (int i = 0; i < d; i++) {
                double lii = f[i * stride];
                product *= lii;
                moderate &= lii >= 0x1p-64 & lii <= 0x1p64; // false for NaN too
            }
            if (moderate) {
                logDets[c] = 2 * Math.log(product); // log|Σ| = 2 log Π L_ii
                return true;
            }
        }
        double logDet = 0;
        double product = 1;
        for (int i = 0; i < d; i++) {
            double lii = f[i * stride];
            if (!(lii > 0) || !Double.isFinite(lii)) {
                return false;
            }
            if (lii < 0x1p-400 || lii > 0x1p400) {
                logDet += 2 * Math.log(lii);
                continue;
            }
            product *= lii;
            if (product < 0x1p-400 || product > 0x1p400) {
                logDet += 2 * Math.log(product);
                product = 1;
            }
        }
        logDet += 2 * Math.log(product); // log|Σ| = 2 log Π L_ii
        if (!Double.isFinite(logDet)) {
            return false;
        }
        logDets[c] = logDet;
        return true;
    }
}
