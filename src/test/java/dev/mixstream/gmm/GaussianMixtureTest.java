package dev.mixstream.gmm;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GaussianMixtureTest {
    private static final double LOG_2PI = Math.log(2 * Math.PI);

    @Test
    void oneDimensionalDensityMatchesHandComputation() {
        GaussianMixture g = GaussianMixture.of(CovarianceType.FULL, new double[]{1}, new double[][]{{0}},
                new double[][][]{{{4}}});
        // log N(1 | 0, 4) = −½ (log 2π + log 4 + 1²/4)
        assertEquals(-0.5 * (LOG_2PI + Math.log(4) + 0.25), g.logDensity(0, new double[]{1}), 1e-14);
        assertEquals(Math.log(4), g.logDeterminant(0), 1e-14);
    }

    @Test
    void twoDimensionalFullDensityMatchesHandComputation() {
        GaussianMixture g = GaussianMixture.of(CovarianceType.FULL, new double[]{1}, new double[][]{{0, 0}},
                new double[][][]{{{2, 1}, {1, 2}}});
        // Σ⁻¹ = ⅓ [[2, −1], [−1, 2]] so (1,0) Σ⁻¹ (1,0)ᵀ = 2/3; |Σ| = 3
        double expected = -0.5 * (2 * LOG_2PI + Math.log(3) + 2.0 / 3.0);
        assertEquals(expected, g.logDensity(0, new double[]{1, 0}), 1e-14);
        assertEquals(expected, g.logLikelihood(new double[]{1, 0}), 1e-14);
    }

    @Test
    void diagonalAndSphericalDensities() {
        double[][][] cov = {{{4, 0.5}, {0.5, 9}}};
        GaussianMixture diag = GaussianMixture.of(CovarianceType.DIAG, new double[]{1}, new double[][]{{1, 2}}, cov);
        // diag ignores the off-diagonal: −½ (2 log 2π + log 36 + 1/4 + 4/9) at x = (2, 4)
        assertEquals(-0.5 * (2 * LOG_2PI + Math.log(36) + 0.25 + 4.0 / 9.0),
                diag.logLikelihood(new double[]{2, 4}), 1e-14);
        GaussianMixture sph = GaussianMixture.of(CovarianceType.SPHERICAL, new double[]{1}, new double[][]{{1, 2}}, cov);
        // spherical uses σ² = tr/D = 6.5
        assertEquals(-0.5 * (2 * LOG_2PI + 2 * Math.log(6.5) + 5 / 6.5),
                sph.logLikelihood(new double[]{2, 4}), 1e-14);
        assertEquals(0.0, sph.covariance(0)[0][1]);
        assertEquals(6.5, sph.covariance(0)[1][1]);
    }

    @Test
    void responsibilitiesMatchHandComputation() {
        GaussianMixture g = GaussianMixture.of(CovarianceType.FULL, new double[]{0.5, 0.5},
                new double[][]{{0}, {2}}, new double[][][]{{{1}}, {{1}}});
        double[] r = new double[2];
        g.score(new double[]{1}, r);
        assertEquals(0.5, r[0], 1e-15);
        g.score(new double[]{0}, r);
        // γ_0 = N(0|0,1) / (N(0|0,1) + N(0|2,1)) = 1 / (1 + e^{−2})
        assertEquals(1 / (1 + Math.exp(-2)), r[0], 1e-15);
        assertEquals(1, r[0] + r[1], 1e-15);
    }

    @Test
    void pointsFarFromEveryComponentStayFinite() {
        GaussianMixture g = GaussianMixture.of(CovarianceType.FULL, new double[]{0.3, 0.7},
                new double[][]{{0, 0}, {1, 0}}, new double[][][]{{{1, 0}, {0, 1}}, {{1e-4, 0}, {0, 1e-4}}});
        double[] r = new double[2];
        double ll = g.score(new double[]{1e7, -3e7}, r);
        assertTrue(Double.isFinite(ll) && ll < -1e14, "ll " + ll);
        assertEquals(1.0, r[0] + r[1], 1e-12);
        // the broad component explains a far point far better than the narrow one
        assertEquals(1.0, r[0], 1e-12);
        assertEquals(0, LogSumExp.argmax(r, 2));
    }

    @Test
    void nearSingularCovarianceFactorises() {
        double e = 1e-12;
        GaussianMixture g = GaussianMixture.of(CovarianceType.FULL, new double[]{1}, new double[][]{{0, 0}},
                new double[][][]{{{1, 1 - e}, {1 - e, 1}}});
        // |Σ| = 1 − (1 − e)² ≈ 2e
        assertEquals(Math.log(2 * e), g.logDeterminant(0), 1e-3);
        assertTrue(Double.isFinite(g.logLikelihood(new double[]{1, -1})));
    }

    @Test
    void notPositiveDefiniteOrNonFiniteParametersAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> GaussianMixture.of(CovarianceType.FULL,
                new double[]{1}, new double[][]{{0, 0}}, new double[][][]{{{1, 2}, {2, 1}}}));
        assertThrows(IllegalArgumentException.class, () -> GaussianMixture.of(CovarianceType.FULL,
                new double[]{1}, new double[][]{{Double.NaN, 0}}, new double[][][]{{{1, 0}, {0, 1}}}));
        assertThrows(IllegalArgumentException.class, () -> GaussianMixture.of(CovarianceType.FULL,
                new double[]{0}, new double[][]{{0, 0}}, new double[][][]{{{1, 0}, {0, 1}}}));
    }

    @Test
    void samplesHaveTheMixtureMoments() {
        GaussianMixture g = GaussianMixture.of(CovarianceType.FULL, new double[]{1}, new double[][]{{3, -1}},
                new double[][][]{{{2, 0.8}, {0.8, 1}}});
        SplittableRandom rng = new SplittableRandom(1);
        int n = 200_000;
        double[] x = new double[2];
        double sx = 0, sy = 0, sxy = 0;
        for (int i = 0; i < n; i++) {
            g.sample(rng, x);
            sx += x[0];
            sy += x[1];
            sxy += (x[0] - 3) * (x[1] + 1);
        }
        assertEquals(3, sx / n, 0.02);
        assertEquals(-1, sy / n, 0.02);
        assertEquals(0.8, sxy / n, 0.02);
    }

    @Test
    void logSumExpHandlesHugeAndTinyExponents() {
        assertEquals(1000 + Math.log(2), LogSumExp.logSumExp(new double[]{1000, 1000}, 2), 1e-12);
        assertEquals(-1000 + Math.log(2), LogSumExp.logSumExp(new double[]{-1000, -1000}, 2), 1e-12);
        assertEquals(1e300, LogSumExp.logSumExp(new double[]{1e300, -1e300}, 2));
        assertEquals(5, LogSumExp.logSumExp(new double[]{Double.NEGATIVE_INFINITY, 5}, 2));
        assertEquals(Double.NEGATIVE_INFINITY,
                LogSumExp.logSumExp(new double[]{Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY}, 2));
        // only the first n entries count
        assertEquals(7, LogSumExp.logSumExp(new double[]{7, 1e6}, 1));
    }
}
