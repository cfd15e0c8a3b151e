package dev.mixstream.gmm;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Properties that must hold for any finite input: responsibilities sum to 1, covariances stay
 * symmetric positive definite, nothing becomes NaN or infinite — at scales from 1e-8 to 1e8 and with
 * duplicated points.
 */
class NumericalPropertiesTest {

    /** A stream description: its scale, offset, duplicate fraction, and the shape of the model. */
    record Scenario(int k, int d, CovarianceType type, double scale, double offset, double duplicates, long seed) {
    }

    @Provide
    Arbitrary<Scenario> scenarios() {
        return Combinators.combine(
                Arbitraries.integers().between(1, 4),
                Arbitraries.integers().between(1, 5),
                Arbitraries.of(CovarianceType.class),
                Arbitraries.integers().between(-8, 8).map(e -> Math.pow(10, e)),
                Arbitraries.of(0.0, 1.0, -1e4, 1e8),
                Arbitraries.of(0.0, 0.5, 1.0),
                Arbitraries.longs()
        ).as(Scenario::new);
    }

    private static double[][] points(Scenario s, int n) {
        SplittableRandom rng = new SplittableRandom(s.seed());
        double[][] centres = new double[3][s.d()];
        for (double[] c : centres) {
            for (int i = 0; i < s.d(); i++) {
                c[i] = s.offset() + 5 * s.scale() * rng.nextGaussian();
            }
        }
        double[][] xs = new double[n][s.d()];
        for (int j = 0; j < n; j++) {
            if (j > 0 && rng.nextDouble() < s.duplicates()) {
                xs[j] = xs[j - 1].clone();
                continue;
            }
            double[] c = centres[rng.nextInt(3)];
            for (int i = 0; i < s.d(); i++) {
                xs[j][i] = c[i] + s.scale() * rng.nextGaussian();
            }
        }
        return xs;
    }

    @Property(tries = 150)
    void onlineLearningNeverProducesNaNAndKeepsCovariancesPositiveDefinite(@ForAll("scenarios") Scenario s) {
        MixtureConfig config = MixtureConfig.defaults(s.k(), s.type()).withWarmup(Math.max(s.k(), 30))
                .withHalfLife(200);
        OnlineMixture m = new OnlineMixture(config);
        double[] sums = new double[1];
        int[] count = new int[1];
        for (double[] x : points(s, 600)) {
            m.learn(x, p -> {
                double sum = 0;
                for (double r : p.responsibilities()) {
                    assertTrue(r >= 0 && r <= 1, "responsibility " + r);
                    sum += r;
                }
                assertEquals(1.0, sum, 1e-12);
                assertTrue(Double.isFinite(p.logLikelihood()), "log-likelihood " + p.logLikelihood());
                sums[0] += p.logLikelihood();
                count[0]++;
            });
        }
        assertEquals(600, count[0]);
        assertTrue(Double.isFinite(m.avgLogLikelihood()));
        assertTrue(Double.isFinite(m.effectiveCount()) && m.effectiveCount() > 0);
        GaussianMixture g = m.parameters();
        double[][][] covs = new double[s.k()][][];
        double[][] means = new double[s.k()][];
        for (int c = 0; c < s.k(); c++) {
            assertTrue(g.weight(c) > 0 && Double.isFinite(g.weight(c)));
            means[c] = g.mean(c);
            covs[c] = g.covariance(c);
            for (int i = 0; i < s.d(); i++) {
                assertTrue(Double.isFinite(means[c][i]));
                for (int j = 0; j < s.d(); j++) {
                    assertTrue(Double.isFinite(covs[c][i][j]));
                    assertEquals(covs[c][i][j], covs[c][j][i], 0.0, "symmetric");
                }
            }
            assertTrue(Double.isFinite(g.logDeterminant(c)));
        }
        // positive definite: the factory refuses anything its Cholesky cannot factor
        GaussianMixture.of(s.type(), g.weights(), means, covs);
        // and the serialised state continues identically
        assertEquals(java.util.Arrays.toString(ModelStateCodec.encode(m)),
                java.util.Arrays.toString(ModelStateCodec.encode(ModelStateCodec.decode(ModelStateCodec.encode(m)))));
    }

    @Property(tries = 300)
    void responsibilitiesSumToOneForAnyFinitePoint(@ForAll @IntRange(min = 1, max = 6) int d,
                                                   @ForAll @IntRange(min = -8, max = 8) int scaleExponent,
                                                   @ForAll @IntRange(min = -8, max = 8) int pointExponent,
                                                   @ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double scale = Math.pow(10, scaleExponent);
        int k = 1 + rng.nextInt(4);
        double[] w = new double[k];
        double[][] means = new double[k][d];
        double[][][] covs = new double[k][d][d];
        for (int c = 0; c < k; c++) {
            w[c] = rng.nextDouble() + 1e-3;
            for (int i = 0; i < d; i++) {
                means[c][i] = scale * rng.nextGaussian();
                covs[c][i][i] = scale * scale * (0.1 + rng.nextDouble());
            }
        }
        GaussianMixture g = GaussianMixture.of(CovarianceType.FULL, w, means, covs);
        double[] x = new double[d];
        for (int i = 0; i < d; i++) {
            x[i] = Math.pow(10, pointExponent) * rng.nextGaussian();
        }
        double[] r = new double[k];
        double ll = g.score(x, r);
        assertTrue(Double.isFinite(ll), "log-likelihood " + ll);
        double sum = 0;
        for (double v : r) {
            assertTrue(Double.isFinite(v) && v >= 0);
            sum += v;
        }
        assertEquals(1.0, sum, 1e-12);
    }
}
