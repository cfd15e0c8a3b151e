package dev.mixstream.dashboard;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

import java.util.Locale;

/**
 * The plane the dashboard draws a D-dimensional model in: two orthonormal axes a, b (rows of the 2×D matrix P),
 * so a point x is drawn at P x and a covariance Σ as P Σ Pᵀ (the exact marginal of the projected Gaussian).
 * Either a pair of coordinates (a = e_i, b = e_j) or the mixture's first two principal axes: the leading
 * eigenvectors of its covariance Σ_mix = Σ_k π_k (Σ_k + (μ_k − μ̄)(μ_k − μ̄)ᵀ), μ̄ = Σ_k π_k μ_k.
 *
 * @param kind      which plane
 * @param axes      P, 2×D (for D = 1 the second axis is zero: points lie on a line)
 * @param coordinates for a coordinate pair, its two indices i, j; else null
 * @param labels    the axes' names ({@code x[i]}, or {@code PC1 (62% of variance)})
 * @param explained for principal axes, the share of Σ_mix's variance along each axis; else null
 */
public record Projection(Kind kind, double[][] axes, int[] coordinates, String[] labels, double[] explained) {
    /** The two kinds of plane. */
    public enum Kind {
        COORDINATES("coordinates"), PRINCIPAL_AXES("principal_axes");

        private final String wireName;

        Kind(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }

        /** The kind of a wire name, or null. */
        public static Kind of(String name) {
            for (Kind k : values()) {
                if (k.wireName.equals(name)) {
                    return k;
                }
            }
            return null;
        }
    }

    /** Coordinates i and j of a D-dimensional space (for D = 1, i = j = 0 and the second axis is zero). */
    public static Projection coordinates(int dimension, int i, int j) {
        if (i < 0 || i >= dimension || j < 0 || j >= dimension || i == j && dimension > 1) {
            throw new IllegalArgumentException("coordinates must be two different indices in [0, " + (dimension - 1)
                    + "], got " + i + " and " + j);
        }
        double[][] p = new double[2][dimension];
        p[0][i] = 1;
        if (dimension > 1) {
            p[1][j] = 1;
        }
        return new Projection(Kind.COORDINATES, p, new int[]{i, j}, new String[]{"x[" + i + "]", dimension > 1 ? "x[" + j + "]" : "-"},
                null);
    }

    /** The first two principal axes of the mixture (weights π, means μ, covariances Σ); coordinates 0, 1 if D ≤ 2. */
    public static Projection principalAxes(double[] weights, double[][] means, double[][][] covariances) {
        int d = means[0].length;
        if (d <= 2) {
            return coordinates(d, 0, d > 1 ? 1 : 0);
        }
        double[] mean = new double[d];
        for (int k = 0; k < weights.length; k++) {
            for (int i = 0; i < d; i++) {
                mean[i] += weights[k] * means[k][i]; // μ̄ = Σ π_k μ_k
            }
        }
        DMatrixRMaj total = new DMatrixRMaj(d, d);
        for (int k = 0; k < weights.length; k++) {
            for (int i = 0; i < d; i++) {
                double di = means[k][i] - mean[i];
                for (int j = 0; j < d; j++) {
                    // Σ_mix += π_k (Σ_k + (μ_k − μ̄)(μ_k − μ̄)ᵀ)
                    total.add(i, j, weights[k] * (covariances[k][i][j] + di * (means[k][j] - mean[j])));
                }
            }
        }
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, true, true);
        if (!eig.decompose(total)) {
            return coordinates(d, 0, 1);
        }
        int first = -1;
        int second = -1;
        double trace = 0;
        for (int e = 0; e < eig.getNumberOfEigenvalues(); e++) {
            double v = eig.getEigenvalue(e).getReal();
            trace += Math.max(0, v);
            if (first < 0 || v > eig.getEigenvalue(first).getReal()) {
                second = first;
                first = e;
            } else if (second < 0 || v > eig.getEigenvalue(second).getReal()) {
                second = e;
            }
        }
        double[][] p = {unitVector(eig.getEigenVector(first)), unitVector(eig.getEigenVector(second))};
        double[] share = new double[2];
        String[] labels = new String[2];
        for (int a = 0; a < 2; a++) {
            double v = Math.max(0, eig.getEigenvalue(a == 0 ? first : second).getReal());
            share[a] = trace > 0 ? v / trace : 0;
            labels[a] = String.format(Locale.ROOT, "PC%d (%.0f%% of variance)", a + 1, 100 * share[a]);
        }
        return new Projection(Kind.PRINCIPAL_AXES, p, null, labels, share);
    }

    /** The eigenvector as a unit vector whose largest-magnitude entry is positive (a stable sign across updates). */
    private static double[] unitVector(DMatrixRMaj v) {
        double[] u = new double[v.getNumElements()];
        double norm = 0;
        int largest = 0;
        for (int i = 0; i < u.length; i++) {
            u[i] = v.get(i);
            norm += u[i] * u[i];
            if (Math.abs(u[i]) > Math.abs(u[largest])) {
                largest = i;
            }
        }
        double scale = (u[largest] < 0 ? -1 : 1) / Math.sqrt(norm);
        for (int i = 0; i < u.length; i++) {
            u[i] *= scale;
        }
        return u;
    }

    /** P x. */
    public double[] apply(double[] x) {
        return new double[]{dot(axes[0], x), dot(axes[1], x)};
    }

    /** P Σ Pᵀ, 2×2. */
    public double[][] apply(double[][] covariance) {
        double[][] c = new double[2][2];
        for (int a = 0; a < 2; a++) {
            for (int b = a; b < 2; b++) {
                double s = 0;
                for (int i = 0; i < covariance.length; i++) {
                    double pi = axes[a][i];
                    if (pi != 0) {
                        s += pi * dot(covariance[i], axes[b]); // aᵀ Σ b
                    }
                }
                c[a][b] = s;
                c[b][a] = s;
            }
        }
        return c;
    }

    private static double dot(double[] u, double[] v) {
        double s = 0;
        for (int i = 0; i < u.length; i++) {
            s += u[i] * v[i];
        }
        return s;
    }
}
