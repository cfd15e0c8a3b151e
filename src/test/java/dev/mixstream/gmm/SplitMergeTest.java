package dev.mixstream.gmm;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Split-and-merge moves take single-start EM fits out of the "one component on two clusters" optimum. */
class SplitMergeTest {
    private static final int K = 5;
    private static final int D = 8;

    /** Whether a component's weight is far from the true 1/5 (it covers two clusters, or shares one). */
    private static boolean stuck(GaussianMixture g) {
        for (int c = 0; c < g.components(); c++) {
            if (g.weight(c) < 0.1 || g.weight(c) > 0.3) {
                return true;
            }
        }
        return false;
    }

    @Test
    void everySingleStartFitStuckInAPoorOptimumIsRepaired() {
        GaussianMixture truth = SyntheticData.unitClusters(CovarianceType.FULL, K, D, 3 / Math.sqrt(2),
                new SplittableRandom(1));
        BatchEm.Options options = new BatchEm.Options(1, 50, 1e-6);
        int stuckBefore = 0;
        int stuckAfter = 0;
        int unchanged = 0;
        for (int seed = 0; seed < 64; seed++) {
            SplittableRandom rng = new SplittableRandom(100 + seed);
            double[][] xs = new double[450][D];
            for (double[] x : xs) {
                truth.sample(rng, x);
            }
            MixtureConfig config = MixtureConfig.defaults(K).withSeed(seed);
            BatchEm.Fit single = BatchEm.fitOnce(xs, config, options, new SplittableRandom(seed));
            BatchEm.Fit repaired = SplitMerge.improve(xs, single, config.regCovar(), 50, 1e-6);
            assertTrue(repaired.meanLogLikelihood() >= single.meanLogLikelihood(), "never worse");
            if (stuck(single.mixture())) {
                stuckBefore++;
                assertTrue(repaired.meanLogLikelihood() > single.meanLogLikelihood() + SplitMerge.MIN_GAIN);
            } else if (repaired == single) {
                unchanged++;
            }
            if (stuck(repaired.mixture())) {
                stuckAfter++;
            }
        }
        System.out.printf("[split-merge] 64 single-start fits: %d stuck before, %d after; %d good fits left alone%n",
                stuckBefore, stuckAfter, unchanged);
        assertTrue(stuckBefore >= 8, "the case is real: " + stuckBefore + " of 64 single starts stuck");
        assertEquals(0, stuckAfter, "split-and-merge leaves none stuck");
        assertEquals(64 - stuckBefore, unchanged, "a fit that found every cluster is returned as it is");
    }

    @Test
    void aMergeMatchesTheMomentsAndASplitKeepsTheWeight() {
        for (CovarianceType type : CovarianceType.values()) {
            GaussianMixture g = GaussianMixture.of(type, new double[]{0.2, 0.3, 0.5},
                    new double[][]{{0, 0}, {2, 0}, {10, 10}},
                    new double[][][]{{{1, 0}, {0, 1}}, {{1, 0}, {0, 1}}, {{4, 0}, {0, 1}}});
            SplitMerge.mergeInto(g, 0, 1, 1e-6);
            assertEquals(0.5, g.weight(0), 1e-15);
            assertEquals(1.2, g.mean(0)[0], 1e-12); // (0.2·0 + 0.3·2) / 0.5
            if (type != CovarianceType.SPHERICAL) {
                // 0.4 (1 + 1.44) + 0.6 (1 + 0.64) along x
                assertEquals(0.4 * 2.44 + 0.6 * 1.64, g.covariance(0)[0][0], 1e-12);
            }
            SplitMerge.splitInto(g, 2, 1, 1e-6);
            assertEquals(0.25, g.weight(1), 1e-15);
            assertEquals(0.25, g.weight(2), 1e-15);
            double sum = 0;
            for (int c = 0; c < 3; c++) {
                sum += g.weight(c);
            }
            assertEquals(1.0, sum, 1e-12);
            // split along the axis of largest variance (x, variance 4; for spherical the mean variance)
            assertEquals(20.0, g.mean(1)[0] + g.mean(2)[0], 1e-9, "symmetric about the old mean");
            assertTrue(Math.abs(g.mean(2)[0] - g.mean(1)[0]) > 1, "apart along x");
            assertTrue(Double.isFinite(g.logLikelihood(new double[]{10, 10})));
        }
    }

    @Test
    void fewerThanThreeComponentsHaveNothingToMove() {
        double[][] xs = new double[100][2];
        SplittableRandom rng = new SplittableRandom(3);
        for (double[] x : xs) {
            x[0] = rng.nextGaussian();
            x[1] = rng.nextGaussian();
        }
        BatchEm.Fit fit = BatchEm.fitOnce(xs, MixtureConfig.defaults(2), new BatchEm.Options(1, 50, 1e-6),
                new SplittableRandom(1));
        assertSame(fit, SplitMerge.improve(xs, fit, 1e-6, 50, 1e-6));
    }
}
