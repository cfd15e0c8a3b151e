package dev.mixstream.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixstream.cli.MixstreamCli;
import dev.mixstream.gmm.GaussianMixture;
import dev.mixstream.gmm.ModelStateCodec;
import dev.mixstream.gmm.OnlineMixture;
import dev.mixstream.snapshot.MixtureSnapshot;
import dev.mixstream.snapshot.SnapshotAnomaly;
import dev.mixstream.snapshot.SnapshotJson;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Anomaly scores in the stream: the anomalies topic, the snapshots' anomaly block, and the offline replay. */
class AnomalyStreamTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final GaussianMixture TRUTH = MixstreamTopologyTest.TRUTH;

    @TempDir
    Path stateDir;
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> points;
    private TestOutputTopic<byte[], byte[]> responsibilities;
    private TestOutputTopic<byte[], byte[]> snapshots;
    private TestOutputTopic<byte[], byte[]> anomalies;

    private MixstreamSettings open(Map<String, String> extra) {
        Map<String, String> p = new HashMap<>(Map.of(
                "bootstrap.servers", "unused:9092",
                "mixstream.components", "3",
                "mixstream.warmup", "40",
                "mixstream.half.life", "500",
                "mixstream.snapshot.every.points", "500",
                "mixstream.topic.anomalies", "mixstream.anomalies"));
        p.putAll(extra);
        MixstreamSettings s = MixstreamSettings.from(p);
        Properties props = s.streamsProperties();
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(MixstreamTopology.build(s, 1), props, Instant.ofEpochMilli(1_000_000));
        ByteArraySerializer ser = new ByteArraySerializer();
        ByteArrayDeserializer de = new ByteArrayDeserializer();
        points = driver.createInputTopic(s.pointsTopic(), ser, ser);
        responsibilities = driver.createOutputTopic(s.responsibilitiesTopic(), de, de);
        snapshots = driver.createOutputTopic(s.snapshotsTopic(), de, de);
        anomalies = driver.createOutputTopic("mixstream.anomalies", de, de);
        return s;
    }

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    /** n points of the truth, every 97th one replaced by an outlier 25 to 35 units out. */
    private static double[][] pointsWithOutliers(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[][] xs = new double[n][2];
        for (int i = 0; i < n; i++) {
            if (i % 97 == 50) {
                double angle = 2 * Math.PI * rng.nextDouble();
                double radius = 25 + 10 * rng.nextDouble();
                xs[i][0] = radius * Math.cos(angle);
                xs[i][1] = radius * Math.sin(angle);
            } else {
                TRUTH.sample(rng, xs[i]);
            }
        }
        return xs;
    }

    private static byte[] array(double[] x) {
        return String.format(Locale.ROOT, "[%s,%s]", Double.toString(x[0]), Double.toString(x[1]))
                .getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void theAnomaliesTopicGetsExactlyTheFlaggedRecords() throws Exception {
        open(Map.of("mixstream.warmup", "auto", "mixstream.half.life", "10000"));
        double[][] xs = pointsWithOutliers(3000, 1);
        String[] keys = {"a", "b"};
        for (int i = 0; i < xs.length; i++) {
            points.pipeInput(utf8(keys[i % 2]), array(xs[i]));
        }
        List<TestRecord<byte[], byte[]>> all = responsibilities.readRecordsToList();
        List<TestRecord<byte[], byte[]>> flagged = anomalies.readRecordsToList();
        assertEquals(3000, all.size());
        List<TestRecord<byte[], byte[]>> expected = new ArrayList<>();
        int outliersFlagged = 0;
        for (TestRecord<byte[], byte[]> r : all) {
            JsonNode n = JSON.readTree(r.value());
            if (n.get("anomaly").asBoolean()) {
                expected.add(r);
                int i = n.get("offset").asInt(); // one partition: the offset is the input index
                outliersFlagged += i % 97 == 50 ? 1 : 0;
                assertTrue(n.get("anomaly_score").asDouble() >= 0.999);
                assertTrue(n.get("anomaly_features").size() >= 1 && n.get("anomaly_features").size() <= 2);
            } else {
                assertFalse(n.has("anomaly_features"));
            }
        }
        assertEquals(expected.size(), flagged.size());
        for (int i = 0; i < flagged.size(); i++) {
            assertArrayEquals(expected.get(i).key(), flagged.get(i).key());
            assertArrayEquals(expected.get(i).value(), flagged.get(i).value(), "the same record, byte for byte");
        }
        // the outliers past each key's warm-up (3000/97 ≈ 31, a few of them in the warm-ups) are all caught
        assertTrue(outliersFlagged >= 27, outliersFlagged + " outliers flagged");
        assertTrue(expected.size() <= outliersFlagged + 10, expected.size() + " flagged in all, α = 0.001");
    }

    @Test
    void snapshotsCarryTheAnomalyRateAndTheLogLikelihoodQuantiles() throws Exception {
        MixstreamSettings settings = open(Map.of("mixstream.anomaly.alpha", "0.01", "mixstream.anomaly.learn", "false"));
        double[][] xs = pointsWithOutliers(2000, 2);
        for (double[] x : xs) {
            points.pipeInput(utf8("m"), array(x));
        }
        List<TestRecord<byte[], byte[]>> snaps = snapshots.readRecordsToList();
        MixtureSnapshot last = SnapshotJson.fromBytes(snaps.get(snaps.size() - 1).value());
        assertEquals(2000, last.pointsSeen());
        SnapshotAnomaly a = last.anomaly();
        assertNotNull(a);
        long flagged = responsibilities.readRecordsToList().stream()
                .filter(r -> r.value().length > 0 && new String(r.value(), StandardCharsets.UTF_8)
                        .contains("\"anomaly\":true")).count();
        assertEquals(0.01, a.alpha(), 0.0);
        assertEquals(flagged, a.anomalies());
        OnlineMixture stored = ModelStateCodec.decode(((ModelStore) driver.getStateStore(MixstreamTopology.STORE))
                .wholeState("m"));
        stored.setAnomalyPolicy(settings.anomaly()); // the policy is the application's, not the stored model's
        assertEquals(stored.pointsNotLearned(), a.pointsNotLearned());
        assertTrue(a.pointsNotLearned() > 0 && a.pointsNotLearned() <= flagged, "flagged points past the warm-up");
        assertEquals(stored.anomalyRate(), a.rate(), 0.0);
        assertTrue(a.rate() > 0 && a.rate() < 0.05, "rate " + a.rate());
        SnapshotAnomaly.Quantiles q = a.logLikelihoodQuantiles();
        assertTrue(q.p50() > q.p1() && q.p1() > q.p01(), q.toString());
        assertEquals(stored.reference().quantile(0.001), q.p01(), 0.0);
        // the JSON has the block with its documented names
        JsonNode json = JSON.readTree(snaps.get(snaps.size() - 1).value()).get("anomaly");
        assertEquals(a.anomalies(), json.get("anomalies").asLong());
        assertEquals(q.p01(), json.get("log_likelihood_quantiles").get("p0_1").asDouble(), 0.0);
        assertEquals(a.pointsNotLearned(), json.get("points_not_learned").asLong());
    }

    @Test
    void fitScoresOutIsTheStreamsOutputRecordForRecord(@TempDir Path dir) throws Exception {
        MixstreamSettings settings = open(Map.of("mixstream.anomaly.alpha", "0.01", "mixstream.anomaly.learn", "false",
                "mixstream.batch.size", "2"));
        double[][] xs = pointsWithOutliers(2500, 3);
        StringBuilder csv = new StringBuilder();
        for (double[] x : xs) {
            points.pipeInput(utf8("sensor-1"), array(x));
            csv.append(x[0]).append(',').append(x[1]).append('\n');
        }
        Path file = dir.resolve("points.csv");
        Path model = dir.resolve("model.json");
        Path scores = dir.resolve("scores.jsonl");
        Files.writeString(file, csv);
        int code = MixstreamCli.commandLine().execute("fit", "--input", file.toString(),
                "--components", "3", "--warmup", "40", "--half-life", "500", "--batch-size", "2",
                "--anomaly-alpha", "0.01", "--no-anomaly-learn", "--no-progress",
                "--model-out", model.toString(), "--scores-out", scores.toString(), "--model-id", "sensor-1");
        assertEquals(0, code);
        List<String> offline = Files.readAllLines(scores);
        List<TestRecord<byte[], byte[]>> stream = responsibilities.readRecordsToList();
        assertEquals(xs.length, offline.size());
        assertEquals(xs.length, stream.size());
        int flagged = 0;
        for (int i = 0; i < xs.length; i++) {
            String streamed = new String(stream.get(i).value(), StandardCharsets.UTF_8);
            String replayed = offline.get(i);
            ObjectNode s = (ObjectNode) JSON.readTree(streamed);
            assertEquals(i, s.remove("offset").asInt());
            assertEquals(0, s.remove("partition").asInt());
            assertEquals(s, JSON.readTree(replayed), "record " + i + " (doubles compared exactly)");
            // byte for byte from the responsibilities on (x is the input's own text in the stream)
            String tail = streamed.substring(streamed.indexOf(",\"responsibilities\":"),
                    streamed.indexOf(",\"partition\":"));
            assertTrue(replayed.endsWith(tail + "}"), replayed + " vs " + streamed);
            assertTrue(replayed.startsWith("{\"model\":\"sensor-1\",\"x\":["), replayed);
            flagged += s.get("anomaly").asBoolean() ? 1 : 0;
        }
        assertTrue(flagged >= 20, flagged + " flagged records compared");
        // and the model the replay ends with is the stored one, anomaly state included
        MixtureSnapshot fitted = SnapshotJson.read(model);
        OnlineMixture stored = ModelStateCodec.decode(
                ((ModelStore) driver.getStateStore(MixstreamTopology.STORE)).wholeState("sensor-1"));
        stored.setAnomalyPolicy(settings.anomaly());
        MixtureSnapshot online = MixtureSnapshot.of(stored);
        assertArrayEquals(online.weights(), fitted.weights(), 0.0);
        assertEquals(online.anomaly(), fitted.anomaly());
    }
}
