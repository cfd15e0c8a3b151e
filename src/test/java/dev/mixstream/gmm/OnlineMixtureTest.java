package dev.mixstream.gmm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OnlineMixtureTest {

    /** What a sink saw, copied out of the reused PointScore. */
    record Seen(long index, String tag, double[] responsibilities, int component, double logLikelihood,
                long modelVersion) {
    }

    static final class Recorder implements ScoreSink {
        final List<Seen> seen = new ArrayList<>();

        @Override
        public void accept(PointScore s) {
            seen.add(new Seen(s.index(), s.tag() == null ? null : new String(s.tag(), StandardCharsets.UTF_8),
                    s.responsibilities().clone(), s.component(), s.logLikelihood(), s.modelVersion()));
        }
    }

    private static double[][] stream(int n, long seed) {
        return SyntheticData.sample(SyntheticData.separated2d(), n, new SplittableRandom(seed));
    }

    @Test
    void everyPointIsScoredExactlyOnceInOrderWarmupIncluded() {
        OnlineMixture m = new OnlineMixture(MixtureConfig.defaults(3).withWarmup(50));
        Recorder r = new Recorder();
        double[][] xs = stream(120, 1);
        for (int i = 0; i < xs.length; i++) {
            m.learn(xs[i], ("p" + i).getBytes(StandardCharsets.UTF_8), r);
            if (i < 49) {
                assertEquals(0, r.seen.size(), "nothing is emitted during the warm-up");
            } else {
                assertEquals(i + 1, r.seen.size(), "the W-th point releases all warm-up scores");
            }
        }
        for (int i = 0; i < xs.length; i++) {
            Seen s = r.seen.get(i);
            assertEquals(i, s.index());
            assertEquals("p" + i, s.tag());
            assertEquals(1.0, Arrays.stream(s.responsibilities()).sum(), 1e-12);
            assertEquals(LogSumExp.argmax(s.responsibilities(), 3), s.component());
            assertTrue(Double.isFinite(s.logLikelihood()));
            // warm-up points are scored by the initial model (W points), later ones before their own update
            assertEquals(i < 50 ? 50 : i, s.modelVersion());
        }
        assertEquals(120, m.pointsSeen());
        assertEquals(120, m.pointsApplied());
    }

    @Test
    void miniBatchesUpdateTheParametersEveryMPoints() {
        OnlineMixture m = new OnlineMixture(MixtureConfig.defaults(3).withWarmup(48).withBatchSize(16));
        Recorder r = new Recorder();
        for (double[] x : stream(48 + 40, 2)) {
            m.learn(x, r);
        }
        assertEquals(48, r.seen.get(48 + 15).modelVersion());
        assertEquals(64, r.seen.get(48 + 16).modelVersion());
        assertEquals(80, r.seen.get(48 + 39).modelVersion());
        assertEquals(8, m.pointsPending());
    }

    @Test
    void sameInputAndSeedGiveBitIdenticalState() {
        double[][] xs = stream(5000, 3);
        OnlineMixture a = new OnlineMixture(MixtureConfig.defaults(3));
        OnlineMixture b = new OnlineMixture(MixtureConfig.defaults(3));
        for (double[] x : xs) {
            a.learn(x, ScoreSink.IGNORE);
            b.learn(x, ScoreSink.IGNORE);
        }
        assertArrayEquals(ModelStateCodec.encode(a), ModelStateCodec.encode(b));
        OnlineMixture c = new OnlineMixture(MixtureConfig.defaults(3).withSeed(7));
        for (double[] x : xs) {
            c.learn(x, ScoreSink.IGNORE);
        }
        assertFalse(Arrays.equals(ModelStateCodec.encode(a), ModelStateCodec.encode(c)), "the seed must matter");
    }

    @ParameterizedTest
    @EnumSource(CovarianceType.class)
    void serialisedStateHasItsAnnouncedSizeAndCorruptBytesAreRefused(CovarianceType type) {
        OnlineMixture m = new OnlineMixture(MixtureConfig.defaults(3, type).withBatchSize(4));
        double[][] xs = stream(1_003, 9);
        for (int i = 0; i < xs.length; i++) {
            m.learn(xs[i], ("t" + i).getBytes(StandardCharsets.UTF_8), s -> { });
            if (i % 97 == 0 || i == xs.length - 1) { // warm-up, running, with a pending mini-batch
                byte[] bytes = ModelStateCodec.encode(m);
                assertEquals(ModelStateCodec.encodedSize(m), bytes.length);
                assertArrayEquals(bytes, ModelStateCodec.encode(ModelStateCodec.decode(bytes)));
            }
        }
        byte[] bytes = ModelStateCodec.encode(m);
        assertThrows(IllegalArgumentException.class, () -> ModelStateCodec.decode(Arrays.copyOf(bytes, bytes.length - 1)));
        assertThrows(IllegalArgumentException.class, () -> ModelStateCodec.decode(Arrays.copyOf(bytes, bytes.length + 1)));
        byte[] wrongMagic = bytes.clone();
        wrongMagic[0] ^= 1;
        assertThrows(IllegalArgumentException.class, () -> ModelStateCodec.decode(wrongMagic));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 30, 99, 100, 101, 777, 2_345})
    void decodedStateContinuesBitIdentically(int cut) {
        // a drift after 1500 points makes the model re-fit, so cuts also land inside a re-fit buffer
        GaussianMixture before = SyntheticData.separated2d();
        SplittableRandom rng = new SplittableRandom(4);
        double[][] xs = new double[3000][];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = new double[2];
            (i < 1500 ? before : SyntheticData.shifted(before, 50)).sample(rng, xs[i]);
        }
        MixtureConfig config = MixtureConfig.defaults(3).withBatchSize(3).withHalfLife(500);
        OnlineMixture straight = new OnlineMixture(config);
        Recorder all = new Recorder();
        for (double[] x : xs) {
            straight.learn(x, all);
        }
        assertTrue(straight.refits() > 0);

        OnlineMixture first = new OnlineMixture(config);
        Recorder split = new Recorder();
        for (int i = 0; i < cut; i++) {
            first.learn(xs[i], split);
        }
        OnlineMixture resumed = ModelStateCodec.decode(ModelStateCodec.encode(first));
        assertArrayEquals(ModelStateCodec.encode(first), ModelStateCodec.encode(resumed));
        for (int i = cut; i < xs.length; i++) {
            resumed.learn(xs[i], split);
        }
        assertArrayEquals(ModelStateCodec.encode(straight), ModelStateCodec.encode(resumed));
        assertEquals(all.seen.size(), split.seen.size());
        for (int i = 0; i < all.seen.size(); i++) {
            assertEquals(all.seen.get(i).logLikelihood(), split.seen.get(i).logLikelihood());
            assertArrayEquals(all.seen.get(i).responsibilities(), split.seen.get(i).responsibilities());
        }
    }

    @Test
    void warmupTagsSurviveSerialisation() {
        OnlineMixture m = new OnlineMixture(MixtureConfig.defaults(2).withWarmup(10));
        double[][] xs = stream(10, 5);
        for (int i = 0; i < 5; i++) {
            m.learn(xs[i], i == 2 ? null : new byte[]{(byte) i, 0, (byte) 0xff}, ScoreSink.IGNORE);
        }
        OnlineMixture back = ModelStateCodec.decode(ModelStateCodec.encode(m));
        Recorder r = new Recorder();
        List<byte[]> tags = new ArrayList<>();
        for (int i = 5; i < 10; i++) {
            back.learn(xs[i], null, s -> tags.add(s.tag()));
        }
        assertEquals(10, tags.size());
        assertArrayEquals(new byte[]{1, 0, (byte) 0xff}, tags.get(1));
        assertNull(tags.get(2));
        assertTrue(r.seen.isEmpty());
    }

    @Test
    void rejectedPointsLeaveTheModelUnchanged() {
        OnlineMixture m = new OnlineMixture(MixtureConfig.defaults(3));
        for (double[] x : stream(300, 6)) {
            m.learn(x, ScoreSink.IGNORE);
        }
        byte[] before = ModelStateCodec.encode(m);
        assertEquals(PointProblem.WRONG_DIMENSION, m.check(new double[]{1, 2, 3}));
        assertEquals(PointProblem.NON_FINITE, m.check(new double[]{1, Double.NaN}));
        assertEquals(PointProblem.NON_FINITE, m.check(new double[]{Double.NEGATIVE_INFINITY, 0}));
        assertEquals(PointProblem.OUT_OF_RANGE, m.check(new double[]{1e101, 0}));
        assertEquals(PointProblem.EMPTY, m.check(new double[0]));
        assertNull(m.check(new double[]{1e100, -1e100}));
        for (double[] bad : new double[][]{{1, 2, 3}, {1, Double.NaN}, {1e101, 0}, {}}) {
            assertThrows(IllegalArgumentException.class, () -> m.learn(bad, ScoreSink.IGNORE));
        }
        assertArrayEquals(before, ModelStateCodec.encode(m));
        assertEquals(PointProblem.EMPTY, new OnlineMixture(MixtureConfig.defaults(2)).check(null));
    }

    @ParameterizedTest
    @EnumSource(CovarianceType.class)
    void duplicatedPointsKeepEveryComponentFiniteAndFloored(CovarianceType type) {
        OnlineMixture m = new OnlineMixture(MixtureConfig.defaults(3, type).withWarmup(20));
        for (int i = 0; i < 500; i++) {
            m.learn(new double[]{1e8, -3.5}, ScoreSink.IGNORE);
        }
        GaussianMixture g = m.parameters();
        for (int c = 0; c < 3; c++) {
            assertArrayEquals(new double[]{1e8, -3.5}, g.mean(c));
            double[][] cov = g.covariance(c);
            assertTrue(cov[0][0] >= 1e-6 * 0.5 && cov[0][0] < 1e-3, "variance floored at reg_covar: " + cov[0][0]);
            assertTrue(Double.isFinite(g.logDeterminant(c)));
        }
        assertTrue(Double.isFinite(m.avgLogLikelihood()));
    }

    @Test
    void halfLifeBoundsTheEffectiveCount() {
        OnlineMixture m = new OnlineMixture(MixtureConfig.defaults(3).withHalfLife(1000));
        for (double[] x : stream(30_000, 7)) {
            m.learn(x, ScoreSink.IGNORE);
        }
        // Σ decay weights relative to the newest point = 1/η_min = 1 / (1 − 2^(−1/1000)) ≈ 1443.2
        assertEquals(1 / (1 - Math.pow(2, -1.0 / 1000)), m.effectiveCount(), 1e-6);
        OnlineMixture none = new OnlineMixture(MixtureConfig.defaults(3).withHalfLife(Double.POSITIVE_INFINITY));
        for (double[] x : stream(30_000, 7)) {
            none.learn(x, ScoreSink.IGNORE);
        }
        // without a half-life and α = 1 the statistics are the exact running average of all points
        assertEquals(30_000, none.effectiveCount(), 1e-6);
    }

    @Test
    void diagonalAndSphericalModelsHaveTheirShape() {
        for (CovarianceType type : new CovarianceType[]{CovarianceType.DIAG, CovarianceType.SPHERICAL}) {
            OnlineMixture m = new OnlineMixture(MixtureConfig.defaults(3, type));
            for (double[] x : stream(5000, 8)) {
                m.learn(x, ScoreSink.IGNORE);
            }
            for (int c = 0; c < 3; c++) {
                double[][] cov = m.parameters().covariance(c);
                assertEquals(0.0, cov[0][1]);
                if (type == CovarianceType.SPHERICAL) {
                    assertEquals(cov[0][0], cov[1][1]);
                }
            }
        }
    }

    @Test
    void shortInputCanBeInitialisedOnDemand() {
        OnlineMixture m = new OnlineMixture(MixtureConfig.defaults(3));
        Recorder r = new Recorder();
        for (double[] x : stream(40, 9)) {
            m.learn(x, r);
        }
        assertFalse(m.isInitialised());
        m.initialiseNow(r);
        assertTrue(m.isInitialised());
        assertEquals(40, r.seen.size());
        assertEquals(40, m.pointsApplied());
    }
}
