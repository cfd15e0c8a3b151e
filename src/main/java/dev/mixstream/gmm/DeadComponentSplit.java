package dev.mixstream.gmm;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * Batch EM's repair of a dead component: its statistics are replaced by one half of the heaviest
 * component, split along that component's main axis. Only batch EM uses it (the online model re-fits
 * on recent points instead, see {@link DriftWatch}).
 */
final class DeadComponentSplit {
    private DeadComponentSplit() {
    }

    /**
     * Re-seeds every component whose weight share is below {@code minShare} by splitting the
     * heaviest component along its main axis: with λ, v the largest eigenpair of C_h / W_h and
     * δ = ½√λ v, the two halves get weight W_h/2, means m_h ∓ δ and the moment-preserving
     * scatter (W_h/2)(C_h/W_h − δδᵀ). Deterministic (no randomness).
     *
     * @return the number of components re-seeded
     */
    static int reseedStarving(SufficientStatistics s, double minShare) {
        int k = s.k;
        double[] weight = s.weight;
        int reseeded = 0;
        for (int c = 0; c < k; c++) {
            double total = s.totalWeight();
            if (weight[c] >= minShare * total || k == 1) {
                continue;
            }
            int heaviest = LogSumExp.argmax(weight, k);
            if (heaviest == c) {
                continue;
            }
            split(s, heaviest, c);
            reseeded++;
        }
        return reseeded;
    }

    private static void split(SufficientStatistics s, int h, int target) {
        int d = s.d;
        double[] weight = s.weight;
        double[][] mean = s.mean;
        double[][] scatter = s.scatter;
        double[] delta = new double[d];
        double wh = weight[h];
        double[] axis = new double[d];
        double lambda = mainAxis(s, h, axis);
        double half = 0.5 * wh;
        double[] mh = mean[h];
        double[] mt = mean[target];
        double step = 0.5 * Math.sqrt(Math.max(lambda, 0));
        for (int i = 0; i < d; i++) {
            delta[i] = step * axis[i]; // δ = ½√λ v
            mt[i] = mh[i] + delta[i];
            mh[i] -= delta[i];
        }
        double[] sh = scatter[h];
        SufficientStatistics.scale(sh, 0.5); // (W_h/2)(C_h/W_h) = C_h/2
        s.addOuter(sh, delta, -half); // − (W_h/2) δδᵀ
        System.arraycopy(sh, 0, scatter[target], 0, sh.length);
        weight[h] = half;
        weight[target] = half;
        s.changed(h);
        s.changed(target);
    }

    /** Largest eigenvalue λ of C_h / W_h, its unit eigenvector written to {@code axis}. */
    private static double mainAxis(SufficientStatistics stats, int h, double[] axis) {
        int d = stats.d;
        double inv = 1.0 / stats.weight[h];
        double[] s = stats.scatter[h];
        if (stats.type != CovarianceType.FULL) {
            int best = LogSumExp.argmax(s, d);
            axis[best] = 1.0;
            return s[best] * inv;
        }
        DMatrixRMaj cov = new DMatrixRMaj(d, d);
        for (int i = 0; i < d; i++) {
            for (int j = 0; j <= i; j++) {
                double v = s[i * d + j] * inv;
                cov.unsafe_set(i, j, v);
                cov.unsafe_set(j, i, v);
            }
        }
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, true, true);
        if (!eig.decompose(cov)) {
            axis[0] = 1.0;
            return cov.get(0, 0);
        }
        int best = -1;
        double lambda = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < eig.getNumberOfEigenvalues(); i++) {
            double re = eig.getEigenvalue(i).real;
            if (re > lambda && eig.getEigenVector(i) != null) {
                lambda = re;
                best = i;
            }
        }
        if (best < 0 || !Double.isFinite(lambda)) {
            axis[0] = 1.0;
            return cov.get(0, 0);
        }
        DMatrixRMaj v = eig.getEigenVector(best);
        double norm = 0;
        for (int i = 0; i < d; i++) {
            norm += v.get(i) * v.get(i);
        }
        norm = Math.sqrt(norm);
        // fix the sign so the split is deterministic: first non-zero coordinate positive
        double sign = 1;
        for (int i = 0; i < d; i++) {
            if (v.get(i) != 0) {
                sign = v.get(i) > 0 ? 1 : -1;
                break;
            }
        }
        for (int i = 0; i < d; i++) {
            axis[i] = sign * v.get(i) / norm;
        }
        return lambda;
    }
}
