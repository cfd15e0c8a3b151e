package dev.mixstream.gmm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** States written by earlier versions of the codec decode, and continue as the model that wrote them would. */
class ModelStateCodecTest {
    private static final int VERSION_AT = 4; // after the magic

    /** Copies what a sink saw out of the reused score: the learning, and the anomaly fields if asked. */
    private static ScoreSink into(List<String> seen, boolean anomalyFields) {
        return s -> {
            String learning = s.index() + " " + s.component() + " " + Double.doubleToRawLongBits(s.logLikelihood())
                    + " " + Arrays.toString(s.responsibilities()) + " " + s.modelVersion()
                    + " " + (s.tag() == null ? "-" : new String(s.tag(), java.nio.charset.StandardCharsets.UTF_8));
            if (anomalyFields) {
                StringBuilder features = new StringBuilder();
                for (int i = 0; i < s.anomalyFeatureCount(); i++) {
                    features.append(s.anomalyFeature(i)).append(',');
                }
                learning += " " + Double.doubleToRawLongBits(s.anomalyScore()) + " " + s.anomaly() + " " + features;
            }
            seen.add(learning);
        };
    }

    @ParameterizedTest
    @EnumSource(ModelStateFixtures.class)
    void aVersion3StateDecodesAndReEncodesToTheSameBytes(ModelStateFixtures fixture) {
        byte[] committed = fixture.committed(3);
        OnlineMixture decoded = ModelStateCodec.decode(committed);
        assertEquals(fixture.points, decoded.pointsSeen());
        assertEquals(fixture.config, decoded.config());
        assertArrayEquals(committed, ModelStateCodec.encode(decoded), "version 3 is still the format written");
        assertArrayEquals(committed, ModelStateCodec.encode(fixture.replay(ScoreSink.IGNORE)),
                "today's engine builds the same state from the same points");
    }

    /** The header-only summary (the HTTP API's listing) agrees with the fully decoded model, for both versions. */
    @ParameterizedTest
    @EnumSource(ModelStateFixtures.class)
    void theSummaryReadsTheHeaderAsTheDecoderDoes(ModelStateFixtures fixture) {
        for (int version : new int[]{1, 2, 3}) {
            byte[] state = fixture.committed(version);
            OnlineMixture m = ModelStateCodec.decode(state);
            ModelSummary s = ModelStateCodec.summary(state);
            assertEquals(m.config().components(), s.components());
            assertEquals(m.dimension(), s.dimension());
            assertEquals(m.pointsSeen(), s.pointsSeen());
            assertEquals(m.refits(), s.refits());
            assertEquals(m.isInitialised(), s.initialised());
            assertEquals(m.dimension() < 0 ? -1 : m.warmup(), s.warmup());
            assertEquals(m.isInitialised() ? m.avgLogLikelihood() : null, s.avgLogLikelihood());
            // a version-1 state has no anomaly block: its rate is unknown, not zero
            assertEquals(m.isInitialised() && version >= 2 ? m.anomalyRate() : null, s.anomalyRate());
        }
        assertThrows(IllegalArgumentException.class, () -> ModelStateCodec.summary(new byte[]{1, 2, 3, 4, 5, 6}));
        assertThrows(IllegalArgumentException.class, () -> ModelStateCodec.summary(
                Arrays.copyOf(fixture.committed(2), 20)));
    }

    /** The summary's anomaly rate is read from the end of the state: a model that flagged points shows its rate. */
    @Test
    void theSummaryReadsTheAnomalyRateOfAModelThatFlaggedPoints() {
        OnlineMixture m = new OnlineMixture(MixtureConfig.defaults(2, CovarianceType.FULL).withHalfLife(200));
        java.util.SplittableRandom rng = new java.util.SplittableRandom(5);
        for (int i = 0; i < 600; i++) {
            double c = i % 2 == 0 ? -4 : 4;
            m.learn(new double[]{c + rng.nextGaussian(), rng.nextGaussian()}, null, p -> { });
        }
        for (int i = 0; i < 15; i++) {
            m.learn(new double[]{40 + i, -40}, null, p -> { });
        }
        assertTrue(m.anomalyRate() > 0.01, "the outliers were flagged: " + m.anomalyRate());
        ModelSummary s = ModelStateCodec.summary(ModelStateCodec.encode(m));
        assertEquals(m.anomalyRate(), s.anomalyRate());
        assertEquals(m.avgLogLikelihood(), s.avgLogLikelihood());
    }

    @ParameterizedTest
    @EnumSource(ModelStateFixtures.class)
    void aVersion1StateIsAVersion2StateWithoutItsAnomalyBlock(ModelStateFixtures fixture) {
        byte[] v1 = fixture.committed(1);
        byte[] v2 = fixture.committed(2);
        assertEquals(1, v1[VERSION_AT + 1]);
        assertEquals(2, v2[VERSION_AT + 1]);
        boolean running = ModelStateCodec.decode(v1).isInitialised();
        int anomalyBlock = running ? 4 * 8 + LogLikelihoodReference.LEVELS * 8 : 0;
        assertEquals(v1.length + anomalyBlock, v2.length);
        assertArrayEquals(Arrays.copyOfRange(v1, VERSION_AT + 2, v1.length),
                Arrays.copyOfRange(v2, VERSION_AT + 2, v1.length), "the learning state is laid out as in version 1");
    }

    /** Version 3 adds one byte (no loaded parameters) before the anomaly block of a running model. */
    @ParameterizedTest
    @EnumSource(ModelStateFixtures.class)
    void aVersion2StateIsAVersion3StateWithoutItsLoadedParametersBlock(ModelStateFixtures fixture) {
        byte[] v2 = fixture.committed(2);
        byte[] v3 = fixture.committed(3);
        assertEquals(3, v3[VERSION_AT + 1]);
        boolean running = ModelStateCodec.decode(v2).isInitialised();
        int anomalyBlock = running ? 4 * 8 + LogLikelihoodReference.LEVELS * 8 : 0;
        int learning = v2.length - anomalyBlock;
        assertEquals(v2.length + (running ? 1 : 0), v3.length);
        assertArrayEquals(Arrays.copyOfRange(v2, VERSION_AT + 2, learning),
                Arrays.copyOfRange(v3, VERSION_AT + 2, learning), "the learning state is laid out as in version 2");
        if (running) {
            assertEquals(0, v3[learning], "not loaded");
            assertArrayEquals(Arrays.copyOfRange(v2, learning, v2.length),
                    Arrays.copyOfRange(v3, learning + 1, v3.length), "the anomaly block follows");
        }
    }

    @ParameterizedTest
    @EnumSource(ModelStateFixtures.class)
    void aDecodedVersion3StateContinuesBitIdenticallyAnomaliesIncluded(ModelStateFixtures fixture) {
        continuesLikeTheReplay(fixture, 3, true);
    }

    @ParameterizedTest
    @EnumSource(ModelStateFixtures.class)
    void aDecodedVersion2StateContinuesBitIdenticallyAnomaliesIncluded(ModelStateFixtures fixture) {
        continuesLikeTheReplay(fixture, 2, true);
    }

    /**
     * A loaded model scores its first points with exactly the given parameters (as {@link FrozenMixture} does with
     * them), through an encode and decode too; after its first step its parameters come from its statistics, and
     * the decoded copy still learns on bit-identically.
     */
    @ParameterizedTest
    @EnumSource(CovarianceType.class)
    void aLoadedModelScoresWithItsParametersExactlyUntilItLearnsAndSurvivesEncoding(CovarianceType type) {
        ModelStateFixtures source = ModelStateFixtures.RUNNING_FULL_NO_HALF_LIFE;
        MixtureConfig config = MixtureConfig.defaults(2, type).withHalfLife(300);
        OnlineMixture fitted = new OnlineMixture(config);
        double[][] xs = source.history(900);
        for (int i = 0; i < 600; i++) {
            fitted.learn(xs[i], null, ScoreSink.IGNORE);
        }
        GaussianMixture p = fitted.parameters();
        OnlineMixture loaded = OnlineMixture.loaded(config, p, 5_000, fitted.avgLogLikelihood());
        assertTrue(loaded.isPinned());
        assertEquals(config.withBatchSize(1).minStepSize() > 0 ? 1 / config.minStepSize() : 5_000,
                loaded.effectiveCount(), 1e-6, "n0 capped at the half-life's window");
        byte[] state = ModelStateCodec.encode(loaded);
        OnlineMixture decoded = ModelStateCodec.decode(state);
        assertTrue(decoded.isPinned());
        assertArrayEquals(state, ModelStateCodec.encode(decoded));
        FrozenMixture frozen = new FrozenMixture(p, AnomalyPolicy.DEFAULT);
        PointScore expected = frozen.score(xs[600]);
        String want = Double.doubleToRawLongBits(expected.logLikelihood()) + " " + Arrays.toString(expected.responsibilities())
                + " " + Double.doubleToRawLongBits(expected.anomalyScore());
        for (OnlineMixture m : List.of(loaded, decoded)) {
            String[] got = new String[1];
            m.learn(xs[600], null, s -> got[0] = Double.doubleToRawLongBits(s.logLikelihood()) + " "
                    + Arrays.toString(s.responsibilities()) + " " + Double.doubleToRawLongBits(s.anomalyScore()));
            assertEquals(want, got[0], "the first point is scored by the loaded parameters, bit for bit");
            assertFalse(m.isPinned(), "its first step re-computed the parameters");
        }
        List<String> a = new ArrayList<>();
        List<String> b = new ArrayList<>();
        for (int i = 601; i < 900; i++) {
            loaded.learn(xs[i], null, into(a, true));
            decoded.learn(xs[i], null, into(b, true));
        }
        assertEquals(a, b);
        assertArrayEquals(ModelStateCodec.encode(loaded), ModelStateCodec.encode(decoded));
        assertEquals(0, loaded.refits());
        assertTrue(loaded.pointsSeen() == 300 && loaded.isInitialised());
    }

    @ParameterizedTest
    @EnumSource(ModelStateFixtures.class)
    void aDecodedVersion1StateLearnsOnBitIdentically(ModelStateFixtures fixture) {
        OnlineMixture decoded = ModelStateCodec.decode(fixture.committed(1));
        if (decoded.isInitialised()) {
            assertEquals(0, decoded.anomalies(), "a version-1 state starts counting anomalies at decoding");
            LogLikelihoodReference fresh = new LogLikelihoodReference();
            fresh.refresh(decoded.parameters());
            assertArrayEquals(fresh.quantiles(), decoded.reference().quantiles(),
                    "its reference is that of the decoded parameters");
        }
        continuesLikeTheReplay(fixture, 1, false);
    }

    private static void continuesLikeTheReplay(ModelStateFixtures fixture, int version, boolean anomalyFields) {
        int more = 1_200;
        double[][] xs = fixture.history(fixture.points + more);
        OnlineMixture decoded = ModelStateCodec.decode(fixture.committed(version));
        OnlineMixture replayed = fixture.replay(ScoreSink.IGNORE);
        List<String> fromDecoded = new ArrayList<>();
        List<String> fromReplayed = new ArrayList<>();
        for (int i = fixture.points; i < xs.length; i++) {
            decoded.learn(xs[i], ModelStateFixtures.tag(i), into(fromDecoded, anomalyFields));
            replayed.learn(xs[i], ModelStateFixtures.tag(i), into(fromReplayed, anomalyFields));
        }
        boolean warmingUp = !ModelStateCodec.decode(fixture.committed(version)).isInitialised();
        assertEquals(more + (warmingUp ? fixture.points : 0), fromDecoded.size(),
                "every point answered once, buffered warm-up points included");
        if (fixture.drifts) {
            assertTrue(decoded.refits() > 0, "the re-fit the state was collecting for took place");
        }
        assertEquals(fromReplayed, fromDecoded);
        byte[] a = ModelStateCodec.encode(replayed);
        byte[] b = ModelStateCodec.encode(decoded);
        if (anomalyFields || warmingUp) {
            assertArrayEquals(a, b);
        } else { // the anomaly block differs (reference refreshed at decoding), the rest must not
            int learning = a.length - 4 * 8 - LogLikelihoodReference.LEVELS * 8;
            assertArrayEquals(Arrays.copyOf(a, learning), Arrays.copyOf(b, learning));
        }
    }

    @org.junit.jupiter.api.Test
    void theCovarianceTypeIsStoredAsItsCodeAndUnknownCodesOrVersionsAreRefused() {
        byte[] bytes = ModelStateFixtures.RUNNING_DIAG_PENDING_BATCH.committed(2);
        int typeAt = 4 + 2 + 4; // magic, version, K
        assertEquals(CovarianceType.DIAG.code(), bytes[typeAt]);
        assertEquals(java.util.List.of(0, 1, 2),
                java.util.Arrays.stream(CovarianceType.values()).map(CovarianceType::code).toList(),
                "stored codes never change");
        byte[] unknownType = bytes.clone();
        unknownType[typeAt] = 9;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelStateCodec.decode(unknownType));
        assertTrue(e.getMessage().contains("covariance type code 9"), e.getMessage());
        byte[] future = bytes.clone();
        future[5] = 4;
        e = assertThrows(IllegalArgumentException.class, () -> ModelStateCodec.decode(future));
        assertEquals("unsupported model state version 4", e.getMessage());
    }
}
