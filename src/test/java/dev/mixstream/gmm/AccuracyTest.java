package dev.mixstream.gmm;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One online pass against the project's own converged batch EM, judged on held-out data, and drift
 * tracking. The measured gaps are printed (and recorded in README's Accuracy table).
 */
@Tag("accuracy")
class AccuracyTest {
    private static final BatchEm.Options CONVERGED = new BatchEm.Options(2, 500, 1e-6);

    @Test
    void separated2dOnePassMatchesBatchEm() {
        GaussianMixture truth = SyntheticData.separated2d();
        SplittableRandom rng = new SplittableRandom(7);
        double[][] train = SyntheticData.sample(truth, 100_000, rng);
        double[][] test = SyntheticData.sample(truth, 50_000, rng);
        MixtureConfig config = MixtureConfig.defaults(3).withHalfLife(Double.POSITIVE_INFINITY);
        assertOnlineCloseToBatch("2-D K=3 separated, 100k", truth, train, test, config);
    }

    @Test
    void overlapping8dOnePassMatchesBatchEm() {
        GaussianMixture truth = SyntheticData.randomFull(5, 8, 2.0, 11);
        SplittableRandom rng = new SplittableRandom(13);
        double[][] train = SyntheticData.sample(truth, 200_000, rng);
        double[][] test = SyntheticData.sample(truth, 50_000, rng);
        MixtureConfig config = MixtureConfig.defaults(5).withHalfLife(Double.POSITIVE_INFINITY);
        assertOnlineCloseToBatch("8-D K=5 overlapping, 200k", truth, train, test, config);
    }

    private static void assertOnlineCloseToBatch(String name, GaussianMixture truth, double[][] train,
                                                 double[][] test, MixtureConfig config) {
        long t0 = System.nanoTime();
        OnlineMixture online = new OnlineMixture(config);
        for (double[] x : train) {
            online.learn(x, ScoreSink.IGNORE);
        }
        long t1 = System.nanoTime();
        BatchEm.Result batch = BatchEm.fit(train, config, CONVERGED);
        long t2 = System.nanoTime();
        double onlineLl = online.parameters().meanLogLikelihood(test);
        double batchLl = batch.mixture().meanLogLikelihood(test);
        double trueLl = truth.meanLogLikelihood(test);
        System.out.printf("[accuracy] %s: held-out LL online %.6f, batch EM %.6f (%d it), truth %.6f;"
                        + " gap to batch %.6f nats/point; online %.0f ms, batch %.0f ms%n",
                name, onlineLl, batchLl, batch.iterations(), trueLl, batchLl - onlineLl,
                (t1 - t0) / 1e6, (t2 - t1) / 1e6);
        assertTrue(batch.converged(), "batch EM reference did not converge");
        assertTrue(batchLl - onlineLl < 0.003, "online is " + (batchLl - onlineLl) + " nats/point below batch EM");
        assertEquals(train.length, online.pointsSeen());
        assertEquals(0, online.refits(), "a stationary stream must not trigger drift re-fits");
    }

    @Test
    void oneClusterMovingFarIsTrackedWhileTheOthersStay() {
        GaussianMixture before = SyntheticData.separated2d();
        double[][] means = {before.mean(0), before.mean(1), {-30, 25}};
        double[][][] covs = {before.covariance(0), before.covariance(1), before.covariance(2)};
        GaussianMixture after = GaussianMixture.of(CovarianceType.FULL, before.weights(), means, covs);
        SplittableRandom rng = new SplittableRandom(5);
        OnlineMixture online = new OnlineMixture(MixtureConfig.defaults(3).withHalfLife(5000));
        for (double[] x : SyntheticData.sample(before, 50_000, rng)) {
            online.learn(x, ScoreSink.IGNORE);
        }
        for (double[] x : SyntheticData.sample(after, 50_000, rng)) {
            online.learn(x, ScoreSink.IGNORE);
        }
        double[][] test = SyntheticData.sample(after, 50_000, rng);
        double gap = after.meanLogLikelihood(test) - online.parameters().meanLogLikelihood(test);
        System.out.printf("[accuracy] one cluster jumps 40: post-jump gap %.5f, refits %d%n", gap, online.refits());
        assertTrue(gap < 0.02, "gap " + gap);
    }

    @Test
    void reFitsEscapeLocalOptimaAfterAJump() {
        // three clusters on a circle of radius 6 (spacing ~10) jumping by (25, −15): a warm-started re-fit
        // alone can end with two components on one cluster; the fresh k-means++ candidates repair that
        double[][] means = new double[3][];
        for (int c = 0; c < 3; c++) {
            double a = c * 2 * Math.PI / 3;
            means[c] = new double[]{6 * Math.cos(a), 6 * Math.sin(a)};
        }
        double[][][] covs = {{{1.0, 0.3}, {0.3, 0.8}}, {{0.6, -0.2}, {-0.2, 0.9}}, {{0.7, 0}, {0, 0.7}}};
        GaussianMixture before = GaussianMixture.of(CovarianceType.FULL, new double[]{0.5, 0.3, 0.2}, means, covs);
        double[][] moved = new double[3][];
        for (int c = 0; c < 3; c++) {
            moved[c] = new double[]{means[c][0] + 25, means[c][1] - 15};
        }
        GaussianMixture after = GaussianMixture.of(CovarianceType.FULL, before.weights(), moved, covs);
        for (long seed = 1; seed <= 5; seed++) {
            SplittableRandom rng = new SplittableRandom(seed);
            OnlineMixture online = new OnlineMixture(MixtureConfig.defaults(3).withHalfLife(2000));
            for (double[] x : SyntheticData.sample(before, 7000, rng)) {
                online.learn(x, ScoreSink.IGNORE);
            }
            for (double[] x : SyntheticData.sample(after, 7000, rng)) {
                online.learn(x, ScoreSink.IGNORE);
            }
            for (int t = 0; t < 3; t++) {
                double best = Double.POSITIVE_INFINITY;
                for (int c = 0; c < 3; c++) {
                    best = Math.min(best, KMeansPlusPlus.squaredDistance(after.mean(t), online.parameters().mean(c)));
                }
                assertTrue(Math.sqrt(best) < 0.3, "seed " + seed + ": cluster " + t + " missed by " + Math.sqrt(best));
            }
        }
    }

    @Test
    void jumpLargerThanClusterSpacingIsTracked() {
        // three clusters 6 apart; halfway every mean moves by 40 (far more than the spacing)
        GaussianMixture before = SyntheticData.separated2d();
        GaussianMixture after = SyntheticData.shifted(before, 40);
        SplittableRandom rng = new SplittableRandom(3);
        MixtureConfig config = MixtureConfig.defaults(3).withHalfLife(5000);
        OnlineMixture online = new OnlineMixture(config);
        for (double[] x : SyntheticData.sample(before, 100_000, rng)) {
            online.learn(x, ScoreSink.IGNORE);
        }
        for (double[] x : SyntheticData.sample(after, 100_000, rng)) {
            online.learn(x, ScoreSink.IGNORE);
        }
        double[][] test = SyntheticData.sample(after, 50_000, rng);
        double onlineLl = online.parameters().meanLogLikelihood(test);
        double trueLl = after.meanLogLikelihood(test);
        System.out.printf("[accuracy] drift (jump 40, spacing 6, half-life 5000): post-jump held-out LL online %.5f,"
                + " truth %.5f, gap %.5f, refits %d%n", onlineLl, trueLl, trueLl - onlineLl, online.refits());
        assertTrue(online.refits() > 0, "starving components should have triggered a re-fit");
        assertTrue(trueLl - onlineLl < 0.02, "online is " + (trueLl - onlineLl) + " nats/point below the true model");
    }

    @Test
    void initialisationFindsEveryClusterOfAWellSeparatedMixture() {
        // 5 unit clusters in 8-D, 5.6 to 12.3 apart. With a single k-means++ start on the 450-point warm-up, 6 of
        // 16 seeds ended with one component on two clusters (weight ≈ 0.4) and two on one, a local optimum that no
        // starvation trigger fires on; the best of OnlineMixture.INIT_STARTS starts left 1 of these 64 there (seed
        // 43); split-and-merge moves after it (SplitMerge) leave none
        int k = 5;
        int d = 8;
        SplittableRandom rng = new SplittableRandom(1);
        GaussianMixture truth = SyntheticData.unitClusters(CovarianceType.FULL, k, d, 3 / Math.sqrt(2), rng);
        int stuck = 0;
        final int SEEDS = 64;
        for (int seed = 42; seed < 42 + SEEDS; seed++) {
            OnlineMixture m = new OnlineMixture(MixtureConfig.defaults(k, CovarianceType.FULL).withHalfLife(10_000)
                    .withSeed(seed));
            double[] x = new double[d];
            for (int i = 0; i < 6_000; i++) {
                truth.sample(rng, x);
                m.learn(x.clone(), s -> { });
            }
            for (int c = 0; c < k; c++) {
                double weight = m.parameters().weight(c);
                if (weight < 0.15 || weight > 0.25) {
                    stuck++;
                    System.out.printf("[accuracy] seed %d: component %d has weight %.3f%n", seed, c, weight);
                    break;
                }
            }
        }
        assertEquals(0, stuck, stuck + " of " + SEEDS + " models stuck in a local optimum (a single start: 6 of 16)");
    }

    /**
     * The JMH engine benchmark's 16×64 model (unit clusters, spread 4, seed 1, batch 256): its warm-up fit used to leave
     * one component on two clusters (weight 0.125) and one starving (0.007), which drift re-fits then repaired during
     * the measurement (4 re-fits in 600 000 points; the benchmark's steady-state guard failed). With split-and-merge
     * moves after the warm-up's EM every component holds one cluster from the start.
     */
    @Test
    void theBenchmarks16By64ModelStartsWithEveryClusterFound() {
        int k = 16;
        int d = 64;
        SplittableRandom rng = new SplittableRandom(1);
        GaussianMixture truth = SyntheticData.unitClusters(CovarianceType.FULL, k, d, 4, rng);
        MixtureConfig config = MixtureConfig.defaults(k, CovarianceType.FULL).withBatchSize(256).withHalfLife(10_000);
        OnlineMixture m = new OnlineMixture(config);
        double[] x = new double[d];
        for (int i = 0; i < config.warmupFor(d); i++) {
            truth.sample(rng, x);
            m.learn(x.clone(), s -> { });
        }
        assertTrue(m.isInitialised());
        for (int c = 0; c < k; c++) {
            double w = m.parameters().weight(c);
            assertTrue(w > 0.04 && w < 0.09, "component " + c + " has weight " + w + " (1/16 = 0.0625)");
        }
    }
}
