package dev.mixstream.gmm;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.CholeskyDecomposition_F64;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The O(D²) M-step of FULL models with batch size 1: factors moved by rank-one updates stay those of the
 * covariance the statistics define, the floor stays within its slack of reg_covar, and encoded models continue
 * bit-identically.
 */
class IncrementalFactorsTest {

    /** L' = √(1−r) chol(L Lᵀ + r δδᵀ) against a fresh factorisation of (1−r) Σ + r(1−r) δδᵀ. */
    @Test
    void oneUpdateIsTheFactorOfTheMovedCovariance() {
        SplittableRandom rng = new SplittableRandom(3);
        for (int trial = 0; trial < 200; trial++) {
            int d = 1 + rng.nextInt(12);
            GaussianMixture g = SyntheticData.randomFull(1, d, 3, rng.nextLong());
            double r = trial % 2 == 0 ? rng.nextDouble() * 0.5 : Math.pow(10, -rng.nextInt(1, 16));
            double[] delta = new double[d];
            for (int i = 0; i < d; i++) {
                delta[i] = 4 * rng.nextGaussian();
            }
            double[][] sigma = g.covariance(0);
            double[][] moved = new double[d][d];
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    moved[i][j] = (1 - r) * sigma[i][j] + r * (1 - r) * delta[i] * delta[j];
                }
            }
            assertTrue(g.rankOneUpdate(0, r, delta, new double[d]));
            double[] exact = cholesky(moved);
            double[] updated = g.factorArray(0);
            assertTrue(maxRelativeDifference(exact, updated, d) < 1e-12,
                    "d=" + d + " r=" + r + ": " + maxRelativeDifference(exact, updated, d));
            GaussianMixture refactored = GaussianMixture.of(CovarianceType.FULL, new double[]{1}, new double[][]{g.mean(0)},
                    new double[][][]{moved});
            assertEquals(refactored.logDeterminant(0), g.logDeterminant(0), 1e-12 * Math.max(1, Math.abs(g.logDeterminant(0))));
            double[][] back = g.covariance(0); // L Lᵀ, recomputed when read
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    assertEquals(moved[i][j], back[i][j], 1e-12 * (Math.abs(moved[i][i]) + Math.abs(moved[j][j])));
                    assertEquals(back[i][j], back[j][i]);
                }
            }
        }
    }

    /**
     * The accuracy target: over 10⁶ points of an overlapping 8-D mixture (every component takes a share of
     * most points), the factors that the rank-one updates carry stay within 1e-9 (relative) of the exact
     * factorisation of the covariance the statistics define, C_k / W_k + ρ (W₀_k / W_k) I, checked every 10 000
     * points, and so do the log-likelihoods of probe points; the floor never falls below (1 − 1/32) ρ. Rank-one
     * updates are the rule (most M-steps refactorise nothing).
     */
    @Test
    @Tag("accuracy")
    void factorsStayWithin1e9OfTheExactRefactorisationOverAMillionPoints() {
        int k = 4;
        int d = 8;
        GaussianMixture truth = SyntheticData.randomFull(k, d, 1.5, 5);
        MixtureConfig config = MixtureConfig.defaults(k, CovarianceType.FULL).withHalfLife(10_000);
        OnlineMixture model = new OnlineMixture(config);
        SplittableRandom rng = new SplittableRandom(9);
        double[][] probes = SyntheticData.sample(truth, 200, new SplittableRandom(10));
        double[] x = new double[d];
        double worstFactor = 0;
        double worstLogLikelihood = 0;
        double lowestFloorShare = 1;
        for (int n = 1; n <= 1_000_000; n++) {
            truth.sample(rng, x);
            model.learn(x, ScoreSink.IGNORE);
            if (n % 10_000 == 0) {
                GaussianMixture exact = exactParameters(model);
                IncrementalFactors f = model.statistics.incrementalFactors();
                for (int c = 0; c < k; c++) {
                    worstFactor = Math.max(worstFactor,
                            maxRelativeDifference(exact.factorArray(c), model.parameters().factorArray(c), d));
                    lowestFloorShare = Math.min(lowestFloorShare, f.floorWeight[c] / model.statistics.weight[c]);
                }
                for (double[] p : probes) {
                    double a = exact.logLikelihood(p);
                    double b = model.parameters().logLikelihood(p);
                    worstLogLikelihood = Math.max(worstLogLikelihood, Math.abs(a - b) / Math.abs(a));
                }
            }
        }
        System.out.printf("incremental factors over 10^6 points: factor %.2e, log-likelihood %.2e (relative), "
                + "lowest floor share %.5f, refits %d%n", worstFactor, worstLogLikelihood, lowestFloorShare, model.refits());
        assertTrue(worstFactor <= 1e-9, "factor drift " + worstFactor);
        assertTrue(worstLogLikelihood <= 1e-9, "log-likelihood drift " + worstLogLikelihood);
        assertTrue(lowestFloorShare >= 1 - IncrementalFactors.FLOOR_SLACK, "floor share " + lowestFloorShare);
        assertEquals(0, model.refits(), "a stationary stream");
    }

    /**
     * Degenerate data — a constant coordinate and one that is the sum of two others — is where the floor is all
     * that keeps Σ positive definite: with rank-one updates it stays at least (1 − 1/32) ρ, and no score is NaN or
     * infinite.
     */
    @Test
    void theFloorHoldsOnDegenerateData() {
        MixtureConfig config = MixtureConfig.defaults(2, CovarianceType.FULL).withHalfLife(2_000);
        OnlineMixture model = new OnlineMixture(config);
        SplittableRandom rng = new SplittableRandom(4);
        double[] lowest = {Double.POSITIVE_INFINITY};
        boolean[] finite = {true};
        for (int n = 0; n < 100_000; n++) {
            double a = rng.nextGaussian() + (rng.nextBoolean() ? 10 : 0);
            double b = rng.nextGaussian();
            model.learn(new double[]{a, b, a + b, 7.0}, s -> finite[0] &= Double.isFinite(s.logLikelihood()));
            if (model.isInitialised() && n % 97 == 0) {
                for (int c = 0; c < 2; c++) {
                    lowest[0] = Math.min(lowest[0], model.parameters().covariance(c)[3][3]);
                }
            }
        }
        assertTrue(finite[0], "every log-likelihood finite");
        double rho = config.regCovar();
        assertTrue(lowest[0] >= (1 - IncrementalFactors.FLOOR_SLACK) * rho * (1 - 1e-9) && lowest[0] <= rho * (1 + 1e-9),
                "the variance of the constant coordinate is the floor: " + lowest[0] + " against ρ = " + rho);
    }

    /** A model encoded anywhere mid-stream (factors moved by updates included) decodes and continues bit for bit. */
    @Test
    void anEncodedModelContinuesBitIdentically() {
        MixtureConfig config = MixtureConfig.defaults(3, CovarianceType.FULL).withHalfLife(500);
        GaussianMixture truth = SyntheticData.randomFull(3, 5, 2, 8);
        double[][] xs = SyntheticData.sample(truth, 6_000, new SplittableRandom(6));
        OnlineMixture straight = new OnlineMixture(config);
        OnlineMixture resumed = new OnlineMixture(config);
        List<String> a = new ArrayList<>();
        List<String> b = new ArrayList<>();
        int withMovedFactors = 0;
        for (int i = 0; i < xs.length; i++) {
            straight.learn(xs[i], s -> a.add(Double.doubleToRawLongBits(s.logLikelihood()) + Arrays.toString(s.responsibilities())));
            resumed.learn(xs[i], s -> b.add(Double.doubleToRawLongBits(s.logLikelihood()) + Arrays.toString(s.responsibilities())));
            if (i % 37 == 0) {
                byte[] state = ModelStateCodec.encode(resumed);
                resumed = ModelStateCodec.decode(state);
                assertArrayEquals(state, ModelStateCodec.encode(resumed));
                if (resumed.isInitialised() && Arrays.stream(resumed.statistics.incrementalFactors().updates).anyMatch(u -> u > 0)) {
                    withMovedFactors++;
                }
            }
        }
        assertEquals(a, b);
        assertArrayEquals(ModelStateCodec.encode(straight), ModelStateCodec.encode(resumed));
        assertTrue(withMovedFactors > 100, "most states carried factors moved by updates: " + withMovedFactors);
    }

    /** The parameters the model's state defines, each factor computed afresh: Σ_k = C_k / W_k + ρ (W₀_k / W_k) I. */
    private static GaussianMixture exactParameters(OnlineMixture m) {
        SufficientStatistics s = m.statistics;
        IncrementalFactors f = s.incrementalFactors();
        int k = s.k;
        int d = s.d;
        double rho = m.config().regCovar();
        double[][][] covs = new double[k][d][d];
        double[][] means = new double[k][];
        for (int c = 0; c < k; c++) {
            means[c] = s.mean[c].clone();
            double w = s.weight[c];
            for (int i = 0; i < d; i++) {
                for (int j = 0; j <= i; j++) {
                    covs[c][i][j] = s.scatter[c][i * d + j] / w;
                    covs[c][j][i] = covs[c][i][j];
                }
                covs[c][i][i] += rho * (f.floorWeight[c] / w);
            }
        }
        return GaussianMixture.of(CovarianceType.FULL, m.parameters().weights(), means, covs);
    }

    private static double[] cholesky(double[][] a) {
        int d = a.length;
        DMatrixRMaj m = new DMatrixRMaj(a);
        CholeskyDecomposition_F64<DMatrixRMaj> chol = DecompositionFactory_DDRM.chol(d, true);
        assertTrue(chol.decompose(m));
        return chol.getT(null).data;
    }

    /** max |a − b| over the lower triangle, relative to the largest |a| there. */
    private static double maxRelativeDifference(double[] a, double[] b, int d) {
        double scale = 0;
        double diff = 0;
        for (int i = 0; i < d; i++) {
            for (int j = 0; j <= i; j++) {
                scale = Math.max(scale, Math.abs(a[i * d + j]));
                diff = Math.max(diff, Math.abs(a[i * d + j] - b[i * d + j]));
            }
        }
        return diff / scale;
    }
}
