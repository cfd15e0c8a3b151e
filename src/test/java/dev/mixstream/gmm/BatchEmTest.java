package dev.mixstream.gmm;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchEmTest {
    @Test
    void recoversTheGeneratingParameters() {
        GaussianMixture truth = SyntheticData.separated2d();
        double[][] xs = SyntheticData.sample(truth, 30_000, new SplittableRandom(1));
        BatchEm.Result r = BatchEm.fit(xs, MixtureConfig.defaults(3), BatchEm.Options.defaults());
        assertTrue(r.converged());
        GaussianMixture g = r.mixture();
        for (int t = 0; t < 3; t++) {
            // find the fitted component nearest to each true one
            double best = Double.POSITIVE_INFINITY;
            int match = -1;
            for (int c = 0; c < 3; c++) {
                double dist = KMeansPlusPlus.squaredDistance(g.mean(c), truth.mean(t));
                if (dist < best) {
                    best = dist;
                    match = c;
                }
            }
            assertTrue(best < 0.01, "mean of component " + t + " off by " + Math.sqrt(best));
            assertEquals(truth.weight(t), g.weight(match), 0.01);
            assertEquals(truth.covariance(t)[0][1], g.covariance(match)[0][1], 0.05);
        }
        assertEquals(g.meanLogLikelihood(xs), r.meanLogLikelihood(), 1e-12);
    }

    @Test
    void moreInitialisationsNeverDoWorse() {
        GaussianMixture truth = SyntheticData.randomFull(4, 3, 1.5, 3);
        double[][] xs = SyntheticData.sample(truth, 5000, new SplittableRandom(2));
        MixtureConfig config = MixtureConfig.defaults(4);
        BatchEm.Result one = BatchEm.fit(xs, config, new BatchEm.Options(1, 200, 1e-6));
        BatchEm.Result five = BatchEm.fit(xs, config, new BatchEm.Options(5, 200, 1e-6));
        assertTrue(five.meanLogLikelihood() >= one.meanLogLikelihood());
    }

    @Test
    void moreComponentsThanDistinctPointsStayFinite() {
        double[][] xs = {{1, 1}, {1, 1}, {1, 1}, {2, 2}, {2, 2}};
        BatchEm.Result r = BatchEm.fit(xs, MixtureConfig.defaults(4), BatchEm.Options.defaults());
        assertTrue(Double.isFinite(r.meanLogLikelihood()));
        for (int c = 0; c < 4; c++) {
            assertTrue(r.mixture().weight(c) > 0);
            assertTrue(Double.isFinite(r.mixture().logDeterminant(c)));
        }
    }
}
