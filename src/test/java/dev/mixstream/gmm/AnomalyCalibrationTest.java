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
}
