package dev.mixstream.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixstream.gmm.CovarianceType;
import dev.mixstream.gmm.FrozenMixture;
import dev.mixstream.gmm.MixtureConfig;
import dev.mixstream.gmm.ModelStateCodec;
import dev.mixstream.gmm.OnlineMixture;
import dev.mixstream.gmm.PointScore;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The control topic's commands in the topology: load, reset, delete, and bad commands that change nothing. */
class ModelLifecycleTopologyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path stateDir;
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> points;
    private TestInputTopic<byte[], byte[]> control;
    private TestOutputTopic<byte[], byte[]> responsibilities;
    private TestOutputTopic<byte[], byte[]> snapshots;
    private TestOutputTopic<byte[], byte[]> dlq;
    private MixstreamSettings settings;

    @BeforeEach
    void open() {
        settings = MixstreamTopologyTest.settings(Map.of());
        Properties props = settings.streamsProperties();
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(MixstreamTopology.build(settings, 1), props, Instant.ofEpochMilli(1_000_000));
        ByteArraySerializer ser = new ByteArraySerializer();
        ByteArrayDeserializer de = new ByteArrayDeserializer();
        points = driver.createInputTopic(settings.pointsTopic(), ser, ser);
        control = driver.createInputTopic(settings.controlTopic(), ser, ser);
        responsibilities = driver.createOutputTopic(settings.responsibilitiesTopic(), de, de);
        snapshots = driver.createOutputTopic(settings.snapshotsTopic(), de, de);
        dlq = driver.createOutputTopic(settings.dlqTopic(), de, de);
    }

    @AfterEach
    void close() {
        driver.close();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static double[][] sample(int n, long seed, double shift) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[][] xs = new double[n][2];
        for (double[] x : xs) {
            MixstreamTopologyTest.TRUTH.sample(rng, x);
            x[0] += shift;
        }
        return xs;
    }

    private void send(String key, double[] x) {
        points.pipeInput(utf8(key), utf8(String.format(Locale.ROOT, "[%s,%s]", x[0], x[1])));
    }

    /** A snapshot fitted offline by the engine (what fit --model-out writes), K = 2, diag. */
    private static MixtureSnapshot offlineFit() {
        OnlineMixture m = new OnlineMixture(MixtureConfig.defaults(2, CovarianceType.DIAG).withHalfLife(400));
        for (double[] x : sample(800, 5, 0)) {
            m.learn(x, null, ScoreSink.IGNORE);
        }
        return MixtureSnapshot.of(m);
    }

    private static byte[] load(MixtureSnapshot s) throws Exception {
        return utf8("{\"op\":\"load\",\"snapshot\":" + SnapshotJson.toJson(s) + "}");
    }

    private KeyValueStore<String, byte[]> store() {
        return ((ModelStore) driver.getStateStore(MixstreamTopology.STORE)).stored();
    }

    @Test
    void aLoadedModelAnswersItsNextPointWithTheLoadedParametersAndNoWarmUp() throws Exception {
        MixtureSnapshot file = offlineFit();
        control.pipeInput(utf8("m"), load(file));
        TestRecord<byte[], byte[]> confirmation = snapshots.readRecord();
        assertEquals("m", new String(confirmation.key(), StandardCharsets.UTF_8));
        MixtureSnapshot loaded = SnapshotJson.fromBytes(confirmation.value());
        assertArrayEquals(file.weights(), loaded.weights());
        assertTrue(Arrays.deepEquals(file.means(), loaded.means()));
        assertTrue(Arrays.deepEquals(file.covariances(), loaded.covariances()), "the file's parameters, bit for bit");
        assertEquals(2, loaded.components(), "K and the covariance type come from the snapshot (configured K = 3)");
        assertEquals("diag", loaded.covarianceType());
        assertEquals(0, loaded.pointsSeen());

        FrozenMixture offline = new FrozenMixture(file.toMixture(), settings.anomaly());
        double[][] xs = sample(30, 9, 0);
        send("m", xs[0]);
        JsonNode first = JSON.readTree(responsibilities.readRecord().value());
        PointScore want = offline.score(xs[0]);
        assertEquals(Double.doubleToRawLongBits(want.logLikelihood()),
                Double.doubleToRawLongBits(first.get("log_likelihood").asDouble()), "no warm-up: scored at once");
        for (int c = 0; c < 2; c++) {
            assertEquals(want.responsibilities()[c], first.get("responsibilities").get(c).asDouble());
        }
        assertEquals(Double.doubleToRawLongBits(want.anomalyScore()),
                Double.doubleToRawLongBits(first.get("anomaly_score").asDouble()));
        for (int i = 1; i < xs.length; i++) {
            send("m", xs[i]);
        }
        assertEquals(29, responsibilities.readRecordsToList().size(), "every later point answered at once too");
        OnlineMixture state = ModelStateCodec.decode(storedAfterCommit("m"));
        assertEquals(30, state.pointsSeen());
        assertFalse(state.isPinned());
        assertTrue(dlq.isEmpty());
    }

    /** The store's bytes after Kafka Streams flushed it (the driver commits after each record). */
    private byte[] storedAfterCommit(String key) {
        return ((ModelStore) driver.getStateStore(MixstreamTopology.STORE)).wholeState(key);
    }

    @Test
    void resetStartsAWarmUpAndDeleteRemovesTheModelBothWithATombstone() throws Exception {
        double[][] xs = sample(60, 3, 0);
        for (double[] x : xs) {
            send("m", x);
        }
        assertEquals(60, responsibilities.readRecordsToList().size());
        snapshots.readRecordsToList();
        control.pipeInput(utf8("m"), utf8("{\"op\":\"reset\"}"));
        TestRecord<byte[], byte[]> tombstone = snapshots.readRecord();
        assertEquals("m", new String(tombstone.key(), StandardCharsets.UTF_8));
        assertNull(tombstone.value(), "a tombstone for compaction");
        OnlineMixture reset = ModelStateCodec.decode(storedAfterCommit("m"));
        assertFalse(reset.isInitialised());
        assertEquals(0, reset.pointsSeen());
        for (int i = 0; i < 19; i++) {
            send("m", xs[i]);
        }
        assertTrue(responsibilities.isEmpty(), "warming up again: W = 20");
        send("m", xs[19]);
        assertEquals(20, responsibilities.readRecordsToList().size(), "answered at the end of the warm-up");
        assertTrue(snapshots.readRecord().value() != null, "the new warm-up's first snapshot");

        control.pipeInput(utf8("m"), utf8("{\"op\":\"delete\"}"));
        assertNull(snapshots.readRecord().value(), "a tombstone");
        assertNull(store().get("m"), "removed from the store (a tombstone in its changelog)");
        control.pipeInput(utf8("never-seen"), utf8("{\"op\":\"delete\"}"));
        assertNull(snapshots.readRecord().value(), "deleting an unknown model is harmless, and answered");
        assertTrue(dlq.isEmpty());
    }

    @Test
    void badCommandsAreDeadLettersAndChangeNothing() throws Exception {
        for (double[] x : sample(40, 4, 0)) {
            send("m", x);
        }
        snapshots.readRecordsToList();
        byte[] before = store().get("m");
        MixtureSnapshot good = offlineFit();
        String notPositive = SnapshotJson.toJson(good).replaceFirst("\"covariances\":\\[\\[\\[[0-9.eE-]+",
                "\"covariances\":[[[-1.0");
        Map<String, String> bad = new java.util.LinkedHashMap<>();
        bad.put("{oops", "malformed_json");
        bad.put("{\"op\":\"explode\"}", "invalid_command");
        bad.put("[1, 2]", "invalid_command");
        bad.put("{\"op\":\"reset\",\"now\":true}", "invalid_command");
        bad.put("{\"op\":\"load\"}", "invalid_command");
        bad.put("{\"op\":\"load\",\"snapshot\":" + notPositive + "}", "invalid_command");
        for (Map.Entry<String, String> e : bad.entrySet()) {
            control.pipeInput(utf8("m"), utf8(e.getKey()));
        }
        control.pipeInput(utf8("m"), (byte[]) null);
        control.pipeInput((byte[]) null, utf8("{\"op\":\"delete\"}"));
        List<TestRecord<byte[], byte[]>> dead = dlq.readRecordsToList();
        List<String> reasons = dead.stream().map(r -> header(r, "mixstream.reason")).toList();
        List<String> expected = new java.util.ArrayList<>(bad.values());
        expected.add("null_value");
        expected.add("invalid_command");
        assertEquals(expected, reasons);
        for (TestRecord<byte[], byte[]> r : dead) {
            assertEquals(settings.controlTopic(), header(r, "mixstream.source.topic"), "named as a command");
            assertTrue(header(r, "mixstream.detail").length() > 10, header(r, "mixstream.detail"));
        }
        assertTrue(snapshots.isEmpty(), "no answer on the snapshots topic");
        assertArrayEquals(before, store().get("m"), "the model is untouched");
    }

    /**
     * 100 000 keys, one point each, 10 ms apart in record time (1 000 s), with a time to live of 60 s: the store
     * never holds much more than the 6 000 keys of the last 60 s (plus one check interval, 6 s), and each expired
     * model that had a snapshot gets a tombstone; no point is answered twice, and every point but those of the last
     * minute is answered (the single points of warming models as warming up).
     */
    @Test
    void idleModelsExpireAndTheStoreStaysBoundedUnderChurningKeys() throws Exception {
        driver.close();
        settings = MixstreamTopologyTest.settings(Map.of("mixstream.model.ttl", "60s", "mixstream.components", "1",
                "mixstream.warmup", "6"));
        Properties props = settings.streamsProperties();
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve("ttl").toString());
        driver = new TopologyTestDriver(MixstreamTopology.build(settings, 1), props, Instant.ofEpochMilli(0));
        ByteArraySerializer ser = new ByteArraySerializer();
        ByteArrayDeserializer de = new ByteArrayDeserializer();
        points = driver.createInputTopic(settings.pointsTopic(), ser, ser);
        snapshots = driver.createOutputTopic(settings.snapshotsTopic(), de, de);
        responsibilities = driver.createOutputTopic(settings.responsibilitiesTopic(), de, de);
        java.util.BitSet answered = new java.util.BitSet();
        long answers = 0;
        int keys = 100_000;
        long most = 0;
        double[][] xs = sample(6, 1, 0);
        for (int i = 0; i < keys; i++) {
            long t = 10L * i;
            // every 1000th key is a running model (6 points = its warm-up), with a snapshot to forget
            int n = i % 1000 == 0 ? 6 : 1;
            for (int j = 0; j < n; j++) {
                points.pipeInput(utf8("k" + i), utf8(String.format(Locale.ROOT, "[%s,%s]", xs[j][0], xs[j][1])), t);
            }
            if (i % 5000 == 4999) {
                most = Math.max(most, count());
                for (TestRecord<byte[], byte[]> r : responsibilities.readRecordsToList()) {
                    int offset = JSON.readTree(r.value()).get("offset").asInt();
                    assertFalse(answered.get(offset), "one answer per point: offset " + offset);
                    answered.set(offset);
                    answers++;
                }
            }
        }
        // each single point waited in its warm-up (W = 6) and was answered as warming up, after the 60 s of
        // mixstream.warmup.max.wait or when its model expired, whichever came first; only the last ~66 s wait still
        long inputs = keys - keys / 1000 + 6L * (keys / 1000);
        assertTrue(answers <= inputs && answers >= inputs - 6_600 - 10, answers + " of " + inputs + " answered");
        assertTrue(most <= 6_000 + 600 + 10, "the store stays bounded: at most " + most + " models");
        assertTrue(most >= 5_900, "models live their 60 s: " + most);
        List<TestRecord<byte[], byte[]>> snaps = snapshots.readRecordsToList();
        long tombstones = snaps.stream().filter(r -> r.value() == null).count();
        long running = keys / 1000;
        assertTrue(tombstones >= running - 8 && tombstones < running, "a tombstone for each expired model that had a "
                + "snapshot (the last ~60 s not expired yet): " + tombstones);
        assertNull(store().get("k0"), "the first model is gone");
        assertTrue(store().get("k" + (keys - 1)) != null, "the last one lives");
    }

    private long count() {
        long n = 0;
        try (var all = store().all()) {
            while (all.hasNext()) {
                all.next();
                n++;
            }
        }
        return n;
    }

    private static String header(TestRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
