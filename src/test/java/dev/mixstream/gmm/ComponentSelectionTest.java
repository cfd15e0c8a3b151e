package dev.mixstream.gmm;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Offline choice of K by BIC or AIC over batch EM fits. */
class ComponentSelectionTest {
    private static final BatchEm.Options OPTIONS = new BatchEm.Options(3, 200, 1e-6);

    private static double[][] sample(GaussianMixture g, int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[][] xs = new double[n][g.dimension()];
        for (double[] x : xs) {
            g.sample(rng, x);
        }
        return xs;
    }

    /** scikit-learn's _n_parameters: K − 1 weights, K·D means, and the covariances' free values. */
    @Test
    void parameterCountsAreScikitLearns() {
        assertEquals(2 + 6 + 9, InformationCriterion.parameters(3, 2, CovarianceType.FULL));
        assertEquals(2 + 6 + 6, InformationCriterion.parameters(3, 2, CovarianceType.DIAG));
        assertEquals(2 + 6 + 3, InformationCriterion.parameters(3, 2, CovarianceType.SPHERICAL));
        assertEquals(4 + 5 * 8 + 5 * 36, InformationCriterion.parameters(5, 8, CovarianceType.FULL));
        assertEquals(0 + 1 + 1, InformationCriterion.parameters(1, 1, CovarianceType.FULL));
        // −2 log L + p ln n, −2 log L + 2p
        assertEquals(2 * 1000 * 3.5 + 17 * Math.log(1000), InformationCriterion.BIC.value(-3.5, 1000, 17), 1e-9);
        assertEquals(2 * 1000 * 3.5 + 2 * 17, InformationCriterion.AIC.value(-3.5, 1000, 17), 1e-9);
        assertEquals(InformationCriterion.AIC, InformationCriterion.parse(" AIC "));
        assertThrows(IllegalArgumentException.class, () -> InformationCriterion.parse("hqic"));
    }

    @Test
    void bicFindsTheTrueNumberOfWellSeparatedComponents() {
        for (int trueK : new int[]{1, 2, 4}) {
            GaussianMixture truth = SyntheticData.unitClusters(CovarianceType.FULL, trueK, 3, 8, new SplittableRandom(trueK));
            double[][] xs = sample(truth, 400 * trueK, 7);
            ComponentSelection.Result r = ComponentSelection.select(xs, MixtureConfig.defaults(1), OPTIONS, 6,
                    InformationCriterion.BIC);
            assertEquals(6, r.candidates().size());
            assertEquals(trueK, r.chosen().components(), "true K = " + trueK);
            for (ComponentSelection.Candidate c : r.candidates()) {
                assertTrue(c.criterionValue() >= r.chosen().criterionValue(), "the chosen one has the lowest BIC");
                assertEquals(InformationCriterion.BIC.value(c.meanLogLikelihood(), xs.length, c.parameters()),
                        c.criterionValue());
            }
        }
    }

    /** Each K's fit is exactly BatchEm.fit with that K: choosing K changes nothing about how a K is fitted. */
    @Test
    void eachCandidateIsTheFitOfItsKAlone() {
        double[][] xs = sample(SyntheticData.separated2d(), 900, 3);
        MixtureConfig config = MixtureConfig.defaults(1, CovarianceType.DIAG).withSeed(9);
        ComponentSelection.Result r = ComponentSelection.select(xs, config, OPTIONS, 4, InformationCriterion.AIC);
        assertSame(InformationCriterion.AIC, r.criterion());
        for (ComponentSelection.Candidate c : r.candidates()) {
            BatchEm.Result alone = BatchEm.fit(xs, ComponentSelection.forComponents(config, c.components()), OPTIONS);
            assertEquals(alone.meanLogLikelihood(), c.meanLogLikelihood());
            assertArrayEquals(alone.mixture().weights(), c.fit().mixture().weights());
            for (int k = 0; k < c.components(); k++) {
                assertArrayEquals(alone.mixture().meanArray(k), c.fit().mixture().meanArray(k));
            }
        }
        // AIC's penalty 2p is below BIC's p ln n (n > e²): on the same fits it never chooses a smaller K
        ComponentSelection.Result bic = ComponentSelection.select(xs, config, OPTIONS, 4, InformationCriterion.BIC);
        assertTrue(r.chosen().components() >= bic.chosen().components(),
                "AIC K=" + r.chosen().components() + ", BIC K=" + bic.chosen().components());
        assertTrue(bic.chosen().components() >= 3, "three clusters need at least three diagonal components");
    }

    @Test
    void kStopsAtTheNumberOfPointsAndBadArgumentsAreRefused() {
        double[][] xs = {{0, 0}, {1, 1}, {5, 5}};
        ComponentSelection.Result r = ComponentSelection.select(xs, MixtureConfig.defaults(1), OPTIONS, 10,
                InformationCriterion.BIC);
        assertEquals(3, r.candidates().size());
        for (ComponentSelection.Candidate c : r.candidates()) {
            assertTrue(Double.isFinite(c.criterionValue()), "no NaN or infinity even at one point per component");
        }
        assertThrows(IllegalArgumentException.class, () -> ComponentSelection.select(xs, MixtureConfig.defaults(1),
                OPTIONS, 0, InformationCriterion.BIC));
        assertThrows(IllegalArgumentException.class, () -> ComponentSelection.select(new double[0][],
                MixtureConfig.defaults(1), OPTIONS, 3, InformationCriterion.BIC));
    }
}
