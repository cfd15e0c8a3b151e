package dev.mixstream.gmm;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** States written by earlier versions of the codec decode, and continue as the model that wrote them would. */
class ModelStateCodecTest {

    /** Copies what a sink saw out of the reused score. */
    private static ScoreSink into(List<String> seen) {
        return s -> seen.add(s.index() + " " + s.component() + " " + Double.doubleToRawLongBits(s.logLikelihood())
                + " " + java.util.Arrays.toString(s.responsibilities()) + " " + s.modelVersion()
                + " " + (s.tag() == null ? "-" : new String(s.tag(), java.nio.charset.StandardCharsets.UTF_8)));
    }

    @ParameterizedTest
    @EnumSource(ModelStateFixtures.class)
    void aVersion1StateDecodesAndReEncodesToTheSameBytes(ModelStateFixtures fixture) {
        byte[] committed = fixture.committed();
        OnlineMixture decoded = ModelStateCodec.decode(committed);
        assertEquals(fixture.points, decoded.pointsSeen());
        assertEquals(fixture.config, decoded.config());
        assertArrayEquals(committed, ModelStateCodec.encode(decoded), "version 1 is still the format written");
        assertArrayEquals(committed, ModelStateCodec.encode(fixture.replay(ScoreSink.IGNORE)),
                "today's engine builds the same state from the same points");
    }

    @ParameterizedTest
    @EnumSource(ModelStateFixtures.class)
    void aDecodedVersion1StateContinuesBitIdentically(ModelStateFixtures fixture) {
        int more = 1_200;
        double[][] xs = fixture.history(fixture.points + more);
        OnlineMixture decoded = ModelStateCodec.decode(fixture.committed());
        OnlineMixture replayed = fixture.replay(ScoreSink.IGNORE);
        List<String> fromDecoded = new ArrayList<>();
        List<String> fromReplayed = new ArrayList<>();
        for (int i = fixture.points; i < xs.length; i++) {
            decoded.learn(xs[i], ModelStateFixtures.tag(i), into(fromDecoded));
            replayed.learn(xs[i], ModelStateFixtures.tag(i), into(fromReplayed));
        }
        boolean warmingUp = !ModelStateCodec.decode(fixture.committed()).isInitialised();
        assertEquals(more + (warmingUp ? fixture.points : 0), fromDecoded.size(),
                "every point answered once, buffered warm-up points included");
        if (fixture.drifts) {
            assertTrue(decoded.refits() > 0, "the re-fit the state was collecting for took place");
        }
        assertEquals(fromReplayed, fromDecoded);
        assertArrayEquals(ModelStateCodec.encode(replayed), ModelStateCodec.encode(decoded));
    }

    @org.junit.jupiter.api.Test
    void theCovarianceTypeIsStoredAsItsCodeAndUnknownCodesOrVersionsAreRefused() {
        byte[] bytes = ModelStateFixtures.RUNNING_DIAG_PENDING_BATCH.committed();
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
        future[5] = 2;
        e = assertThrows(IllegalArgumentException.class, () -> ModelStateCodec.decode(future));
        assertEquals("unsupported model state version 2", e.getMessage());
    }
}
