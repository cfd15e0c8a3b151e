package dev.mixstream.bench;

import dev.mixstream.gmm.ModelStateCodec;
import dev.mixstream.gmm.CovarianceType;
import dev.mixstream.gmm.MixtureConfig;
import dev.mixstream.gmm.OnlineMixture;
import dev.mixstream.streams.PointParser;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchPartsTest {
    @Test
    void passThroughCopiesKeyAndValueUnchanged() {
        try (TopologyTestDriver driver = new TopologyTestDriver(PassThroughTopology.build("in", "out"))) {
            TestInputTopic<byte[], byte[]> in = driver.createInputTopic("in", new ByteArraySerializer(), new ByteArraySerializer());
            TestOutputTopic<byte[], byte[]> out = driver.createOutputTopic("out", new ByteArrayDeserializer(), new ByteArrayDeserializer());
            byte[] value = {'{', 0, (byte) 0xff, '}'};
            in.pipeInput("k".getBytes(StandardCharsets.UTF_8), value);
            in.pipeInput(null, new byte[0]);
            var records = out.readRecordsToList();
            assertEquals(2, records.size());
            assertArrayEquals("k".getBytes(StandardCharsets.UTF_8), records.get(0).key());
            assertArrayEquals(value, records.get(0).value());
            assertArrayEquals(new byte[0], records.get(1).value());
        }
    }

    @Test
    void workloadValuesAreValidPointsStampedWithTheirSendTimeOverRoundRobinKeys() throws Exception {
        BenchWorkload w = new BenchWorkload(4, 3, 5, 1);
        PointParser parser = new PointParser(1 << 20, 4096);
        for (int i = 0; i < 20; i++) {
            assertEquals("model-" + (i % 5), w.nextKey());
            byte[] v = w.nextValue(1_000L + i);
            PointParser.ParsedPoint p = parser.parse(v);
            assertEquals(3, p.x().length);
            assertEquals(1_000L + i, p.ts());
            assertEquals(1_000L + i, PipelineBenchmark.sentAt(v));
        }
        for (int a = 0; a < 4; a++) {
            for (int b = a + 1; b < 4; b++) {
                double sq = 0;
                for (int i = 0; i < 3; i++) {
                    double t = w.truth().mean(a)[i] - w.truth().mean(b)[i];
                    sq += t * t;
                }
                assertTrue(Math.sqrt(sq) >= BenchWorkload.MIN_SEPARATION, "means " + a + ", " + b + " too close");
            }
        }
    }

    @Test
    void sentAtReadsTheTopLevelTimestampOfAnOutput() throws Exception {
        byte[] estimatorOutput = ("{\"model\":\"m\",\"ts\":42,\"x\":[1.0],\"responsibilities\":[1.0],\"component\":0,"
                + "\"nested\":{\"ts\":7}}").getBytes(StandardCharsets.UTF_8);
        assertEquals(42, PipelineBenchmark.sentAt(estimatorOutput));
        assertEquals(-1, PipelineBenchmark.sentAt("{\"nested\":{\"ts\":7}}".getBytes(StandardCharsets.UTF_8)));
        assertEquals(-1, PipelineBenchmark.sentAt("[1,2]".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void modelSizesAreThoseOfTheStoredState() {
        ModelSizes.Size s = ModelSizes.measure(5, 8, CovarianceType.FULL);
        assertEquals(MixtureConfig.defaults(5).warmupFor(8), s.warmup());
        // running: header + statistics (g; per component weight, mean, lower triangle of the scatter) + drift tracking
        int header = 4 + 2 + 61 + 4 + 4 + 40 + 16 + 1; // magic, version, configuration, D, W, counters, flag
        // (state version 5) components block: K, the ids, next id, points since a review, 5 counters, quiet reviews,
        // collection trigger
        int components = 4 + 5 * 4 + 4 + 8 + 5 * 8 + 4 + 1;
        int statistics = 8 + 5 * 8 * (1 + 8 + 36);
        int tracking = 4 + 5 * 8 + 8 + 8 + 4;
        int loaded = 1; // no loaded parameters (state version 3)
        // (state version 4) factor block: flag, per component W₀ and update count, and each factor moved by updates
        int factors = 1 + 5 * (8 + 4);
        int factor = 36 * 8;
        int anomaly = 3 * 8 + 8 + 91 * 8; // counters, recent rate, the reference's log-likelihood quantiles
        int fixed = header + components + statistics + tracking + loaded + factors + anomaly;
        int moved = (s.runningBytes() - fixed) / factor;
        assertEquals(fixed + moved * factor, s.runningBytes());
        assertTrue(moved >= 1 && moved <= 5, moved + " factors moved by rank-one updates");
        // warming up: W − 1 buffered points of 8 doubles, each with a 4-byte (null) tag length
        assertEquals(header + 4 + (s.warmup() - 1) * (8 * 8 + 4), s.warmupBytes());
        // what a warming model writes at a commit (W = 450): a head of at most B − 1 points (B, b, n and the points),
        // and a block of B points once
        int b = ModelStateCodec.BLOCK_POINTS;
        assertEquals(header + 3 * 4 + (b - 1) * (8 * 8 + 4), s.largestHeadBytes());
        assertEquals(4 + b * (8 * 8 + 4), s.blockBytes());
        // what a running model writes at a commit: its state with the 91 quantiles replaced by their 8-byte stamp, and
        // at a refresh the quantiles (91, after their count)
        assertEquals(s.runningBytes() - 91 * 8 + 8, s.runningHeadBytes());
        assertEquals(4 + 91 * 8, s.referenceBytes());
        assertTrue(ModelSizes.measure(5, 8, CovarianceType.DIAG).runningBytes() < s.runningBytes());
        OnlineMixture fresh = new OnlineMixture(MixtureConfig.defaults(5));
        assertEquals(ModelStateCodec.encodedSize(fresh), ModelStateCodec.encode(fresh).length);
    }

    /** The estimator's own parts per record are measured, each a positive finite number of µs. */
    @Test
    void theEstimatorsOwnPartsAreMeasured() {
        java.util.Map<String, String> p = new java.util.HashMap<>(java.util.Map.of("bootstrap.servers", "localhost:1",
                "mixstream.components", "3"));
        RecordParts parts = RecordParts.measure(3, 4, 4, 1, dev.mixstream.streams.MixstreamSettings.from(p));
        for (double us : new double[]{parts.parseMicros(), parts.engineMicros(), parts.writeMicros()}) {
            assertTrue(us > 0 && us < 1_000, "µs per record: " + parts);
        }
        assertEquals(parts.parseMicros() + parts.engineMicros() + parts.writeMicros(), parts.totalMicros(), 1e-12);
    }
}
