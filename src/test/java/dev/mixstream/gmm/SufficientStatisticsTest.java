package dev.mixstream.gmm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The lazily decayed statistics (a common factor g, renormalised when small) against a direct,
 * eager implementation of S ← (1−η) S + η s in true units, across many renormalisations.
 */
class SufficientStatisticsTest {

    /** The textbook recursion in true units: W, m and the full scatter C, updated eagerly. */
    static final class Eager {
        final int k;
        final int d;
        final double[] w;
        final double[][] m;
        final double[][][] c;

        Eager(SufficientStatistics s) {
            k = s.k;
            d = s.d;
            w = new double[k];
            m = new double[k][d];
            c = new double[k][d][d];
            for (int j = 0; j < k; j++) {
                w[j] = s.g * s.weight[j];
                m[j] = s.mean[j].clone();
                for (int a = 0; a < d; a++) {
                    for (int b = 0; b < d; b++) {
                        c[j][a][b] = s.g * s.scatter[j][Math.max(a, b) * d + Math.min(a, b)];
                    }
                }
            }
        }

        /** S ← (1−η) S + η s(x): W' = (1−η)W + ηγ; m' = m + (ηγ/W')δ; C' = (1−η)C + ηγ(1 − ηγ/W')δδᵀ. */
        void step(double[] x, double[] gamma, double eta) {
            for (int j = 0; j < k; j++) {
                double a = eta * gamma[j];
                double nw = (1 - eta) * w[j] + a;
                double[] delta = new double[d];
                for (int i = 0; i < d; i++) {
                    delta[i] = x[i] - m[j][i];
                    m[j][i] += a / nw * delta[i];
                }
                for (int p = 0; p < d; p++) {
                    for (int q = 0; q < d; q++) {
                        c[j][p][q] = (1 - eta) * c[j][p][q] + a * (1 - a / nw) * delta[p] * delta[q];
                    }
                }
                w[j] = nw;
            }
        }
    }

    private static double[] responsibilities(SplittableRandom rng, int k) {
        double[] g = new double[k];
        double sum = 0;
        for (int j = 0; j < k; j++) {
            g[j] = rng.nextDouble() < 0.3 ? 0 : rng.nextDouble(); // some components get nothing
            sum += g[j];
        }
        if (sum == 0) {
            g[0] = sum = 1;
        }
        for (int j = 0; j < k; j++) {
            g[j] /= sum;
        }
        return g;
    }

    private static SufficientStatistics start(int k, int d, SplittableRandom rng) {
        SufficientStatistics s = new SufficientStatistics(k, d, CovarianceType.FULL);
        for (int n = 0; n < 50; n++) {
            double[] x = new double[d];
            for (int i = 0; i < d; i++) {
                x[i] = 100 + 3 * rng.nextGaussian();
            }
            s.accumulate(x, responsibilities(rng, k), 1.0);
            s.accumulate(x, new double[]{1, 1, 1}, 1e-3); // every component gets some weight
        }
        s.normalise();
        return s;
    }

    private static void assertSame(Eager e, SufficientStatistics s, double tolerance) {
        double total = 0;
        for (double w : e.w) {
            total += w;
        }
        assertEquals(1.0, total, 1e-9, "true weights keep summing to 1");
        for (int j = 0; j < e.k; j++) {
            assertEquals(e.w[j], s.g * s.weight[j], tolerance * e.w[j], "W_" + j);
            for (int i = 0; i < e.d; i++) {
                assertEquals(e.m[j][i], s.mean[j][i], tolerance * Math.abs(e.m[j][i]), "m_" + j);
                for (int q = 0; q <= i; q++) {
                    double sigma = e.c[j][i][q] / e.w[j];
                    double lazy = s.scatter[j][i * e.d + q] / s.weight[j];
                    assertEquals(sigma, lazy, tolerance * Math.sqrt(e.c[j][i][i] / e.w[j] * e.c[j][q][q] / e.w[j]),
                            "Σ_" + j);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.001, 0.05, 0.3})
    void singlePointStepsEqualTheEagerRecursionAcrossRenormalisations(double eta) {
        SplittableRandom rng = new SplittableRandom(11);
        SufficientStatistics lazy = start(3, 4, rng);
        Eager eager = new Eager(lazy);
        int steps = 6000;
        int renormalisations = 0;
        for (int n = 0; n < steps; n++) {
            double[] x = new double[4];
            for (int i = 0; i < 4; i++) {
                x[i] = 100 + 3 * rng.nextGaussian();
            }
            double[] gamma = responsibilities(rng, 3);
            double before = lazy.g;
            lazy.step(x, gamma, eta);
            eager.step(x, gamma, eta);
            if (lazy.g > before) {
                renormalisations++;
            }
            assertTrue(lazy.g >= SufficientStatistics.RENORMALISE_BELOW && lazy.g <= 1);
        }
        // g = (1−η)^n folded every time it would pass 2^−256
        int expected = (int) Math.floor(steps * -Math.log1p(-eta) / (256 * Math.log(2)) + 1e-9);
        assertTrue(Math.abs(renormalisations - expected) <= 1, renormalisations + " vs " + expected);
        assertSame(eager, lazy, 1e-9);
    }

    @Test
    void miniBatchBlendsEqualTheEagerRecursion() {
        SplittableRandom rng = new SplittableRandom(5);
        SufficientStatistics lazy = start(3, 3, rng);
        Eager eager = new Eager(lazy);
        SufficientStatistics batch = new SufficientStatistics(3, 3, CovarianceType.FULL);
        int m = 8;
        double eta = 0.2; // (0.8)^n passes 2^−256 every 796 batches
        for (int n = 0; n < 3000; n++) {
            batch.reset();
            double[][] xs = new double[m][3];
            double[][] gs = new double[m][];
            for (int p = 0; p < m; p++) {
                for (int i = 0; i < 3; i++) {
                    xs[p][i] = -50 + rng.nextGaussian();
                }
                gs[p] = responsibilities(rng, 3);
                batch.accumulate(xs[p], gs[p], 1.0 / m);
            }
            lazy.blend(batch, eta);
            // eager: one step with the batch's averaged statistics, as m sub-steps of a merged set
            Eager b = new Eager(batch);
            for (int j = 0; j < 3; j++) {
                double wa = (1 - eta) * eager.w[j];
                double wb = eta * b.w[j];
                double w = wa + wb;
                double[] delta = new double[3];
                for (int i = 0; i < 3; i++) {
                    delta[i] = b.m[j][i] - eager.m[j][i];
                    eager.m[j][i] += wb / w * delta[i];
                }
                for (int p = 0; p < 3; p++) {
                    for (int q = 0; q < 3; q++) {
                        eager.c[j][p][q] = (1 - eta) * eager.c[j][p][q] + eta * b.c[j][p][q]
                                + wa * wb / w * delta[p] * delta[q];
                    }
                }
                eager.w[j] = w;
            }
        }
        assertSame(eager, lazy, 1e-9);
    }

    @Test
    void parametersOfUntouchedComponentsAreNotRecomputedButEqualAFullMStep() {
        SplittableRandom rng = new SplittableRandom(3);
        SufficientStatistics s = start(3, 4, rng);
        GaussianMixture incremental = new GaussianMixture(3, 4, CovarianceType.FULL);
        s.maximise(incremental, 1e-6);
        for (int n = 0; n < 2000; n++) {
            double[] x = new double[4];
            for (int i = 0; i < 4; i++) {
                x[i] = 100 + 3 * rng.nextGaussian();
            }
            double[] gamma = responsibilities(rng, 3);
            if (n >= 1000) { // component 2 receives nothing while g is folded in twice (every 498 steps)
                gamma[0] += gamma[2];
                gamma[2] = 0;
            }
            s.step(x, gamma, 0.3);
            s.maximise(incremental, 1e-6);
        }
        GaussianMixture full = new GaussianMixture(3, 4, CovarianceType.FULL);
        s.maximise(full, 1e-6); // a new target: every component is computed
        for (int c = 0; c < 3; c++) {
            assertEquals(full.weight(c), incremental.weight(c), 0.0);
            assertArrayEquals(full.mean(c), incremental.mean(c), 0.0);
            for (int i = 0; i < 4; i++) {
                assertArrayEquals(full.covariance(c)[i], incremental.covariance(c)[i], 0.0);
            }
            assertEquals(full.logDeterminant(c), incremental.logDeterminant(c), 0.0);
        }
    }

    @ParameterizedTest
    @EnumSource(CovarianceType.class)
    void shortHalfLifeModelsRenormaliseAndStillContinueBitIdenticallyAfterDecoding(CovarianceType type) {
        // half-life 4 points: g = 2^(−n/4) passes 2^−256 every 1024 points
        MixtureConfig config = MixtureConfig.defaults(3, type).withHalfLife(4).withWarmup(60);
        double[][] xs = SyntheticData.sample(SyntheticData.separated2d(), 5000, new SplittableRandom(8));
        OnlineMixture straight = new OnlineMixture(config);
        for (double[] x : xs) {
            straight.learn(x, ScoreSink.IGNORE);
        }
        for (int cut : new int[]{1023, 2100, 4500}) {
            OnlineMixture first = new OnlineMixture(config);
            for (int i = 0; i < cut; i++) {
                first.learn(xs[i], ScoreSink.IGNORE);
            }
            OnlineMixture resumed = ModelStateCodec.decode(ModelStateCodec.encode(first));
            for (int i = cut; i < xs.length; i++) {
                resumed.learn(xs[i], ScoreSink.IGNORE);
            }
            assertArrayEquals(ModelStateCodec.encode(straight), ModelStateCodec.encode(resumed), "cut " + cut);
        }
        GaussianMixture g = straight.parameters();
        for (int c = 0; c < 3; c++) {
            assertTrue(g.weight(c) > 0 && Double.isFinite(g.logDeterminant(c)));
        }
    }
}
