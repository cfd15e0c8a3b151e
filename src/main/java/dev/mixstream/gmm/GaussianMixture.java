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
        double max = logWeights[first] + logDensity(first, x); // log π_f + log N(x|μ_f,Σ_f)
        logProb[first] = max;
        for (int c = 0; c < k; c++) {
            if (c == first) {
                continue;
            }
            // log π_k N_k below max − 64 ln 2: γ_k = 0
            double lp = logWeights[c] + logDensityAbove(c, x, max - NEGLIGIBLE_LOG_RATIO - logWeights[c]);
            logProb[c] = lp;
            if (lp > max) {
                max = lp;
            }
        }
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
        for (int i = 0; i < d; i++) {
            double v = mu[i];
            if (type == CovarianceType.FULL) {
                int row = i * d;
                for (int j = 0; j <= i; j++) {
                    v += f[row + j] * z[j]; // x = μ + L z
                }
            } else {
                v += f[i] * z[i];
            }
            out[i] = v;
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
     * by the rank-one Cholesky update (LINPACK dchud: one Givens rotation per column). The mean is not touched;
     * the covariance array is recomputed from L' when next read.
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
            work[i] = root * delta[i]; // v = √r δ
        }
        double shrink = Math.sqrt(1 - r); // √(1−r) scales every entry of L'
        for (int j = 0; j < d; j++) {
            int jj = j * d + j;
            double ljj = l[jj];
            double vj = work[j];
            double rjj = Math.sqrt(ljj * ljj + vj * vj); // the rotated diagonal, hypot(L_jj, v_j)
            double cos = rjj * inv[j]; // c = r_jj / L_jj ≥ 1
            double sin = vj * inv[j]; //  s = v_j / L_jj
            l[jj] = shrink * rjj;
            inv[j] = 1.0 / l[jj]; // 1 / L'_jj, as a factorisation computes it (the only division)
            double inverseCos = ljj * shrink * inv[j]; // 1/c = L_jj / r_jj
            for (int i = j + 1; i < d; i++) {
                int ij = i * d + j;
                double t = (l[ij] + sin * work[i]) * inverseCos; // L'_ij = (L_ij + s v_i) / c
                work[i] = cos * work[i] - sin * t; //                v_i ← c v_i − s L'_ij
                l[ij] = shrink * t;
            }
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
        weights[c] = w;
        logWeights[c] = Math.log(w);
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
