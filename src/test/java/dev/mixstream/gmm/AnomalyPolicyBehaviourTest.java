package dev.mixstream.gmm;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code mixstream.anomaly.learn=false}: a burst of outliers is answered but kept out of the model, while data
 * that jump and stay are still followed by a drift re-fit.
 */
class AnomalyPolicyBehaviourTest {
    private static final GaussianMixture TRUTH = SyntheticData.separated2d();
    private static final AnomalyPolicy PROTECT = new AnomalyPolicy(AnomalyPolicy.DEFAULT_ALPHA, false);

    /** A model of K=3 (default settings: half-life 10 000, so the drift window L is 1000) after 3000 points. */
    private static OnlineMixture trained(AnomalyPolicy policy, SplittableRandom rng) {
        OnlineMixture m = new OnlineMixture(MixtureConfig.defaults(3));
        m.setAnomalyPolicy(policy);
        for (double[] x : SyntheticData.sample(TRUTH, 3000, rng)) {
            m.learn(x, ScoreSink.IGNORE);
        }
        return m;
    }

    /** Points drawn uniformly from the box [40, 60]², far from every cluster. */
    private static double[][] outliers(int n, SplittableRandom rng) {
        double[][] xs = new double[n][2];
        for (double[] x : xs) {
            x[0] = 40 + 20 * rng.nextDouble();
            x[1] = 40 + 20 * rng.nextDouble();
        }
        return xs;
    }

    @Test
    void aBurstOfOutliersIsAnsweredButNotLearned() {
        OnlineMixture m = trained(PROTECT, new SplittableRandom(1));
        GaussianMixture before = m.parameters().copy();
        long refits = m.refits();
        long notLearned = m.pointsNotLearned();
        int[] flagged = {0};
        double[][] burst = outliers(150, new SplittableRandom(2)); // 0.15 L: shorter than the 0.22 L of a drift
        for (double[] x : burst) {
            m.learn(x, s -> {
                assertTrue(s.anomaly(), "a point 40 standard deviations out is flagged");
                assertFalse(s.learned());
                assertEquals(1.0, s.anomalyScore(), 1e-12);
                flagged[0]++;
            });
        }
        assertEquals(150, flagged[0]);
        assertEquals(notLearned + 150, m.pointsNotLearned());
        assertEquals(0, m.pointsPending(), "unlearned points are not pending a step either");
        assertSameParameters(before, m.parameters());
        // and the clean data that follow are modelled as before: no re-fit came of the burst
        SplittableRandom rng = new SplittableRandom(3);
        for (double[] x : SyntheticData.sample(TRUTH, 3000, rng)) {
            m.learn(x, ScoreSink.IGNORE);
        }
        assertEquals(refits, m.refits(), "the burst triggered no drift re-fit");

        // the same burst, learned (the default), drags a component out: what the policy protects against
        OnlineMixture learning = trained(AnomalyPolicy.DEFAULT, new SplittableRandom(1));
        for (double[] x : burst) {
            learning.learn(x, ScoreSink.IGNORE);
        }
        assertTrue(largestMeanMove(before, learning.parameters()) > 2,
                "a learned burst moves a mean by " + largestMeanMove(before, learning.parameters()));
    }

    @Test
    void dataThatJumpAndStayAreFollowedByARefit() {
        SplittableRandom rng = new SplittableRandom(4);
        OnlineMixture m = trained(PROTECT, rng);
        long refits = m.refits();
        GaussianMixture moved = SyntheticData.shifted(TRUTH, 30);
        double[][] after = SyntheticData.sample(moved, 5000, rng);
        int refitAt = -1;
        int lateFlags = 0;
        for (int i = 0; i < after.length; i++) {
            int[] flagged = {0};
            m.learn(after[i], s -> flagged[0] += s.anomaly() ? 1 : 0);
            if (refitAt < 0 && m.refits() > refits) {
                refitAt = i;
            }
            if (i >= after.length - 2000) {
                lateFlags += flagged[0];
            }
        }
        // the watch fires after ≈ L ln(5/4) = 223 unlearned points, then collects W = 100 points
        assertTrue(refitAt >= 200 && refitAt <= 400, "re-fit after " + refitAt + " points of the moved data");
        assertTrue(lateFlags <= 10, lateFlags + " of the last 2000 moved points flagged; α = 0.001");
        for (int c = 0; c < 3; c++) {
            assertTrue(nearestMeanDistance(moved.mean(c), m.parameters()) < 0.5,
                    "component " + c + " of the moved data is modelled");
        }
    }

    private static void assertSameParameters(GaussianMixture expected, GaussianMixture actual) {
        assertArrayEquals(expected.weights(), actual.weights(), 0.0);
        for (int c = 0; c < expected.components(); c++) {
            assertArrayEquals(expected.mean(c), actual.mean(c), 0.0);
            for (int i = 0; i < expected.dimension(); i++) {
                assertArrayEquals(expected.covariance(c)[i], actual.covariance(c)[i], 0.0);
            }
        }
    }

    private static double largestMeanMove(GaussianMixture a, GaussianMixture b) {
        double worst = 0;
        for (int c = 0; c < a.components(); c++) {
            worst = Math.max(worst, nearestMeanDistance(b.mean(c), a));
        }
        return worst;
    }

    private static double nearestMeanDistance(double[] mean, GaussianMixture g) {
        double best = Double.POSITIVE_INFINITY;
        for (int c = 0; c < g.components(); c++) {
            double s = 0;
            for (int i = 0; i < mean.length; i++) {
                double d = mean[i] - g.mean(c)[i];
                s += d * d;
            }
            best = Math.min(best, Math.sqrt(s));
        }
        return best;
    }
}
