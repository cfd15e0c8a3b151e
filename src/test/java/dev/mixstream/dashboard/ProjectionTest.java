package dev.mixstream.dashboard;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProjectionTest {
    @Test
    void aCoordinatePairIsTheMarginalOfThoseCoordinates() {
        Projection p = Projection.coordinates(4, 2, 0);
        assertArrayEquals(new int[]{2, 0}, p.coordinates());
        assertArrayEquals(new double[]{3, 1}, p.apply(new double[]{1, 2, 3, 4}));
        double[][] s = {{1, 0.1, 0.2, 0.3}, {0.1, 2, 0.4, 0.5}, {0.2, 0.4, 3, 0.6}, {0.3, 0.5, 0.6, 4}};
        double[][] c = p.apply(s);
        assertArrayEquals(new double[]{3, 0.2}, c[0]);
        assertArrayEquals(new double[]{0.2, 1}, c[1]);
        assertEquals("x[2]", p.labels()[0]);
        assertNull(p.explained());
        assertThrows(IllegalArgumentException.class, () -> Projection.coordinates(4, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> Projection.coordinates(4, 0, 4));
    }

    @Test
    void oneDimensionIsALine() {
        Projection p = Projection.coordinates(1, 0, 0);
        assertArrayEquals(new double[]{5, 0}, p.apply(new double[]{5}));
        double[][] c = p.apply(new double[][]{{2}});
        assertArrayEquals(new double[]{2, 0}, c[0]);
        assertArrayEquals(new double[]{0, 0}, c[1]);
    }

    /**
     * Σ_mix = Σ π_k (Σ_k + (μ_k − μ̄)(μ_k − μ̄)ᵀ): two components at ±3 e_1 with Σ = diag(1, 2, 0.5) give
     * Σ_mix = diag(1, 2 + 9, 0.5): the first principal axis is e_1 (share 11/12.5), the second e_0 (1/12.5).
     */
    @Test
    void thePrincipalAxesAreTheLeadingEigenvectorsOfTheMixtureCovariance() {
        double[][] diag = {{1, 0, 0}, {0, 2, 0}, {0, 0, 0.5}};
        Projection p = Projection.principalAxes(new double[]{0.5, 0.5}, new double[][]{{0, 3, 0}, {0, -3, 0}},
                new double[][][]{diag, diag});
        assertEquals(Projection.Kind.PRINCIPAL_AXES, p.kind());
        assertArrayEquals(new double[]{0, 1, 0}, p.axes()[0], 1e-12);
        assertArrayEquals(new double[]{1, 0, 0}, p.axes()[1], 1e-12);
        assertEquals(11 / 12.5, p.explained()[0], 1e-12);
        assertEquals(1 / 12.5, p.explained()[1], 1e-12);
        assertTrue(p.labels()[0].startsWith("PC1 (88%"), p.labels()[0]);
    }

    @Test
    void principalAxesAreOrthonormalWithAStableSignInManyDimensions() {
        SplittableRandom rng = new SplittableRandom(4);
        int d = 64;
        int k = 16;
        double[] w = new double[k];
        double[][] mu = new double[k][d];
        double[][][] cov = new double[k][d][d];
        for (int c = 0; c < k; c++) {
            w[c] = 1.0 / k;
            for (int i = 0; i < d; i++) {
                mu[c][i] = 5 * rng.nextGaussian();
                cov[c][i][i] = 0.5 + rng.nextDouble();
            }
        }
        Projection p = Projection.principalAxes(w, mu, cov);
        double[] a = p.axes()[0];
        double[] b = p.axes()[1];
        assertEquals(1, dot(a, a), 1e-9);
        assertEquals(1, dot(b, b), 1e-9);
        assertEquals(0, dot(a, b), 1e-9);
        for (double[] axis : p.axes()) {
            int largest = 0;
            for (int i = 0; i < d; i++) {
                largest = Math.abs(axis[i]) > Math.abs(axis[largest]) ? i : largest;
            }
            assertTrue(axis[largest] > 0, "the largest entry is positive");
        }
        assertTrue(p.explained()[0] >= p.explained()[1] && p.explained()[1] > 0);
        double[][] c = p.apply(cov[0]);
        assertEquals(c[0][1], c[1][0]);
        assertTrue(c[0][0] > 0 && c[1][1] > 0 && c[0][0] * c[1][1] > c[0][1] * c[0][1], "positive definite");
    }

    private static double dot(double[] u, double[] v) {
        double s = 0;
        for (int i = 0; i < u.length; i++) {
            s += u[i] * v[i];
        }
        return s;
    }
}
