package dev.mixstream.gmm;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Automatic K ({@link ComponentReview}): births, splits, merges and deaths, stable ids, the state through all of it. */
class OnlineComponentsTest {
    private static final double HALF_LIFE = 2_000;

    /** Automatic K up to {@code max}, the default half-life shortened so that the streams stay short. */
    private static MixtureConfig auto(int max) {
        return MixtureConfig.defaults(1).withHalfLife(HALF_LIFE).withAutomaticComponents(max);
    }

    private static GaussianMixture clusters(double[][] means, double[] weights) {
        double[][][] covs = new double[means.length][][];
        for (int c = 0; c < means.length; c++) {
            covs[c] = new double[][]{{1, 0.2}, {0.2, 0.8}};
        }
        return GaussianMixture.of(CovarianceType.FULL, weights, means, covs);
    }

    private static final double[][] THREE = {{0, 0}, {10, 0}, {0, 10}};
    private static final double[][] FOUR = {{0, 0}, {10, 0}, {0, 10}, {10, 10}};

    /** The id of the model's component whose mean is nearest to {@code at}. */
    private static int idNear(OnlineMixture m, double[] at) {
        GaussianMixture g = m.parameters();
        int best = 0;
        for (int c = 1; c < g.components(); c++) {
            if (KMeansPlusPlus.squaredDistance(g.mean(c), at) < KMeansPlusPlus.squaredDistance(g.mean(best), at)) {
                best = c;
            }
        }
        return m.componentId(best);
    }

    /** Checks every score: ids beside the responsibilities, the assignment's id, finite numbers. */
    private static final class Checked implements ScoreSink {
        OnlineMixture model;
        long scores;

        @Override
        public void accept(PointScore s) {
            double[] r = s.responsibilities();
            assertEquals(model.components(), r.length);
            for (int c = 0; c < r.length; c++) {
                assertTrue(Double.isFinite(r[c]));
                assertEquals(model.componentId(c), s.componentId(c));
            }
            assertTrue(Double.isFinite(s.logLikelihood()));
            assertEquals(s.componentId(s.component()), s.componentIdOfAssignment());
            scores++;
        }
    }

    @Test
    void automaticKIsConfiguredWithItsLargestK() {
        MixtureConfig c = auto(10);
        assertTrue(c.automaticComponents());
        assertEquals(MixtureConfig.AUTO_COMPONENTS, c.components());
        assertEquals(10, c.componentLimit());
        assertEquals(MixtureConfig.defaultWarmup(10, 2), c.warmupFor(2), "the warm-up of the largest K");
        InvalidMixtureConfigException e = assertThrows(InvalidMixtureConfigException.class,
                () -> c.withAutomaticComponents(0));
        assertEquals(MixtureParameter.MAX_COMPONENTS, e.parameter());
        e = assertThrows(InvalidMixtureConfigException.class, () -> new MixtureConfig(3, CovarianceType.FULL, 1e-6,
                1000, 1, 1, 0, 50, 0.005, 42, 5));
        assertEquals(MixtureParameter.MAX_COMPONENTS, e.parameter(), "max_components with a fixed K");
        e = assertThrows(InvalidMixtureConfigException.class, () -> c.withMinWeight(0.2));
        assertEquals(MixtureParameter.MIN_WEIGHT, e.parameter(), "min weight below 1 / max_components");
        e = assertThrows(InvalidMixtureConfigException.class, () -> c.withWarmup(5));
        assertEquals(MixtureParameter.WARMUP, e.parameter(), "a warm-up that cannot hold the largest K");
        assertFalse(c.withComponents(4).automaticComponents());
        assertEquals(0, c.withComponents(4).maxComponents());
    }

    @Test
    void theWarmUpChoosesKAndNumbersTheComponents() {
        OnlineMixture m = new OnlineMixture(auto(10));
        assertEquals(0, m.components(), "no K before the warm-up");
        GaussianMixture truth = clusters(THREE, new double[]{1, 1, 1});
        SplittableRandom rng = new SplittableRandom(3);
        double[] x = new double[2];
        Checked sink = new Checked();
        sink.model = m;
        while (!m.isInitialised()) {
            truth.sample(rng, x);
            m.learn(x, sink);
        }
        assertEquals(3, m.components());
        assertArrayEquals(new int[]{0, 1, 2}, m.componentIds());
        assertEquals(m.warmup(), sink.scores, "the warm-up's points are answered with the chosen K");
    }

    @Test
    void aClusterThatAppearsIsBornWithANewIdWhileTheOthersKeepTheirs() {
        OnlineMixture m = new OnlineMixture(auto(10));
        SplittableRandom rng = new SplittableRandom(5);
        Checked sink = new Checked();
        sink.model = m;
        learn(m, clusters(THREE, new double[]{1, 1, 1}), 8_000, rng, sink);
        assertEquals(3, m.components());
        int[] before = new int[3];
        for (int c = 0; c < 3; c++) {
            before[c] = idNear(m, THREE[c]);
        }
        long reviews = m.reviews();
        assertTrue(reviews > 0, "the components were reviewed");
        int appearedAt = -1;
        GaussianMixture four = clusters(FOUR, new double[]{1, 1, 1, 1});
        double[] x = new double[2];
        for (int i = 0; i < 2 * HALF_LIFE; i++) {
            four.sample(rng, x);
            m.learn(x, sink);
            if (appearedAt < 0 && m.components() == 4) {
                appearedAt = i;
            }
        }
        assertTrue(appearedAt >= 0, "a fourth component within two half-lives");
        assertEquals(4, m.components());
        for (int c = 0; c < 3; c++) {
            assertEquals(before[c], idNear(m, THREE[c]), "the component of cluster " + c + " kept its id");
        }
        int newborn = idNear(m, FOUR[3]);
        assertEquals(3, newborn, "the new component took the next id");
        assertEquals(1, m.births() + m.splits(), "one component was added");
    }

    @Test
    void aClusterThatVanishesDiesAndItsIdIsNeverReused() {
        OnlineMixture m = new OnlineMixture(auto(10));
        SplittableRandom rng = new SplittableRandom(7);
        Checked sink = new Checked();
        sink.model = m;
        learn(m, clusters(FOUR, new double[]{1, 1, 1, 1}), 8_000, rng, sink);
        assertEquals(4, m.components());
        int gone = idNear(m, FOUR[1]);
        int[] stay = {idNear(m, FOUR[0]), idNear(m, FOUR[2]), idNear(m, FOUR[3])};
        double[][] three = {FOUR[0], FOUR[2], FOUR[3]};
        GaussianMixture without = clusters(three, new double[]{1, 1, 1});
        double[] x = new double[2];
        int vanishedAt = -1;
        for (int i = 0; i < 2 * HALF_LIFE; i++) {
            without.sample(rng, x);
            m.learn(x, sink);
            if (vanishedAt < 0 && m.components() == 3) {
                vanishedAt = i;
            }
        }
        assertTrue(vanishedAt >= 0, "down to three components within two half-lives");
        assertEquals(3, m.components());
        assertTrue(m.deaths() >= 1);
        for (int c = 0; c < 3; c++) {
            assertEquals(stay[c], idNear(m, three[c]), "a surviving component kept its id");
        }
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 3 * HALF_LIFE; i++) {
            without.sample(rng, x);
            m.learn(x, sink);
            for (int id : m.componentIds()) {
                seen.add(id);
            }
        }
        assertFalse(seen.contains(gone), "the dead component's id " + gone + " never came back");
    }

    @Test
    void twoComponentsSharingOneClusterMergeIntoTheHeaviersId() {
        GaussianMixture two = GaussianMixture.of(CovarianceType.FULL, new double[]{0.6, 0.4},
                new double[][]{{-0.4, 0}, {0.4, 0}}, new double[][][]{{{0.85, 0}, {0, 1}}, {{0.85, 0}, {0, 1}}});
        OnlineMixture m = OnlineMixture.loaded(auto(10), two, new int[]{7, 9}, 5_000, -2.8);
        assertArrayEquals(new int[]{7, 9}, m.componentIds());
        GaussianMixture one = clusters(new double[][]{{0, 0}}, new double[]{1});
        Checked sink = new Checked();
        sink.model = m;
        learn(m, one, 12_000, new SplittableRandom(11), sink);
        assertEquals(1, m.components());
        assertEquals(1, m.merges());
        assertArrayEquals(new int[]{7}, m.componentIds(), "the merge kept the heavier component's id");
    }

    @Test
    void oneComponentOverTwoClustersSplitsAndTheNewHalfGetsANewId() {
        GaussianMixture wide = GaussianMixture.of(CovarianceType.FULL, new double[]{1}, new double[][]{{5, 0}},
                new double[][][]{{{26, 0}, {0, 1}}});
        OnlineMixture m = OnlineMixture.loaded(auto(10), wide, new int[]{4}, 5_000, -4);
        GaussianMixture two = clusters(new double[][]{{0, 0}, {10, 0}}, new double[]{1, 1});
        Checked sink = new Checked();
        sink.model = m;
        learn(m, two, 12_000, new SplittableRandom(13), sink);
        assertEquals(2, m.components());
        assertEquals(1, m.splits());
        int[] ids = m.componentIds();
        Arrays.sort(ids);
        assertArrayEquals(new int[]{4, 5}, ids, "one half kept the id, the other took the next");
    }

    @Test
    void aModelNeverHasMoreThanItsLargestK() {
        OnlineMixture m = new OnlineMixture(auto(2));
        GaussianMixture four = clusters(FOUR, new double[]{1, 1, 1, 1});
        SplittableRandom rng = new SplittableRandom(17);
        double[] x = new double[2];
        for (int i = 0; i < 12_000; i++) {
            four.sample(rng, x);
            m.learn(x, ScoreSink.IGNORE);
            assertTrue(m.components() <= 2, "K=" + m.components() + " at point " + i);
        }
        assertEquals(2, m.components());
        assertTrue(m.reviews() > 0);
    }

    /**
     * The whole life (warm-up, births, a death, reviews, collections in progress) through an encode and decode every
     * 997 points: the decoded model continues exactly as the one that was never encoded.
     */
    @Test
    void aModelEncodedAndDecodedThroughItsChangesContinuesBitIdentically() {
        SplittableRandom rng = new SplittableRandom(19);
        List<double[]> xs = new ArrayList<>();
        for (GaussianMixture phase : new GaussianMixture[]{clusters(THREE, new double[]{1, 1, 1}),
            clusters(FOUR, new double[]{1, 1, 1, 1}), clusters(new double[][]{THREE[0], THREE[2]}, new double[]{1, 1})}) {
            for (int i = 0; i < 8_000; i++) {
                double[] x = new double[2];
                phase.sample(rng, x);
                xs.add(x);
            }
        }
        List<String> straight = new ArrayList<>();
        OnlineMixture a = new OnlineMixture(auto(10));
        for (double[] x : xs) {
            a.learn(x, s -> straight.add(trace(s)));
        }
        List<String> decoded = new ArrayList<>();
        OnlineMixture b = new OnlineMixture(auto(10));
        for (int i = 0; i < xs.size(); i++) {
            if (i % 997 == 0) {
                b = ModelStateCodec.decode(ModelStateCodec.encode(b));
            }
            b.learn(xs.get(i), s -> decoded.add(trace(s)));
        }
        assertTrue(a.births() + a.splits() >= 1 && a.deaths() >= 1, "the stream changed K both ways: births "
                + a.births() + ", splits " + a.splits() + ", deaths " + a.deaths());
        assertEquals(straight.size(), decoded.size());
        for (int i = 0; i < straight.size(); i++) {
            assertEquals(straight.get(i), decoded.get(i), "score " + i);
        }
        assertArrayEquals(ModelStateCodec.encode(a), ModelStateCodec.encode(b));
        ModelSummary summary = ModelStateCodec.summary(ModelStateCodec.encode(a));
        assertEquals(a.components(), summary.components(), "the summary reads the current K");
        assertNotEquals(0, a.components());
    }

    /**
     * A model with automatic K after a birth, collecting its next review sample: its committed version-5 state
     * ({@code model-state-v5/running-auto-full.bin}, written by {@link #main}) decodes to a model that re-encodes to
     * the same bytes and continues exactly as itself re-encoded, and as the replay of its history to within the
     * pruned E-step's rounding (the fixture was written before the E-step set terms below 2⁻⁶⁴ to zero, and its
     * history has such terms) — the state a later format version must still read.
     */
    @Test
    void theCommittedStateOfAModelWithAutomaticKDecodesAndContinuesAsItsReplay() throws Exception {
        byte[] committed;
        try (java.io.InputStream in = OnlineComponentsTest.class.getResourceAsStream(
                "model-state-v5/running-auto-full.bin")) {
            committed = in.readAllBytes();
        }
        List<double[]> history = autoFixtureHistory();
        OnlineMixture replay = new OnlineMixture(auto(10));
        for (double[] x : history.subList(0, AUTO_FIXTURE_POINTS)) {
            replay.learn(x, ScoreSink.IGNORE);
        }
        OnlineMixture decoded = ModelStateCodec.decode(committed);
        assertArrayEquals(committed, ModelStateCodec.encode(decoded));
        assertFalse(java.util.Arrays.equals(committed, ModelStateCodec.encode(replay)),
                "the history has pruned terms, so today's replay moved (if not, check the bytes exactly again)");
        assertArrayEquals(replay.componentIds(), decoded.componentIds(), "today's replay made the same moves");
        ModelStateCodecTest.assertCloseParameters(decoded.parameters(), replay.parameters(),
                ModelStateCodecTest.PRUNING_TOLERANCE);
        OnlineMixture again = ModelStateCodec.decode(ModelStateCodec.encode(decoded));
        assertEquals(4, decoded.components());
        assertTrue(decoded.births() + decoded.splits() >= 1, "the fixture's model gained a component");
        assertTrue(decoded.drift.collecting(), "and is collecting a review sample");
        List<String> a = new ArrayList<>();
        List<String> b = new ArrayList<>();
        int[] components = new int[2];
        double[] ll = new double[2];
        double worst = 0;
        for (double[] x : history.subList(AUTO_FIXTURE_POINTS, history.size())) {
            replay.learn(x, s -> {
                components[0] = s.component();
                ll[0] = s.logLikelihood();
            });
            decoded.learn(x, s -> {
                a.add(trace(s));
                components[1] = s.component();
                ll[1] = s.logLikelihood();
            });
            again.learn(x, s -> b.add(trace(s)));
            assertEquals(components[0], components[1]);
            worst = Math.max(worst, Math.abs(ll[0] - ll[1]) / Math.abs(ll[0]));
        }
        assertTrue(worst <= ModelStateCodecTest.PRUNING_TOLERANCE, "log-likelihoods " + worst + " apart");
        assertArrayEquals(replay.componentIds(), decoded.componentIds());
        assertEquals(a, b);
        assertArrayEquals(ModelStateCodec.encode(again), ModelStateCodec.encode(decoded));
    }

    /** Points of the automatic-K fixture's history (and of its continuation). */
    private static final int AUTO_FIXTURE_POINTS = 12_500;

    /** Three clusters for 8 000 points, then four. */
    private static List<double[]> autoFixtureHistory() {
        SplittableRandom rng = new SplittableRandom(29);
        List<double[]> xs = new ArrayList<>();
        GaussianMixture three = clusters(THREE, new double[]{1, 1, 1});
        GaussianMixture four = clusters(FOUR, new double[]{1, 1, 1, 1});
        for (int i = 0; i < AUTO_FIXTURE_POINTS + 6_000; i++) {
            double[] x = new double[2];
            (i < 8_000 ? three : four).sample(rng, x);
            xs.add(x);
        }
        return xs;
    }

    /** Writes the automatic-K fixture into the given directory (run only to add it for a new format version). */
    public static void main(String[] args) throws java.io.IOException {
        OnlineMixture m = new OnlineMixture(auto(10));
        for (double[] x : autoFixtureHistory().subList(0, AUTO_FIXTURE_POINTS)) {
            m.learn(x, ScoreSink.IGNORE);
        }
        java.nio.file.Path dir = java.nio.file.Path.of(args[0]);
        java.nio.file.Files.createDirectories(dir);
        java.nio.file.Files.write(dir.resolve("running-auto-full.bin"), ModelStateCodec.encode(m));
        System.out.println("K=" + m.components() + " births " + m.births() + " splits " + m.splits()
                + " collecting " + m.drift.collecting() + " (" + m.drift.collectedCount + " points)");
    }

    private static String trace(PointScore s) {
        StringBuilder b = new StringBuilder();
        b.append(s.componentIdOfAssignment()).append(' ').append(Double.doubleToRawLongBits(s.logLikelihood()));
        for (int c = 0; c < s.responsibilities().length; c++) {
            b.append(' ').append(s.componentId(c)).append(':')
                    .append(Double.doubleToRawLongBits(s.responsibilities()[c]));
        }
        return b.append(' ').append(Double.doubleToRawLongBits(s.anomalyScore())).toString();
    }

    private static void learn(OnlineMixture m, GaussianMixture truth, int n, SplittableRandom rng, ScoreSink sink) {
        double[] x = new double[2];
        for (int i = 0; i < n; i++) {
            truth.sample(rng, x);
            m.learn(x, sink);
        }
    }
}
