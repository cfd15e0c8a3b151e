package dev.mixstream.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixstream.gmm.MixtureConfig;
import dev.mixstream.gmm.ModelStateCodec;
import dev.mixstream.gmm.OnlineMixture;
import dev.mixstream.gmm.ScoreSink;
import dev.mixstream.snapshot.MixtureSnapshot;
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

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Per-key settings ({@code mixstream.model.overrides}) and sparse keys ({@code mixstream.warmup.max.wait}) in the
 * topology: which settings a model is created with and keeps, and that a point waiting in a warm-up gets exactly one
 * answer.
 */
class PerKeySettingsAndSparseKeysTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> SENSOR_RULE = Map.of(
            "mixstream.model.overrides", "sensors",
            "mixstream.model.override.sensors.keys", "sensor-*",
            "mixstream.model.override.sensors.components", "2",
            "mixstream.model.override.sensors.covariance.type", "diag",
            "mixstream.model.override.sensors.half.life", "300",
            "mixstream.model.override.sensors.warmup", "30");
    @TempDir
    Path stateDir;
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> points;
    private TestInputTopic<byte[], byte[]> control;
    private TestOutputTopic<byte[], byte[]> responsibilities;
    private TestOutputTopic<byte[], byte[]> snapshots;
    private MixstreamSettings settings;

    /** (Re)opens the driver on the same state directory with these settings on top of the test defaults. */
    private void open(Map<String, String> extra) {
        if (driver != null) {
            driver.close();
        }
        settings = MixstreamTopologyTest.settings(extra);
        Properties props = settings.streamsProperties();
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(MixstreamTopology.build(settings, 1), props, Instant.ofEpochMilli(0));
        ByteArraySerializer ser = new ByteArraySerializer();
        ByteArrayDeserializer de = new ByteArrayDeserializer();
        points = driver.createInputTopic(settings.pointsTopic(), ser, ser);
        control = driver.createInputTopic(settings.controlTopic(), ser, ser);
        responsibilities = driver.createOutputTopic(settings.responsibilitiesTopic(), de, de);
        snapshots = driver.createOutputTopic(settings.snapshotsTopic(), de, de);
    }

    /**
     * A restart: a new driver and processor with these settings, given the models' stored states (TopologyTestDriver
     * deletes its state directory on close and restores no changelog, so the states are copied over).
     */
    private void restart(Map<String, String> extra) {
        Map<String, byte[]> saved = new HashMap<>();
        try (var it = ((ModelStore) driver.getStateStore(MixstreamTopology.STORE)).stored().all()) {
            it.forEachRemaining(kv -> saved.put(kv.key, kv.value));
        }
        open(extra);
        saved.forEach((k, v) -> ((ModelStore) driver.getStateStore(MixstreamTopology.STORE)).stored().put(k, v));
    }

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static double[][] sample(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[][] xs = new double[n][2];
        for (double[] x : xs) {
            MixstreamTopologyTest.TRUTH.sample(rng, x);
        }
        return xs;
    }

    private void send(String key, double[] x, long time) {
        points.pipeInput(utf8(key), utf8(String.format(Locale.ROOT, "[%s,%s]", x[0], x[1])), time);
    }

    private OnlineMixture stored(String key) {
        byte[] state = ((ModelStore) driver.getStateStore(MixstreamTopology.STORE)).wholeState(key);
        return state == null ? null : ModelStateCodec.decode(state);
    }

    /** The latest snapshot of each key among the records read now. */
    private Map<String, MixtureSnapshot> latestSnapshots() throws Exception {
        Map<String, MixtureSnapshot> latest = new HashMap<>();
        for (TestRecord<byte[], byte[]> r : snapshots.readRecordsToList()) {
            if (r.value() != null) {
                latest.put(new String(r.key(), StandardCharsets.UTF_8), SnapshotJson.fromBytes(r.value()));
            }
        }
        return latest;
    }

    @Test
    void aKeyMatchingARuleGetsItsSettingsAndTheSnapshotShowsTheValuesInForce() throws Exception {
        open(SENSOR_RULE);
        double[][] xs = sample(100, 1);
        for (double[] x : xs) {
            send("sensor-7", x, 0);
            send("pump-1", x, 0);
        }
        Map<String, MixtureSnapshot> s = latestSnapshots();
        MixtureSnapshot sensor = s.get("sensor-7");
        assertEquals(2, sensor.components());
        assertEquals("diag", sensor.covarianceType());
        assertEquals(300.0, sensor.config().halfLife());
        assertEquals(30, sensor.config().warmup(), "the rule's W");
        assertEquals(MixtureConfig.defaultMinWeight(2), sensor.config().minWeight(), "auto min weight for the rule's K");
        MixtureSnapshot pump = s.get("pump-1");
        assertEquals(3, pump.components(), "no rule: the global settings");
        assertEquals("full", pump.covarianceType());
        assertEquals(500.0, pump.config().halfLife());
        assertEquals(20, pump.config().warmup());

        // the same points through the engine with the rule's configuration: bit-identical parameters
        OnlineMixture engine = new OnlineMixture(settings.mixtureFor("sensor-7"));
        for (double[] x : xs) {
            engine.learn(x, null, ScoreSink.IGNORE);
        }
        assertTrue(Arrays.deepEquals(MixtureSnapshot.of(engine).means(), MixtureSnapshot.of(stored("sensor-7")).means()));
    }

    @Test
    void aModelKeepsItsSettingsWhenTheRulesChangeUntilItIsReset() throws Exception {
        open(SENSOR_RULE);
        for (double[] x : sample(40, 2)) {
            send("sensor-1", x, 0);
        }
        assertEquals(2, stored("sensor-1").config().components());
        Map<String, String> changed = new HashMap<>(SENSOR_RULE);
        changed.put("mixstream.model.override.sensors.components", "4");
        changed.put("mixstream.model.override.sensors.warmup", "40");
        restart(changed);
        for (double[] x : sample(10, 3)) {
            send("sensor-1", x, 0);
        }
        OnlineMixture kept = stored("sensor-1");
        assertEquals(2, kept.config().components(), "created with K = 2, it keeps K = 2");
        assertEquals(50, kept.pointsSeen());
        assertEquals(4, settings.mixtureFor("sensor-2").components(), "a new sensor model would get K = 4");

        control.pipeInput(utf8("sensor-1"), utf8("{\"op\":\"reset\"}"));
        for (double[] x : sample(40, 4)) {
            send("sensor-1", x, 0);
        }
        OnlineMixture renewed = stored("sensor-1");
        assertEquals(4, renewed.config().components(), "after the reset: today's rule");
        assertEquals(40, renewed.warmup());
        assertTrue(renewed.isInitialised());
    }

    @Test
    void theFirstMatchingRuleWinsAndARegexRuleMatchesTheWholeKey() {
        Map<String, String> p = new HashMap<>(Map.of(
                "mixstream.model.overrides", "exact,broad",
                "mixstream.model.override.exact.keys", "regex:pump-[0-9]+",
                "mixstream.model.override.exact.components", "5",
                "mixstream.model.override.broad.keys", "pump*",
                "mixstream.model.override.broad.components", "2"));
        MixstreamSettings s = MixstreamTopologyTest.settings(p);
        assertEquals(5, s.mixtureFor("pump-12").components());
        assertEquals(2, s.mixtureFor("pump-12a").components(), "the regex must match the whole key");
        assertEquals(2, s.mixtureFor("pumps").components());
        assertEquals(3, s.mixtureFor("xpump-1").components(), "a glob matches the whole key too");
        assertEquals("exact", s.overrides().ruleFor("pump-1").name());
        assertNull(s.overrides().ruleFor("sensor"));
    }

    /**
     * A key that sends 5 points (W = 20), while another key moves stream time on: after 30 s of stream time each of the
     * 5 is answered once with a warming-up record; when the key's warm-up ends, only the points not yet answered get
     * responsibilities; and the model learned exactly what it would have without the early answers.
     */
    @Test
    void aPointThatWaitedTooLongInAWarmUpIsAnsweredOnceAsWarmingUp() throws Exception {
        open(Map.of("mixstream.warmup.max.wait", "30s"));
        double[][] xs = sample(20, 5);
        for (int i = 0; i < 5; i++) {
            send("sparse", xs[i], 1_000L * i);
        }
        assertTrue(responsibilities.isEmpty());
        double[][] busy = sample(200, 6);
        for (int i = 0; i < 40; i++) { // stream time to 39 s: 10 s beyond the wait of the first 5 points
            send("busy", busy[i], 1_000L * i);
        }
        List<JsonNode> waited = new ArrayList<>();
        for (TestRecord<byte[], byte[]> r : responsibilities.readRecordsToList()) {
            JsonNode n = JSON.readTree(r.value());
            if (n.get("model").asText().equals("sparse")) {
                waited.add(n);
                assertEquals("sparse", new String(r.key(), StandardCharsets.UTF_8));
            }
        }
        assertEquals(5, waited.size(), "each waiting point answered once");
        for (int i = 0; i < 5; i++) {
            JsonNode n = waited.get(i);
            assertEquals("warming_up", n.get("status").asText());
            assertFalse(n.has("responsibilities"), "no model yet, no responsibilities");
            assertEquals(i, n.get("offset").asLong(), "in input order");
            assertEquals(xs[i][0], n.get("x").get(0).asDouble());
            assertEquals(5, n.get("points_seen").asLong());
            assertEquals(20, n.get("warmup").asLong());
        }
        // 15 more points end the warm-up (arriving late: they answer with the model at once)
        for (int i = 5; i < 20; i++) {
            send("sparse", xs[i], 40_000L);
        }
        Set<Long> offsets = new HashSet<>();
        for (TestRecord<byte[], byte[]> r : responsibilities.readRecordsToList()) {
            JsonNode n = JSON.readTree(r.value());
            if (n.get("model").asText().equals("sparse")) {
                assertFalse(n.has("status"));
                assertTrue(n.has("responsibilities"));
                assertTrue(offsets.add(n.get("offset").asLong()), "no point answered twice");
            }
        }
        assertEquals(15, offsets.size(), "only the 15 points not answered before");
        for (long o = 5; o < 20; o++) {
            assertTrue(offsets.contains(o + 40), "offset " + (o + 40)); // the busy key's 40 points came in between
        }
        OnlineMixture engine = new OnlineMixture(settings.mixtureFor("sparse"));
        for (double[] x : xs) {
            engine.learn(x, null, ScoreSink.IGNORE);
        }
        MixtureSnapshot fromStream = MixtureSnapshot.of(stored("sparse"));
        MixtureSnapshot fromEngine = MixtureSnapshot.of(engine);
        assertTrue(Arrays.deepEquals(fromEngine.means(), fromStream.means()), "the early answers change no learning");
        assertTrue(Arrays.deepEquals(fromEngine.covariances(), fromStream.covariances()));
        assertArrayEquals(fromEngine.weights(), fromStream.weights());
    }

    @Test
    void waitingPointsAreAnsweredBeforeTheirModelIsResetAndTheAnswerMarkSurvivesARestart() throws Exception {
        open(Map.of("mixstream.warmup.max.wait", "30s"));
        double[][] xs = sample(20, 7);
        send("a", xs[0], 0);
        send("b", xs[1], 0);
        send("b", xs[2], 25_000);
        send("busy", xs[3], 31_000); // the first points of a and b waited 31 s
        List<String> answered = new ArrayList<>();
        for (TestRecord<byte[], byte[]> r : responsibilities.readRecordsToList()) {
            JsonNode n = JSON.readTree(r.value());
            answered.add(n.get("model").asText() + "@" + n.get("offset").asLong() + ":" + n.path("status").asText());
        }
        assertEquals(List.of("a@0:warming_up", "b@1:warming_up"), answered);

        restart(Map.of("mixstream.warmup.max.wait", "30s")); // the answered marks are in the models' state
        send("b", xs[4], 61_000);
        send("busy", xs[5], 62_000); // b's second point has waited 37 s now, its third 1 s
        answered.clear();
        for (TestRecord<byte[], byte[]> r : responsibilities.readRecordsToList()) {
            JsonNode n = JSON.readTree(r.value());
            answered.add(n.get("model").asText() + "@" + n.get("offset").asLong() + ":" + n.path("status").asText());
        }
        assertEquals(List.of("b@2:warming_up"), answered, "only the point not answered before the restart");

        send("c", xs[6], 62_000);
        control.pipeInput(utf8("c"), utf8("{\"op\":\"reset\"}"), 62_001);
        TestRecord<byte[], byte[]> r = responsibilities.readRecord();
        JsonNode n = JSON.readTree(r.value());
        assertEquals("c", n.get("model").asText());
        assertEquals("warming_up", n.get("status").asText(), "answered before its model is forgotten");
        assertTrue(responsibilities.isEmpty());
        assertEquals(0, stored("c").pointsSeen());
    }
}
