package dev.mixstream.gmm;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The anomaly score is calibrated: on points drawn from the model itself, the fraction with
 * score ≥ 1 − α is within ±20 % of α, for α = 0.01 and 0.001, every covariance type, K=3 D=2 to K=16 D=64.
 * One million points per case (the binomial noise on the count at α = 0.001 is ±3 %, one σ).
 */
class AnomalyCalibrationTest {
    static final int POINTS = 1_000_000;
    static final double[] ALPHAS = {0.01, 0.001};

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        int[][] shapes = {{3, 2}, {5, 8}, {16, 64}};
        for (CovarianceType type : CovarianceType.values()) {
            for (int[] shape : shapes) {
                cases.add(Arguments.of(type, shape[0], shape[1]));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} K={1} D={2}")
    @MethodSource("cases")
    void theFlaggedFractionOfTheModelsOwnPointsIsAlpha(CovarianceType type, int k, int d) {
        GaussianMixture model = SyntheticData.randomOverlapping(type, k, d, 1.5, 1000L * k + d);
        LogLikelihoodReference reference = new LogLikelihoodReference();
        reference.refresh(model);
        SplittableRandom rng = new SplittableRandom(7L * k + d);
        double[] x = new double[d];
        long[] flagged = new long[ALPHAS.length];
        for (int n = 0; n < POINTS; n++) {
            model.sample(rng, x);
            double score = reference.anomalyScore(model.logLikelihood(x));
            assertTrue(score >= 0 && score <= 1, "score in [0, 1]: " + score);
            for (int a = 0; a < ALPHAS.length; a++) {
                if (score >= 1 - ALPHAS[a]) {
                    flagged[a]++;
                }
            }
        }
        for (int a = 0; a < ALPHAS.length; a++) {
            double fraction = (double) flagged[a] / POINTS;
            double relative = fraction / ALPHAS[a] - 1;
            System.out.printf("calibration %s K=%d D=%d alpha=%s: flagged %.5f (%+.1f %%)%n", type, k, d, ALPHAS[a],
                    fraction, 100 * relative);
            assertTrue(Math.abs(relative) <= 0.20, type + " K=" + k + " D=" + d + " alpha=" + ALPHAS[a]
                    + ": flagged fraction " + fraction + " is " + Math.round(100 * relative) + " % off");
        }
    }

    /**
     * The score 1 − p is computed as 1 − e^{log p} below p = e^{−1/2} and as −expm1(log p) above: both agree with
     * −expm1 to a few ulps of the score on each side of the switch, and the score never decreases as ℓ falls.
     */
    @org.junit.jupiter.api.Test
    void theScoreIsOneMinusPToAFewUlpsOnBothSidesOfItsTwoFormulas() {
        GaussianMixture model = SyntheticData.randomOverlapping(CovarianceType.FULL, 3, 4, 1.5, 99);
        LogLikelihoodReference reference = new LogLikelihoodReference();
        reference.refresh(model);
        double top = reference.quantile(1.0);
        double previous = -1;
        int below = 0;
        int above = 0;
        for (double ll = top + 1; ll > top - 80; ll -= 0.003) {
            double logP = reference.logTailProbability(ll);
            double score = reference.anomalyScore(ll);
            double exact = -Math.expm1(logP);
            assertTrue(Math.abs(score - exact) <= 4 * Math.ulp(exact), ll + ": " + score + " against " + exact);
            assertTrue(score >= previous, "monotone at " + ll);
            assertTrue(score >= 0 && score <= 1);
            previous = score;
            if (logP < -0.5) {
                below++;
            } else {
                above++;
            }
        }
        assertTrue(below > 100 && above > 100, "both formulas exercised: " + below + ", " + above);
    }
}
