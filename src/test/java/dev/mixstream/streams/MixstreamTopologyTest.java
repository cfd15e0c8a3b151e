package dev.mixstream.streams;

import dev.mixstream.gmm.ModelStateCodec;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixstream.gmm.CovarianceType;
import dev.mixstream.gmm.GaussianMixture;
import dev.mixstream.gmm.OnlineMixture;
import dev.mixstream.gmm.ScoreSink;
import dev.mixstream.snapshot.MixtureSnapshot;
import dev.mixstream.snapshot.SnapshotJson;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
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
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MixstreamTopologyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The test stream's generating mixture (also {@link AnomalyStreamTest}'s). */
    static final GaussianMixture TRUTH = GaussianMixture.of(CovarianceType.FULL, new double[]{0.5, 0.3, 0.2},
            new double[][]{{0, 0}, {6, 0}, {0, 6}},
            new double[][][]{{{1, 0.3}, {0.3, 1}}, {{0.5, 0}, {0, 2}}, {{1, -0.5}, {-0.5, 1}}});

    @TempDir
    Path stateDir;
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> points;
    private TestOutputTopic<byte[], byte[]> responsibilities;
    private TestOutputTopic<byte[], byte[]> snapshots;
    private TestOutputTopic<byte[], byte[]> dlq;
    private MixstreamSettings settings;

    static MixstreamSettings settings(Map<String, String> extra) {
        Map<String, String> p = new HashMap<>(Map.of(
                "bootstrap.servers", "unused:9092",
                "mixstream.components", "3",
                "mixstream.warmup", "20",
                "mixstream.half.life", "500",
                "mixstream.snapshot.every.points", "50",
                "mixstream.snapshot.interval.ms", "1000"));
        p.putAll(extra);
        return MixstreamSettings.from(p);
    }

    private void open(MixstreamSettings s) {
        open(s, MixstreamMetrics.standalone(s.pointsTopic()));
    }

    private void open(MixstreamSettings s, MixstreamMetrics metrics) {
        settings = s;
        Properties props = s.streamsProperties();
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(MixstreamTopology.build(s, 1, metrics), props,
                Instant.ofEpochMilli(1_000_000));
        ByteArraySerializer ser = new ByteArraySerializer();
        ByteArrayDeserializer de = new ByteArrayDeserializer();
        points = driver.createInputTopic(s.pointsTopic(), ser, ser);
        responsibilities = driver.createOutputTopic(s.responsibilitiesTopic(), de, de);
        snapshots = driver.createOutputTopic(s.snapshotsTopic(), de, de);
        dlq = driver.createOutputTopic(s.dlqTopic(), de, de);
    }

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    /**
     * Automatic K through the topology: the stream's records are the engine's (component ids included) while a fourth
     * cluster joins and the model gains a component with a new id; the change is counted in the metrics and the
     * snapshots carry the ids and the automatic configuration.
     */
    @Test
    void aModelWithAutomaticKGainsAComponentAndItsRecordsAreTheEnginesWithTheirIds() throws Exception {
        MixstreamMetrics metrics = MixstreamMetrics.standalone("mixstream.points");
        open(settings(Map.of("mixstream.components", "auto", "mixstream.max.components", "6",
                "mixstream.warmup", "auto", "mixstream.half.life", "2000", "mixstream.snapshot.every.points",
                "1000")), metrics);
        GaussianMixture four = GaussianMixture.of(CovarianceType.FULL, new double[]{0.4, 0.25, 0.15, 0.2},
                new double[][]{{0, 0}, {6, 0}, {0, 6}, {15, 15}},
                new double[][][]{{{1, 0.3}, {0.3, 1}}, {{0.5, 0}, {0, 2}}, {{1, -0.5}, {-0.5, 1}}, {{1, 0}, {0, 1}}});
        SplittableRandom rng = new SplittableRandom(23);
        List<double[]> xs = new ArrayList<>();
        for (int i = 0; i < 12_000; i++) {
            double[] x = new double[2];
            (i < 6_000 ? TRUTH : four).sample(rng, x);
            xs.add(x);
            points.pipeInput(utf8("m"), array(x));
        }
        OnlineMixture engine = new OnlineMixture(settings.mixture());
        List<String> want = new ArrayList<>();
        for (double[] x : xs) {
            engine.learn(x, s -> {
                StringBuilder b = new StringBuilder().append(s.componentIdOfAssignment()).append(' ')
                        .append(s.logLikelihood());
                for (int c = 0; c < s.responsibilities().length; c++) {
                    b.append(' ').append(s.componentId(c)).append(':').append(s.responsibilities()[c]);
                }
                want.add(b.toString());
            });
        }
        List<TestRecord<byte[], byte[]>> out = responsibilities.readRecordsToList();
        assertEquals(want.size(), out.size());
        java.util.Set<String> idSets = new java.util.LinkedHashSet<>();
        for (int i = 0; i < out.size(); i++) {
            JsonNode n = json(out.get(i).value());
            StringBuilder b = new StringBuilder().append(n.get("component").asInt()).append(' ')
                    .append(n.get("log_likelihood").asDouble());
            for (int c = 0; c < n.get("responsibilities").size(); c++) {
                b.append(' ').append(n.get("component_ids").get(c).asInt()).append(':')
                        .append(n.get("responsibilities").get(c).asDouble());
            }
            assertEquals(want.get(i), b.toString(), "record " + i);
            idSets.add(n.get("component_ids").toString());
        }
        assertEquals(List.of("[0,1,2]", "[0,1,2,3]"), new ArrayList<>(idSets), "K 3, then a fourth with the next id");
        assertEquals(engine.births() + engine.splits(),
                metrics.registry().get("mixstream.component.changes").tag("change", "birth").counter().count()
                        + metrics.registry().get("mixstream.component.changes").tag("change", "split").counter()
                        .count(), 0.0);
        assertTrue(engine.births() + engine.splits() >= 1);
        List<TestRecord<byte[], byte[]>> snaps = snapshots.readRecordsToList();
        MixtureSnapshot last = SnapshotJson.fromBytes(snaps.get(snaps.size() - 1).value());
        assertArrayEquals(engine.componentIds(), last.componentIds());
        assertEquals("held_out", last.config().criterion());
        assertEquals(6, last.config().maxComponents());
    }

    private static double[][] sample(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[][] xs = new double[n][2];
        for (double[] x : xs) {
            TRUTH.sample(rng, x);
        }
        return xs;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] array(double[] x) {
        return utf8(String.format(Locale.ROOT, "[%s,%s]", Double.toString(x[0]), Double.toString(x[1])));
    }

    private KeyValueStore<String, byte[]> store() {
        return ((ModelStore) driver.getStateStore(MixstreamTopology.STORE)).stored();
    }

    /** The model's whole state as last written (its head put together with its blocks or its anomaly reference). */
    private byte[] whole(String key) {
        return ((ModelStore) driver.getStateStore(MixstreamTopology.STORE)).wholeState(key);
    }

    private KeyValueStore<String, byte[]> references() {
        return driver.getKeyValueStore(MixstreamTopology.ANOMALY_REFERENCES_STORE);
    }

    private static JsonNode json(byte[] value) throws Exception {
        return JSON.readTree(value);
    }

    private static String header(TestRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Test
    void everyValidPointGetsExactlyOneResponsibilityRecordInOrderPerKey() throws Exception {
        open(settings(Map.of()));
        String[] keys = {"a", "b", "c"};
        double[][] xs = sample(300, 1);
        for (int i = 0; i < xs.length; i++) {
            String key = keys[i % 3];
            byte[] value = i % 4 == 0
                    ? utf8(String.format(Locale.ROOT, "{\"x\":[%s,%s],\"id\":\"evt-%d\",\"ts\":%d,\"extra\":{\"a\":[1]}}",
                    xs[i][0], xs[i][1], i, 1_700_000_000_000L + i))
                    : array(xs[i]);
            points.pipeInput(new TestRecord<>(utf8(key), value, Instant.ofEpochMilli(5_000 + i)));
        }
        List<TestRecord<byte[], byte[]>> out = responsibilities.readRecordsToList();
        assertEquals(300, out.size());
        assertTrue(dlq.isEmpty());
        Map<String, Long> lastOffset = new HashMap<>();
        for (TestRecord<byte[], byte[]> r : out) {
            String key = new String(r.key(), StandardCharsets.UTF_8);
            JsonNode n = json(r.value());
            assertEquals(key, n.get("model").asText());
            long offset = n.get("offset").asLong();
            assertTrue(offset > lastOffset.getOrDefault(key, -1L), "in input order within a key");
            lastOffset.put(key, offset);
            int i = (int) offset; // one partition: the offset is the input index
            assertEquals(keys[i % 3], key);
            assertEquals(xs[i][0], n.get("x").get(0).asDouble(), 0.0);
            assertEquals(xs[i][1], n.get("x").get(1).asDouble(), 0.0);
            if (i % 4 == 0) {
                assertEquals("evt-" + i, n.get("id").asText());
                assertEquals(1_700_000_000_000L + i, n.get("ts").asLong());
            } else {
                assertFalse(n.has("id"));
                assertFalse(n.has("ts"));
            }
            double sum = 0;
            int argmax = 0;
            for (int c = 0; c < 3; c++) {
                double v = n.get("responsibilities").get(c).asDouble();
                sum += v;
                if (v > n.get("responsibilities").get(argmax).asDouble()) {
                    argmax = c;
                }
            }
            assertEquals(1.0, sum, 1e-12);
            assertEquals(argmax, n.get("component").asInt());
            assertTrue(Double.isFinite(n.get("log_likelihood").asDouble()));
            assertEquals(0, n.get("partition").asInt());
            // warm-up points (the first 20 of each key) are scored by the initial model of 20 points
            int perKey = i / 3;
            assertEquals(perKey < 20 ? 20 : perKey, n.get("model_version").asLong());
        }
    }

    /**
     * mixstream.output.x=false and mixstream.output.responsibility.digits=3: the same records but for x, and each
     * responsibility rounded to 3 significant digits; the models learn exactly as with the full records.
     */
    @Test
    void theOutputSettingsShortenTheRecordsAndNotTheLearning() throws Exception {
        double[][] xs = sample(200, 9);
        List<JsonNode> full = new ArrayList<>();
        List<JsonNode> short3 = new ArrayList<>();
        byte[] fullState = null;
        for (Map<String, String> extra : List.of(Map.<String, String>of(),
                Map.of("mixstream.output.x", "false", "mixstream.output.responsibility.digits", "3"))) {
            close();
            open(settings(extra));
            for (double[] x : xs) {
                points.pipeInput(utf8("k"), array(x));
            }
            List<JsonNode> into = extra.isEmpty() ? full : short3;
            for (TestRecord<byte[], byte[]> r : responsibilities.readRecordsToList()) {
                into.add(json(r.value()));
            }
            byte[] state = whole("k");
            if (fullState == null) {
                fullState = state;
            } else {
                assertArrayEquals(fullState, state, "the model learned the same");
            }
        }
        assertEquals(200, full.size());
        assertEquals(200, short3.size());
        for (int i = 0; i < full.size(); i++) {
            com.fasterxml.jackson.databind.node.ObjectNode a = (com.fasterxml.jackson.databind.node.ObjectNode) full.get(i);
            JsonNode b = short3.get(i);
            assertTrue(a.has("x"));
            assertFalse(b.has("x"));
            for (int c = 0; c < 3; c++) {
                double exact = a.get("responsibilities").get(c).asDouble();
                double rounded = exact == 0 ? 0 : new java.math.BigDecimal(exact)
                        .round(new java.math.MathContext(3)).doubleValue();
                assertEquals(rounded, b.get("responsibilities").get(c).asDouble(), Math.ulp(rounded) + 1e-3 * exact);
            }
            a.remove("x");
            a.remove("responsibilities");
            ((com.fasterxml.jackson.databind.node.ObjectNode) b).remove("responsibilities");
            assertEquals(a, b, "everything else as in the full record");
        }
    }

    @Test
    void warmupAnswersArriveWhenTheModelInitialises() {
        open(settings(Map.of()));
        double[][] xs = sample(25, 2);
        for (int i = 0; i < 19; i++) {
            points.pipeInput(utf8("k"), array(xs[i]));
        }
        assertTrue(responsibilities.isEmpty(), "nothing before the warm-up is full");
        assertTrue(snapshots.isEmpty());
        points.pipeInput(utf8("k"), array(xs[19]));
        assertEquals(20, responsibilities.readRecordsToList().size());
        assertEquals(1, snapshots.readRecordsToList().size(), "a snapshot at initialisation");
        points.pipeInput(utf8("k"), array(xs[20]));
        assertEquals(1, responsibilities.readRecordsToList().size());
    }

    @Test
    void parametersAreBitIdenticalToTheEngineOnTheSameSequence() throws Exception {
        open(settings(Map.of("mixstream.batch.size", "4")));
        double[][] xs = sample(777, 3);
        OnlineMixture direct = new OnlineMixture(settings.mixture());
        for (double[] x : xs) {
            points.pipeInput(utf8("model-1"), array(x));
            direct.learn(x, ScoreSink.IGNORE);
        }
        byte[] stored = whole("model-1");
        OnlineMixture fromStore = ModelStateCodec.decode(stored);
        GaussianMixture g = fromStore.parameters();
        GaussianMixture d = direct.parameters();
        for (int c = 0; c < 3; c++) {
            assertEquals(d.weight(c), g.weight(c), 0.0);
            assertArrayEquals(d.mean(c), g.mean(c), 0.0);
            for (int i = 0; i < 2; i++) {
                assertArrayEquals(d.covariance(c)[i], g.covariance(c)[i], 0.0);
            }
        }
        assertEquals(direct.pointsSeen(), fromStore.pointsSeen());
        assertEquals(direct.avgLogLikelihood(), fromStore.avgLogLikelihood(), 0.0);
        // the last snapshot (at 750 points) carries the same parameters as the engine had then
        List<TestRecord<byte[], byte[]>> snaps = snapshots.readRecordsToList();
        MixtureSnapshot last = SnapshotJson.fromBytes(snaps.get(snaps.size() - 1).value());
        assertEquals("model-1", last.model());
        assertEquals(750, last.pointsSeen());
        assertEquals(1_000_000L, last.updatedAt());
    }

    @Test
    void parametersEqualTheOfflineFitCommandOnTheSameSequence(@TempDir Path dir) throws Exception {
        open(settings(Map.of("mixstream.batch.size", "2", "mixstream.covariance.type", "diag")));
        double[][] xs = sample(1500, 9);
        StringBuilder csv = new StringBuilder("x0,x1\n");
        for (double[] x : xs) {
            points.pipeInput(utf8("cli"), array(x));
            csv.append(x[0]).append(',').append(x[1]).append('\n');
        }
        Path file = dir.resolve("points.csv");
        Path model = dir.resolve("model.json");
        java.nio.file.Files.writeString(file, csv);
        int code = dev.mixstream.cli.MixstreamCli.commandLine().execute("fit", "--input", file.toString(),
                "--components", "3", "--covariance", "diag", "--warmup", "20", "--half-life", "500",
                "--batch-size", "2", "--no-progress", "--model-out", model.toString());
        assertEquals(0, code);
        MixtureSnapshot offline = SnapshotJson.read(model);
        MixtureSnapshot online = MixtureSnapshot.of(ModelStateCodec.decode(whole("cli")));
        assertArrayEquals(offline.weights(), online.weights(), 0.0);
        for (int c = 0; c < 3; c++) {
            assertArrayEquals(offline.means()[c], online.means()[c], 0.0);
            for (int i = 0; i < 2; i++) {
                assertArrayEquals(offline.covariances()[c][i], online.covariances()[c][i], 0.0);
            }
        }
        assertEquals(offline.nEff(), online.nEff(), 0.0);
        assertEquals(offline.avgLogLikelihood(), online.avgLogLikelihood(), 0.0);
        assertEquals(offline.config(), online.config());
    }

    @Test
    void snapshotsEveryNPointsAndOnTheWallClockOnlyForChangedModels() throws Exception {
        open(settings(Map.of()));
        double[][] xs = sample(120, 4);
        for (double[] x : xs) {
            points.pipeInput(utf8("a"), array(x));
        }
        for (int i = 0; i < 10; i++) {
            points.pipeInput(utf8("b"), array(xs[i])); // still warming up: never snapshotted
        }
        List<TestRecord<byte[], byte[]>> snaps = snapshots.readRecordsToList();
        // at initialisation (20 points), then at 50 and 100 points
        assertEquals(List.of(20L, 50L, 100L), snaps.stream()
                .map(r -> SnapshotJson.fromBytes(r.value()).pointsSeen()).toList());
        snaps.forEach(r -> assertEquals("a", new String(r.key(), StandardCharsets.UTF_8)));
        driver.advanceWallClockTime(Duration.ofMillis(1000));
        List<TestRecord<byte[], byte[]>> timed = snapshots.readRecordsToList();
        assertEquals(1, timed.size(), "a changed since its snapshot at 100; b is not initialised");
        MixtureSnapshot s = SnapshotJson.fromBytes(timed.get(0).value());
        assertEquals(120, s.pointsSeen());
        assertEquals(1_001_000L, s.updatedAt());
        driver.advanceWallClockTime(Duration.ofMillis(1000));
        assertTrue(snapshots.isEmpty(), "no new point since the last snapshot: nothing re-emitted");
        points.pipeInput(utf8("a"), array(xs[0]));
        driver.advanceWallClockTime(Duration.ofMillis(1000));
        assertEquals(1, snapshots.readRecordsToList().size());
    }

    /**
     * Wall-clock snapshots are spread over the interval: 50 models changing 20 ms apart are each snapshotted within the
     * interval (1 000 ms) after their change, at the tick of their own slot (a tenth of the interval, by key), a few per
     * punctuation, not all in one. The snapshots store (which a punctuation writes as one batch) holds each model's
     * latest snapshot, byte for byte as sent.
     */
    @Test
    void wallClockSnapshotsOfManyModelsAreSpreadOverTheInterval() throws Exception {
        open(settings(Map.of()));
        double[][] xs = sample(20, 4);
        int models = 50;
        for (int m = 0; m < models; m++) {
            for (double[] x : xs) {
                points.pipeInput(utf8("m" + m), array(x)); // initialised: snapshotted at the 20th point
            }
        }
        Map<String, byte[]> latest = new HashMap<>();
        List<TestRecord<byte[], byte[]>> initial = snapshots.readRecordsToList();
        assertEquals(models, initial.size());
        initial.forEach(r -> latest.put(new String(r.key(), StandardCharsets.UTF_8), r.value()));
        Map<String, Long> changedAt = new HashMap<>();
        Map<String, Long> snapshotAt = new HashMap<>();
        long now = 1_000_000L; // the driver's wall clock
        int largestPunctuation = 0;
        for (int step = 0; step < models + 75; step++) { // 20 ms apart: a model changes at each of the first 50 steps
            driver.advanceWallClockTime(Duration.ofMillis(20)); // at most one punctuation (a tick is 100 ms)
            now += 20;
            if (step < models) {
                changedAt.put("m" + step, now);
                points.pipeInput(utf8("m" + step), array(xs[step % xs.length]));
            }
            List<TestRecord<byte[], byte[]>> taken = snapshots.readRecordsToList();
            largestPunctuation = Math.max(largestPunctuation, taken.size());
            for (TestRecord<byte[], byte[]> r : taken) {
                MixtureSnapshot s = SnapshotJson.fromBytes(r.value());
                assertEquals(null, snapshotAt.put(s.model(), s.updatedAt()), "once: " + s.model());
                latest.put(s.model(), r.value());
            }
        }
        assertEquals(changedAt.keySet(), snapshotAt.keySet(), "every changed model snapshotted");
        KeyValueStore<String, byte[]> stored = driver.getKeyValueStore(MixstreamTopology.SNAPSHOT_STORE);
        latest.forEach((model, json) -> assertArrayEquals(json, stored.get(model), "the stored snapshot of " + model));
        changedAt.forEach((model, at) -> {
            long after = snapshotAt.get(model) - at;
            assertTrue(after >= 0 && after <= 1_000, model + " snapshotted " + after + " ms after its change");
        });
        assertTrue(largestPunctuation <= 6, "a tick's worth of models per punctuation, not " + largestPunctuation);
    }

    @Test
    void everyKindOfBadInputGoesToTheDeadLetterTopicAndLeavesTheModelUntouched() throws Exception {
        open(settings(Map.of()));
        for (double[] x : sample(30, 5)) {
            points.pipeInput(utf8("m"), array(x));
        }
        responsibilities.readRecordsToList();
        byte[] before = store().get("m");
        byte[] huge = new byte[10 * 1024 * 1024];
        java.util.Arrays.fill(huge, (byte) ' ');
        huge[0] = '[';
        huge[huge.length - 1] = ']';
        Map<String, byte[]> cases = new java.util.LinkedHashMap<>();
        cases.put("malformed_json", utf8("{not json"));
        cases.put("malformed_json/trailing", utf8("[1, 2] tail"));
        cases.put("not_a_vector/number", utf8("42"));
        cases.put("not_a_vector/no-x", utf8("{\"y\": [1, 2]}"));
        cases.put("not_a_vector/nested", utf8("[[1, 2], [3, 4]]"));
        cases.put("not_a_vector/strings", utf8("[1, \"2\"]"));
        cases.put("not_a_vector/boolean", utf8("[true, 1]"));
        cases.put("non_finite/nan", utf8("[NaN, 1]"));
        cases.put("non_finite/infinity", utf8("[1, -Infinity]"));
        cases.put("non_finite/overflow", utf8("[1e400, 1]"));
        cases.put("out_of_range", utf8("[1e101, 1]"));
        cases.put("empty/array", utf8("[]"));
        cases.put("empty/value", new byte[0]);
        cases.put("wrong_dimension", utf8("[1, 2, 3]"));
        cases.put("too_large", huge);
        cases.put("null_value", null);
        cases.put("not_utf8", new byte[]{'[', (byte) 0xC3, (byte) 0x28, ']'});
        int i = 0;
        for (Map.Entry<String, byte[]> e : cases.entrySet()) {
            points.pipeInput(new TestRecord<>(utf8("m"), e.getValue(), Instant.ofEpochMilli(7_000 + i++)));
        }
        // a key that is not UTF-8 is rejected too, with a valid value
        points.pipeInput(new byte[]{(byte) 0xff, (byte) 0xfe}, utf8("[1, 2]"));
        List<TestRecord<byte[], byte[]>> dead = dlq.readRecordsToList();
        assertEquals(cases.size() + 1, dead.size());
        int j = 0;
        for (Map.Entry<String, byte[]> e : cases.entrySet()) {
            TestRecord<byte[], byte[]> r = dead.get(j++);
            String expected = e.getKey().split("/")[0];
            assertEquals(expected, header(r, DeadLetters.REASON), e.getKey());
            assertNotNull(header(r, DeadLetters.DETAIL));
            assertEquals(settings.pointsTopic(), header(r, DeadLetters.SOURCE_TOPIC));
            assertEquals("0", header(r, DeadLetters.SOURCE_PARTITION));
            assertEquals(Long.toString(30 + j - 1), header(r, DeadLetters.SOURCE_OFFSET));
            assertArrayEquals(utf8("m"), r.key());
            if (expected.equals("too_large")) {
                assertEquals(65536, r.value().length);
                assertEquals(Integer.toString(huge.length), header(r, DeadLetters.VALUE_TRUNCATED));
            } else {
                assertArrayEquals(e.getValue(), r.value(), "original bytes as-is");
                assertNull(header(r, DeadLetters.VALUE_TRUNCATED));
            }
        }
        assertEquals("expected dimension 2, got 3", header(dead.get(13), DeadLetters.DETAIL));
        TestRecord<byte[], byte[]> badKey = dead.get(dead.size() - 1);
        assertEquals("not_utf8", header(badKey, DeadLetters.REASON));
        assertArrayEquals(new byte[]{(byte) 0xff, (byte) 0xfe}, badKey.key());
        assertTrue(responsibilities.isEmpty(), "no output for bad input");
        assertArrayEquals(before, store().get("m"), "the model is untouched");
        // and the application keeps going
        points.pipeInput(utf8("m"), utf8("[0.5, 0.5]"));
        assertEquals(1, responsibilities.readRecordsToList().size());
    }

    @Test
    void unexpectedFailuresGoToTheDeadLetterTopicAndProcessingGoesOn() throws Exception {
        open(settings(Map.of()));
        store().put("broken", new byte[]{1, 2, 3}); // a stored state that cannot be decoded
        points.pipeInput(utf8("broken"), utf8("[1, 2]"));
        List<TestRecord<byte[], byte[]>> dead = dlq.readRecordsToList();
        assertEquals(1, dead.size());
        assertEquals("processing_error", header(dead.get(0), DeadLetters.REASON));
        assertArrayEquals(utf8("[1, 2]"), dead.get(0).value());
        assertEquals(settings.pointsTopic(), header(dead.get(0), DeadLetters.SOURCE_TOPIC));
        points.pipeInput(utf8("ok"), utf8("[1, 2]"));
        assertEquals(1, ModelStateCodec.decode(whole("ok")).pointsSeen());
    }

    @Test
    void invalidRecordTimestampsAreReplacedNotFatal() {
        // the driver refuses negative timestamps, so the extractor is checked on its own
        NonNegativeTimestampExtractor e = new NonNegativeTimestampExtractor();
        org.apache.kafka.clients.consumer.ConsumerRecord<Object, Object> bad = new org.apache.kafka.clients.consumer.ConsumerRecord<>(
                "t", 0, 0, -1L, org.apache.kafka.common.record.TimestampType.CREATE_TIME, 0, 0, null, null,
                new org.apache.kafka.common.header.internals.RecordHeaders(), java.util.Optional.empty());
        assertEquals(1234L, e.extract(bad, 1234L));
        assertEquals(0L, e.extract(bad, -1L));
    }

    @Test
    void nullOrEmptyKeysFeedTheDefaultModelAndKeysLearnIndependently() throws Exception {
        open(settings(Map.of()));
        double[][] xs = sample(40, 6);
        for (int i = 0; i < 40; i++) {
            points.pipeInput(i % 2 == 0 ? null : new byte[0], array(xs[i]));
            points.pipeInput(utf8("far"), array(new double[]{xs[i][0] + 1000, xs[i][1] - 1000}));
        }
        assertNotNull(store().get("default"));
        assertNotNull(store().get("far"));
        OnlineMixture def = ModelStateCodec.decode(whole("default"));
        OnlineMixture far = ModelStateCodec.decode(whole("far"));
        assertEquals(40, def.pointsSeen());
        assertEquals(40, far.pointsSeen());
        assertTrue(Math.abs(far.parameters().mean(0)[0] - 1000) < 20);
        assertTrue(Math.abs(def.parameters().mean(0)[0]) < 20);
        List<TestRecord<byte[], byte[]>> out = responsibilities.readRecordsToList();
        assertEquals(80, out.size());
        assertEquals(40, out.stream().filter(r -> new String(r.key(), StandardCharsets.UTF_8).equals("default")).count());
    }

    @Test
    void restartFromTheStoredModelsContinuesLikeAnUninterruptedRun(@TempDir Path other) throws Exception {
        double[][] xs = sample(400, 7);
        // uninterrupted run in its own state directory (a real broker restart is covered by the broker tests)
        MixstreamSettings s = settings(Map.of("mixstream.batch.size", "3"));
        Uninterrupted run = uninterrupted(s, xs, other);
        List<String> straight = run.outputs();
        byte[] straightState = run.state();
        open(s);
        List<String> resumed = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            points.pipeInput(utf8("k"), array(xs[i]));
        }
        responsibilities.readRecordsToList().forEach(r -> resumed.add(withoutOffset(r.value())));
        // What a restarted instance gets back (from its local store or the changelog) is the store's content.
        // TopologyTestDriver deletes its state directory on close() and has no changelog restore, so the new
        // driver gets the saved content written into its store before it sees the next record.
        Map<String, byte[]> saved = contents(store());
        Map<String, byte[]> savedReferences = contents(references());
        assertEquals(java.util.Set.of("k"), saved.keySet());
        assertTrue(ModelStateCodec.keepsReferenceApart(saved.get("k")), "a running head");
        assertEquals(java.util.Set.of("k"), savedReferences.keySet(), "its anomaly reference apart");
        driver.close();
        open(s); // a new driver on the same state directory, with a new processor and an empty model cache
        saved.forEach((k, v) -> store().put(k, v));
        savedReferences.forEach((k, v) -> references().put(k, v));
        for (int i = 150; i < xs.length; i++) {
            points.pipeInput(utf8("k"), array(xs[i]));
        }
        responsibilities.readRecordsToList().forEach(r -> resumed.add(withoutOffset(r.value())));
        assertEquals(straight, resumed);
        assertArrayEquals(straightState, whole("k"));
    }

    /**
     * A warm-up longer than a block (W = 100): while warming, the models store holds a head of fewer than
     * {@link ModelStateCodec#BLOCK_POINTS} points and the warm-up blocks store the full blocks; a new instance given
     * both stores' content continues exactly like an uninterrupted run, and the blocks are gone once the model runs.
     */
    @Test
    void aLongWarmUpIsStoredAsAHeadAndBlocksAndARestartContinuesFromThem(@TempDir Path other) throws Exception {
        double[][] xs = sample(300, 11);
        MixstreamSettings s = settings(Map.of("mixstream.warmup", "100"));
        Uninterrupted run = uninterrupted(s, xs, other);
        List<String> straight = run.outputs();
        assertEquals(300, straight.size());
        byte[] straightState = run.state();
        open(s);
        for (int i = 0; i < 70; i++) {
            points.pipeInput(utf8("k"), array(xs[i]));
        }
        assertTrue(responsibilities.isEmpty(), "still warming up");
        Map<String, byte[]> models = contents(store());
        Map<String, byte[]> blocks = contents(blocks());
        assertEquals(java.util.Set.of("0:k", "1:k"), blocks.keySet(), "two full blocks of 32 points");
        assertEquals(2, ModelStateCodec.blocksOf(models.get("k")));
        assertEquals(70, ModelStateCodec.summary(models.get("k")).pointsSeen());
        driver.close();
        open(s); // a new instance, its stores given what the changelogs would restore
        models.forEach((k, v) -> store().put(k, v));
        blocks.forEach((k, v) -> blocks().put(k, v));
        for (int i = 70; i < xs.length; i++) {
            points.pipeInput(utf8("k"), array(xs[i]));
        }
        List<String> resumed = new ArrayList<>();
        responsibilities.readRecordsToList().forEach(r -> resumed.add(withoutOffset(r.value())));
        assertEquals(straight, resumed, "the warm-up points answered at the initialisation from head and blocks, "
                + "and every point after");
        assertArrayEquals(straightState, whole("k"));
        assertEquals(Map.of(), contents(blocks()), "an initialised model's blocks are deleted");
    }

    /** An uninterrupted run's outputs (without offsets) and its model's final state. */
    private record Uninterrupted(List<String> outputs, byte[] state) {
    }

    /** Runs key "k" through the points in its own state directory, then closes that driver. */
    private Uninterrupted uninterrupted(MixstreamSettings s, double[][] xs, Path dir) {
        Path mine = stateDir;
        stateDir = dir;
        open(s);
        for (double[] x : xs) {
            points.pipeInput(utf8("k"), array(x));
        }
        List<String> outputs = new ArrayList<>();
        responsibilities.readRecordsToList().forEach(r -> outputs.add(withoutOffset(r.value())));
        byte[] state = whole("k");
        driver.close();
        stateDir = mine;
        return new Uninterrupted(outputs, state);
    }

    private KeyValueStore<String, byte[]> blocks() {
        return driver.getKeyValueStore(MixstreamTopology.WARMUP_BLOCKS_STORE);
    }

    private static Map<String, byte[]> contents(KeyValueStore<String, byte[]> store) {
        Map<String, byte[]> all = new HashMap<>();
        try (var it = store.all()) {
            it.forEachRemaining(kv -> all.put(kv.key, kv.value));
        }
        return all;
    }

    /** The record without its offset (a new driver restarts offsets at 0). */
    private static String withoutOffset(byte[] value) {
        try {
            com.fasterxml.jackson.databind.node.ObjectNode n = (com.fasterxml.jackson.databind.node.ObjectNode) json(value);
            n.remove("offset");
            return n.toString();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
