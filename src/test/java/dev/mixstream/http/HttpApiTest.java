package dev.mixstream.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mixstream.broker.EmbeddedBroker;
import dev.mixstream.cli.MixstreamCli;
import dev.mixstream.snapshot.SnapshotJson;
import dev.mixstream.streams.AppProcess;
import dev.mixstream.streams.DeadLetters;
import dev.mixstream.streams.MixstreamApp;
import dev.mixstream.streams.MixstreamSettings;
import dev.mixstream.streams.MixstreamTopology;
import dev.mixstream.streams.TestApps;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

import static dev.mixstream.http.HttpClientSupport.Answer;
import static dev.mixstream.http.HttpClientSupport.JSON;
import static dev.mixstream.http.HttpClientSupport.Sample;
import static dev.mixstream.http.HttpClientSupport.get;
import static dev.mixstream.http.HttpClientSupport.post;
import static dev.mixstream.http.HttpClientSupport.sum;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP API of two application instances sharing the work on a real (in-JVM KRaft) broker: every model from
 * either instance, listings over both, scoring equal to offline {@code mixstream score} bit for bit, Prometheus
 * metrics equal to what was sent and dead-lettered, health through start, rebalance and shutdown, refusals, and
 * the bearer token.
 */
@Timeout(300)
class HttpApiTest {
    private static final String TOKEN = "correct-horse-battery-staple";
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final List<String> KEYS = List.of("k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7");
    private static final String WARM = "warm";
    private static final int PER_KEY = 200;
    private static final int WARM_POINTS = 10;
    private static EmbeddedBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = EmbeddedBroker.builder().port(0).start();
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    static MixstreamSettings settings(String prefix, Path stateDir, int port, Map<String, String> overrides) {
        return MixstreamSettings.from(config(prefix, stateDir, port, overrides));
    }

    static Map<String, String> config(String prefix, Path stateDir, int port, Map<String, String> overrides) {
        return config(broker.bootstrapServers(), prefix, stateDir, port, overrides);
    }

    /** An instance whose HTTP API listens on 127.0.0.1:port (0: any free port) and advertises that address. */
    static Map<String, String> config(String bootstrap, String prefix, Path stateDir, int port,
                                      Map<String, String> overrides) {
        Map<String, String> p = new HashMap<>(Map.of("mixstream.http.port", Integer.toString(port),
                "mixstream.http.host", "127.0.0.1", "mixstream.http.advertised.host", "127.0.0.1"));
        p.putAll(overrides);
        return TestApps.config(bootstrap, prefix, stateDir, p);
    }

    /** What an instance's probes answered at each Kafka Streams state change, asked from its state listener. */
    static final class HealthLog implements KafkaStreams.StateListener {
        record Entry(KafkaStreams.State now, int ready, String readyState, String reason, int live) {
        }

        static final int GONE = -1;
        final int port;
        final List<Entry> entries = new CopyOnWriteArrayList<>();

        HealthLog(int port) {
            this.port = port;
        }

        @Override
        public void onChange(KafkaStreams.State now, KafkaStreams.State before) {
            try {
                Answer ready = get(port, "/health/ready", null);
                Answer live = get(port, "/health/live", null);
                JsonNode r = ready.json();
                entries.add(new Entry(now, ready.status(), r.path("state").asText(), r.path("reason").asText(null),
                        live.status()));
            } catch (java.io.UncheckedIOException gone) {
                // close() returns once the state is NOT_RUNNING and then stops the server: a probe asked
                // now may find it gone (only then: checked below)
                entries.add(new Entry(now, GONE, null, null, GONE));
            }
        }

        /** Waits until the listener has recorded the state (it runs after the state has changed). */
        void awaitState(KafkaStreams.State state, int from) throws InterruptedException {
            await(() -> statesSince(from).contains(state), "health at " + state);
        }

        /** Each probe answer agrees with the state it was asked in. */
        void assertConsistent() {
            assertFalse(entries.isEmpty());
            for (Entry e : entries) {
                if (e.ready() == GONE) {
                    assertEquals(KafkaStreams.State.NOT_RUNNING, e.now(), "the server stops only after Streams");
                    continue;
                }
                assertEquals(e.now().name(), e.readyState(), e.toString());
                boolean dead = e.now() == KafkaStreams.State.NOT_RUNNING || e.now() == KafkaStreams.State.ERROR
                        || e.now() == KafkaStreams.State.PENDING_ERROR;
                assertEquals(dead ? 503 : 200, e.live(), "liveness in " + e);
                if (e.now() != KafkaStreams.State.RUNNING) {
                    assertEquals(503, e.ready(), "not ready in " + e);
                    assertNotNull(e.reason(), "a reason in " + e);
                } else if (e.ready() != 200) {
                    assertTrue(e.reason() != null && e.reason().startsWith("restoring"), e.toString());
                }
            }
        }

        List<KafkaStreams.State> states() {
            return entries.stream().map(Entry::now).toList();
        }

        int size() {
            return entries.size();
        }

        /** The states recorded from the {@code from}-th on, read at once (the listener may add one meanwhile). */
        List<KafkaStreams.State> statesSince(int from) {
            List<KafkaStreams.State> seen = states();
            return seen.subList(Math.min(from, seen.size()), seen.size());
        }
    }

    @Test
    void twoInstancesAnswerForEveryModel(@TempDir Path dir) throws Exception {
        int pa = HttpClientSupport.freePort();
        int pb = HttpClientSupport.freePort();
        Map<String, String> auth = Map.of("mixstream.http.auth.token", TOKEN, "mixstream.http.max.body.bytes", "4096");
        MixstreamSettings sa = settings("http", dir.resolve("a"), pa, auth);
        MixstreamSettings sb = settings("http", dir.resolve("b"), pb, auth);
        HealthLog healthA = new HealthLog(pa);
        HealthLog healthB = new HealthLog(pb);
        MixstreamApp a = MixstreamApp.start(sa, healthA);
        MixstreamApp b = null;
        try {
            assertTrue(a.awaitRunning(WAIT));
            await(() -> get(pa, "/health/ready", null).status() == 200, "A ready");
            healthA.awaitState(KafkaStreams.State.RUNNING, 0);
            assertEquals(List.of(KafkaStreams.State.REBALANCING, KafkaStreams.State.RUNNING),
                    healthA.states().subList(0, 2), "A's start: " + healthA.entries);
            b = MixstreamApp.start(sb, healthB);
            assertTrue(b.awaitRunning(WAIT));
            MixstreamApp first = a;
            await(() -> first.streams().metadataForAllStreamsClients().size() == 2
                    && first.state() == KafkaStreams.State.RUNNING && get(pa, "/health/ready", null).status() == 200
                    && get(pb, "/health/ready", null).status() == 200, "both ready with the work shared");
            assertTrue(healthA.states().contains(KafkaStreams.State.REBALANCING)
                    && healthA.states().lastIndexOf(KafkaStreams.State.REBALANCING) >= 2, "B's arrival rebalanced A: "
                    + healthA.entries);

            // the points: 8 models of 200 points, one model still warming up, 4 bad records
            List<String> bad = List.of("{oops", "[1, \"x\"]", "[NaN, 2]", "[1, 2, 3]");
            int sent = produce(sa.pointsTopic(), KEYS, PER_KEY, 1) + produce(sa.pointsTopic(), List.of(WARM),
                    WARM_POINTS, 2);
            try (KafkaProducer<String, byte[]> producer = producer()) {
                for (String v : bad) {
                    producer.send(new ProducerRecord<>(sa.pointsTopic(), "k0", v.getBytes(StandardCharsets.UTF_8)));
                }
            }
            sent += bad.size();
            int total = sent;
            await(() -> processed(pa) + processed(pb) == total, "every record processed");
            int valid = KEYS.size() * PER_KEY; // a warming-up model's points are answered when it initialises
            assertEquals(valid, consume(sa.responsibilitiesTopic(), valid).size());
            List<ConsumerRecord<byte[], byte[]>> dead = consume(sa.dlqTopic(), bad.size());
            Map<String, byte[]> latest = latestSnapshots(sa.snapshotsTopic());
            assertEquals(new TreeSet<>(KEYS), new TreeSet<>(latest.keySet()), "snapshots of the 8 running models");

            // GET /models/{key}: from either instance, exactly the latest snapshot on the topic
            Map<String, Integer> owner = new TreeMap<>();
            for (String k : KEYS) {
                owner.put(k, a.streams().queryMetadataForKey(MixstreamTopology.SNAPSHOT_STORE, k,
                        Serdes.String().serializer()).activeHost().port());
            }
            assertEquals(Set.of(pa, pb), new HashSet<>(owner.values()), "both instances own models: " + owner);
            for (String k : KEYS) {
                for (int port : List.of(pa, pb)) {
                    Answer r = get(port, "/models/" + k, TOKEN);
                    assertEquals(200, r.status(), r.text());
                    assertArrayEquals(latest.get(k), r.body(), "GET " + k + " on " + port + " is the topic's latest");
                    assertEquals("127.0.0.1:" + owner.get(k), r.header(ApiServer.SERVED_BY));
                    assertEquals("active", r.header(ApiServer.SERVED_FROM));
                }
            }
            // GET /models/{key}/view (the dashboard's): from either instance, drawn by the owner, which holds the
            // points it processed; the means are the snapshot's
            for (String k : KEYS) {
                JsonNode snapshot = SnapshotJson.mapper().readTree(latest.get(k));
                for (int port : List.of(pa, pb)) {
                    Answer r = get(port, "/models/" + k + "/view", TOKEN);
                    assertEquals(200, r.status(), r.text());
                    assertEquals("127.0.0.1:" + owner.get(k), r.header(ApiServer.SERVED_BY), "view of " + k);
                    JsonNode v = r.json();
                    assertEquals(k, v.get("key").asText());
                    assertEquals(snapshot.get("updated_at").asLong(), v.get("updated_at").asLong());
                    assertTrue(v.path("recent").path("held").asBoolean(), "the owner holds " + k + "'s points");
                    assertEquals(PER_KEY, v.path("recent").path("recorded").asInt());
                    assertEquals(PER_KEY, v.path("recent").path("points").size());
                    for (int c = 0; c < 2; c++) {
                        assertEquals(snapshot.get("means").get(c), v.get("mixture").get(c).get("mean"), "mean " + c);
                    }
                }
            }
            get(pa, "/models/nope/view", TOKEN).assertError(404, "unknown_model");
            get(pb, "/models/" + WARM + "/view", TOKEN).assertError(404, "warming_up");
            get(pa, "/models/k0/view?projection=coordinates&x=0&y=2", TOKEN).assertError(400, "invalid_parameter");
            get(pa, "/models/k0/view?projection=sideways", TOKEN).assertError(400, "invalid_parameter");
            // the listing's health numbers come from each model's state: those of its latest snapshot here
            for (JsonNode m : get(pa, "/models?scope=all", TOKEN).json().get("models")) {
                String k = m.get("key").asText();
                if (k.equals(WARM)) {
                    assertTrue(m.get("avg_log_likelihood").isNull() && m.get("anomaly_rate").isNull(), m.toString());
                } else {
                    JsonNode snapshot = SnapshotJson.mapper().readTree(latest.get(k));
                    assertEquals(snapshot.get("avg_log_likelihood").asDouble(), m.get("avg_log_likelihood").asDouble(),
                            k);
                    assertEquals(snapshot.get("anomaly").get("rate").asDouble(), m.get("anomaly_rate").asDouble(), k);
                }
            }
            assertEquals(Set.of("k1"), keys(get(pb, "/models?scope=all&q=K1", TOKEN).json()), "search, ignoring case");
            // GET /instance: both members and their partitions, and this instance's dead letters by reason
            JsonNode instA = get(pa, "/instance", TOKEN).json();
            JsonNode instB = get(pb, "/instance", TOKEN).json();
            assertEquals(2, instA.get("instances").size(), instA.toString());
            Set<Integer> partitions = new TreeSet<>();
            instA.get("instances").forEach(m -> m.get("active").forEach(n -> assertTrue(partitions.add(n.asInt()),
                    "each partition active on one instance: " + instA)));
            assertEquals(Set.of(0, 1, 2, 3), partitions);
            long deadLetters = 0;
            for (JsonNode inst : List.of(instA, instB)) {
                assertTrue(inst.get("ready").asBoolean());
                for (JsonNode n : inst.get("dead_letters")) {
                    deadLetters += n.asLong();
                }
            }
            assertEquals(bad.size(), deadLetters, "dead letters by reason, over both instances");
            String remote = KEYS.stream().filter(k -> owner.get(k) == pb).findFirst().orElseThrow();
            JsonNode warm = get(pa, "/models/" + WARM, TOKEN).assertError(404, "warming_up");
            assertEquals(WARM_POINTS, warm.get("points_seen").asInt());
            assertEquals(30, warm.get("warmup").asInt());
            get(pb, "/models/" + WARM, TOKEN).assertError(404, "warming_up");
            get(pa, "/models/nope", TOKEN).assertError(404, "unknown_model");
            get(pb, "/models/nope", TOKEN).assertError(404, "unknown_model");

            // GET /models: each instance lists its own; scope=all lists every model once, page by page
            Set<String> localA = keys(get(pa, "/models", TOKEN).json());
            Set<String> localB = keys(get(pb, "/models", TOKEN).json());
            assertTrue(localA.stream().noneMatch(localB::contains), localA + " / " + localB);
            Set<String> everyKey = new TreeSet<>(KEYS);
            everyKey.add(WARM);
            Set<String> union = new TreeSet<>(localA);
            union.addAll(localB);
            assertEquals(everyKey, union);
            for (int port : List.of(pa, pb)) {
                List<String> listed = new ArrayList<>();
                String after = null;
                int pages = 0;
                do {
                    JsonNode page = get(port, "/models?scope=all&limit=4" + (after == null ? "" : "&after=" + after),
                            TOKEN).json();
                    assertEquals(0, page.get("unreachable").size(), page.toString());
                    for (JsonNode m : page.get("models")) {
                        listed.add(m.get("key").asText());
                        String k = m.get("key").asText();
                        if (k.equals(WARM)) {
                            assertTrue(m.get("warming_up").asBoolean());
                            assertEquals(WARM_POINTS, m.get("points_seen").asLong());
                        } else {
                            assertFalse(m.get("warming_up").asBoolean());
                            assertEquals(PER_KEY, m.get("points_seen").asLong());
                            JsonNode snap = JSON.readTree(latest.get(k));
                            assertEquals(snap.get("updated_at").asLong(), m.get("updated_at").asLong());
                            assertEquals(2, m.get("components").asInt(), m.toString());
                        }
                    }
                    after = page.get("next").isNull() ? null : page.get("next").asText();
                    pages++;
                } while (after != null);
                assertEquals(new ArrayList<>(everyKey), listed, "every model once, in key order");
                assertEquals(3, pages);
            }

            // POST /models/{key}/score, on A for a model B owns: offline score's numbers, bit for bit
            assertScoresEqualOfflineScore(pa, remote, latest.get(remote), dir);

            // refusals
            assertRefusals(pa, pb);
            // auth: every endpoint but the probes needs the token; forwarding carried it (the GETs above)
            for (String path : List.of("/models", "/models/k0", "/metrics")) {
                Answer none = get(pa, path, null);
                none.assertError(401, "unauthorized");
                assertEquals("Bearer", none.header("WWW-Authenticate"));
                get(pa, path, "wrong").assertError(401, "unauthorized");
                get(pa, path, TOKEN + "x").assertError(401, "unauthorized");
            }
            post(pa, "/models/k0/score", null, "[0, 0]").assertError(401, "unauthorized");
            assertEquals(200, get(pa, "/health/live", null).status());
            assertEquals(200, get(pa, "/health/ready", null).status());

            // nothing sent over HTTP stopped processing: more points are learned
            sent += produce(sa.pointsTopic(), List.of("k0", remote), 5, 3);
            int more = sent;
            await(() -> processed(pa) + processed(pb) == more, "processing continues after the refusals");

            // /metrics: parsed by the Prometheus parser; counters equal what was sent and dead-lettered
            List<Sample> ma = metrics(pa, dir);
            List<Sample> mb = metrics(pb, dir);
            assertEquals(more, total(ma, mb, "mixstream_records_processed_total", Map.of()), 0.0);
            assertEquals(more, total(ma, mb, "mixstream_record_processing_seconds_count", Map.of()), 0.0);
            Map<String, Integer> dlqReasons = new TreeMap<>();
            for (ConsumerRecord<byte[], byte[]> r : dead) {
                dlqReasons.merge(new String(r.headers().lastHeader(DeadLetters.REASON).value(), StandardCharsets.UTF_8),
                        1, Integer::sum);
            }
            assertEquals(Map.of("malformed_json", 1, "not_a_vector", 1, "non_finite", 1, "wrong_dimension", 1),
                    dlqReasons);
            for (String reason : List.of("malformed_json", "not_a_vector", "non_finite", "wrong_dimension", "empty",
                    "too_large", "processing_error")) {
                assertEquals(dlqReasons.getOrDefault(reason, 0), total(ma, mb, "mixstream_dead_letters_total",
                        Map.of("reason", reason)), 0.0, reason);
            }
            assertEquals(KEYS.size(), total(ma, mb, "mixstream_models", Map.of("state", "running")), 0.0);
            assertEquals(1, total(ma, mb, "mixstream_models", Map.of("state", "warming_up")), 0.0);
            assertTrue(total(ma, mb, "mixstream_snapshots_total", Map.of()) >= KEYS.size() * 2);
            assertTrue(ma.stream().anyMatch(s -> s.name().startsWith("kafka_stream_")), "Kafka Streams' metrics");
            assertTrue(ma.stream().anyMatch(s -> s.name().startsWith("kafka_consumer_")), "the consumer's metrics");
            assertTrue(ma.stream().anyMatch(s -> s.name().startsWith("jvm_memory_")), "the JVM's metrics");
            await(() -> {
                try {
                    return total(metrics(pa, dir), metrics(pb, dir), "mixstream_points_lag", Map.of()) == 0;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "no lag once everything is read");

            // B stops: its probes say so while it shuts down; A takes its models over and serves them
            int beforeStop = healthA.size();
            assertTrue(b.close(WAIT));
            b = null;
            healthB.awaitState(KafkaStreams.State.NOT_RUNNING, 0);
            healthB.assertConsistent();
            List<KafkaStreams.State> ended = healthB.states();
            assertEquals(List.of(KafkaStreams.State.PENDING_SHUTDOWN, KafkaStreams.State.NOT_RUNNING),
                    ended.subList(ended.size() - 2, ended.size()), "B's shutdown: " + healthB.entries);
            await(() -> keys(get(pa, "/models", TOKEN).json()).equals(everyKey), "A holds every model");
            await(() -> get(pa, "/health/ready", null).status() == 200, "A ready again");
            assertTrue(healthA.statesSince(beforeStop).contains(KafkaStreams.State.REBALANCING),
                    "A rebalanced when B left: " + healthA.entries);
            Map<String, byte[]> now = latestSnapshots(sa.snapshotsTopic());
            for (String k : KEYS) {
                Answer r = get(pa, "/models/" + k, TOKEN);
                assertEquals(200, r.status(), r.text());
                assertArrayEquals(now.get(k), r.body(), k);
                assertEquals("127.0.0.1:" + pa, r.header(ApiServer.SERVED_BY));
            }
            List<Sample> alone = metrics(pa, dir);
            assertEquals(KEYS.size(), sum(alone, "mixstream_models", Map.of("state", "running")), 0.0);
            assertEquals(1, sum(alone, "mixstream_models", Map.of("state", "warming_up")), 0.0);
            JsonNode all = get(pa, "/models?scope=all", TOKEN).json();
            assertEquals(everyKey, keys(all), "one instance left: it lists every model");
        } finally {
            if (b != null) {
                b.close(WAIT);
            }
            a.close(WAIT);
        }
        healthA.awaitState(KafkaStreams.State.NOT_RUNNING, 0);
        healthA.assertConsistent();
        List<KafkaStreams.State> states = healthA.states();
        assertEquals(List.of(KafkaStreams.State.PENDING_SHUTDOWN, KafkaStreams.State.NOT_RUNNING),
                states.subList(states.size() - 2, states.size()));
    }

    /**
     * When the model's active instance cannot be reached, the answer comes from a standby copy and says so. B
     * advertises an address it does not listen on (127.0.0.2: it binds 127.0.0.1), so A cannot forward to it.
     */
    @Test
    void aStandbyAnswersWhenTheActiveInstanceCannot(@TempDir Path dir) throws Exception {
        int pa = HttpClientSupport.freePort();
        int pb = HttpClientSupport.freePort();
        Map<String, String> standby = Map.of("num.standby.replicas", "1");
        MixstreamSettings sa = settings("standby", dir.resolve("a"), pa, standby);
        Map<String, String> unreachable = new HashMap<>(standby);
        unreachable.put("mixstream.http.advertised.host", "127.0.0.2");
        MixstreamSettings sb = settings("standby", dir.resolve("b"), pb, unreachable);
        try (MixstreamApp a = MixstreamApp.start(sa); MixstreamApp b = MixstreamApp.start(sb)) {
            assertTrue(a.awaitRunning(WAIT) && b.awaitRunning(WAIT));
            await(() -> a.streams().metadataForAllStreamsClients().size() == 2
                    && a.state() == KafkaStreams.State.RUNNING && b.state() == KafkaStreams.State.RUNNING,
                    "both running");
            int sent = produce(sa.pointsTopic(), KEYS, 120, 4);
            await(() -> processed(pa) + processed(pb) == sent, "every point processed");
            Map<String, byte[]> latest = latestSnapshots(sa.snapshotsTopic());
            String remote = null;
            for (String k : KEYS) {
                if (a.streams().queryMetadataForKey(MixstreamTopology.SNAPSHOT_STORE, k, Serdes.String().serializer())
                        .activeHost().port() == pb) {
                    remote = k;
                }
            }
            assertNotNull(remote, "B owns a model");
            String k = remote;
            await(() -> Arrays.equals(latest.get(k), get(pa, "/models/" + k, null).body()),
                    "A's standby copy caught up");
            Answer r = get(pa, "/models/" + k, null);
            assertEquals(200, r.status(), r.text());
            assertEquals("standby", r.header(ApiServer.SERVED_FROM));
            assertEquals("127.0.0.1:" + pa, r.header(ApiServer.SERVED_BY));
            Answer scored = post(pa, "/models/" + k + "/score", null, "[0.5, -0.5]");
            assertEquals(200, scored.status(), scored.text());
            assertEquals("standby", scored.header(ApiServer.SERVED_FROM));
            JsonNode page = get(pa, "/models?scope=all", null).json();
            assertEquals("127.0.0.2:" + pb, page.get("unreachable").get(0).asText(), page.toString());
            assertEquals(keys(get(pa, "/models", null).json()), keys(page), "what A could list: its own");
        }
    }

    /**
     * B, a separate {@code mixstream run} process, is killed (SIGKILL: no leave-group, no clean close). Until its
     * session times out its models are owned by a dead instance: A answers for them from its standby copy or says
     * 503; then A owns them, serves them as the active instance, byte-identical to the topic, is ready again, and
     * its metrics count them.
     */
    @Test
    void theSurvivorServesAKilledInstancesModels(@TempDir Path dir) throws Exception {
        int pa = HttpClientSupport.freePort();
        int pb = HttpClientSupport.freePort();
        MixstreamSettings sa = settings("killed", dir.resolve("a"), pa, Map.of());
        HealthLog healthA = new HealthLog(pa);
        try (MixstreamApp a = MixstreamApp.start(sa, healthA)) {
            assertTrue(a.awaitRunning(WAIT));
            List<String> args = new ArrayList<>(List.of("--bootstrap-servers", broker.bootstrapServers()));
            config("killed", dir.resolve("b"), pb, Map.of()).forEach((k, v) -> args.addAll(List.of("--set", k + "=" + v)));
            try (AppProcess b = AppProcess.start(dir.resolve("b.log"), args)) {
                b.awaitRunning(WAIT);
                await(() -> a.streams().metadataForAllStreamsClients().size() == 2
                        && a.state() == KafkaStreams.State.RUNNING && get(pb, "/health/ready", null).status() == 200
                        && get(pa, "/health/ready", null).status() == 200, "both ready");
                int sent = produce(sa.pointsTopic(), KEYS, 100, 5);
                await(() -> processed(pa) + processed(pb) == sent, "every point processed");
                Map<String, byte[]> latest = latestSnapshots(sa.snapshotsTopic());
                List<String> ofB = KEYS.stream().filter(k -> a.streams().queryMetadataForKey(
                        MixstreamTopology.SNAPSHOT_STORE, k, Serdes.String().serializer()).activeHost().port() == pb)
                        .toList();
                assertFalse(ofB.isEmpty(), "B owns models");
                int beforeKill = healthA.size();
                b.kill();
                // while the group still counts B in: a standby answer (A holds standby copies) or a 503, never a wrong one
                Set<String> seen = new TreeSet<>();
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (true) {
                    Answer r = get(pa, "/models/" + ofB.get(0), null);
                    if (r.status() == 200) {
                        assertArrayEquals(latest.get(ofB.get(0)), r.body(), "what A serves is the latest snapshot");
                        seen.add(r.header(ApiServer.SERVED_FROM));
                        if ("active".equals(r.header(ApiServer.SERVED_FROM))) {
                            break;
                        }
                    } else {
                        r.assertError(503, "unavailable");
                        seen.add("503");
                    }
                    assertTrue(System.nanoTime() < deadline, "A serves B's model as active in time: " + seen);
                    Thread.sleep(100);
                }
                System.out.println("after SIGKILL, A answered for B's model with: " + seen);
                await(() -> get(pa, "/health/ready", null).status() == 200, "A ready again");
                for (String k : KEYS) {
                    Answer r = get(pa, "/models/" + k, null);
                    assertEquals(200, r.status(), r.text());
                    assertArrayEquals(latest.get(k), r.body(), k);
                    assertEquals("127.0.0.1:" + pa, r.header(ApiServer.SERVED_BY));
                    assertEquals("active", r.header(ApiServer.SERVED_FROM));
                }
                assertEquals(new TreeSet<>(KEYS), keys(get(pa, "/models?scope=all", null).json()));
                assertEquals(KEYS.size(), sum(metrics(pa, dir), "mixstream_models", Map.of("state", "running")), 0.0);
                assertTrue(healthA.statesSince(beforeKill).contains(KafkaStreams.State.REBALANCING),
                        "A's probes said not ready while it took B's tasks over: " + healthA.entries);
                healthA.assertConsistent();
            }
        }
    }

    private static void assertScoresEqualOfflineScore(int port, String key, byte[] snapshot, Path dir)
            throws Exception {
        SplittableRandom rng = new SplittableRandom(9);
        int n = 40;
        double[][] points = new double[n][];
        StringBuilder csv = new StringBuilder("x0,x1\n");
        StringBuilder body = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            points[i] = i % 10 == 9 ? new double[]{25 + i, -30} : new double[]{(rng.nextBoolean() ? -3 : 3)
                    + rng.nextGaussian(), rng.nextGaussian()};
            csv.append(points[i][0]).append(',').append(points[i][1]).append('\n');
            body.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "{\"id\":\"p%d\",\"x\":[%s,%s]}", i,
                    Double.toString(points[i][0]), Double.toString(points[i][1])));
        }
        body.append(']');
        Path model = Files.write(dir.resolve("model.json"), snapshot);
        Path input = Files.writeString(dir.resolve("points.csv"), csv);
        Path out = dir.resolve("scores.csv");
        StringWriter err = new StringWriter();
        int code = MixstreamCli.commandLine().setOut(new PrintWriter(new StringWriter(), true))
                .setErr(new PrintWriter(err, true)).execute("score", "-m", model.toString(), "-i", input.toString(),
                        "--responsibilities-out", out.toString());
        assertEquals(0, code, err.toString());
        List<String> lines = Files.readAllLines(out);
        assertEquals("row,component,log_likelihood,r0,r1,anomaly_score,anomaly,anomaly_features", lines.get(0));

        Answer r = post(port, "/models/" + key + "/score", TOKEN, body.toString());
        assertEquals(200, r.status(), r.text());
        assertEquals(JSON.readTree(snapshot).get("updated_at").asText(), r.header(ApiServer.MODEL_UPDATED_AT));
        JsonNode scores = r.json();
        assertEquals(n, scores.size());
        int anomalies = 0;
        for (int i = 0; i < n; i++) {
            String[] f = lines.get(i + 1).split(",", -1);
            JsonNode s = scores.get(i);
            assertEquals("p" + i, s.get("id").asText());
            assertEquals(Integer.parseInt(f[1]), s.get("component").asInt());
            assertEquals("[0,1]", s.get("component_ids").toString(), "the ids beside the responsibilities (r0, r1)");
            assertBits(f[2], s.get("log_likelihood"), "log_likelihood of point " + i);
            assertBits(f[3], s.get("responsibilities").get(0), "r0 of point " + i);
            assertBits(f[4], s.get("responsibilities").get(1), "r1 of point " + i);
            assertBits(f[5], s.get("anomaly_score"), "anomaly_score of point " + i);
            assertEquals(Boolean.parseBoolean(f[6]), s.get("anomaly").asBoolean());
            List<String> features = new ArrayList<>();
            s.get("anomaly_features").forEach(x -> features.add(x.asText()));
            assertEquals(f[7], String.join(";", features));
            anomalies += s.get("anomaly").asBoolean() ? 1 : 0;
        }
        assertTrue(anomalies >= 4, "the far points are flagged: " + anomalies);
        // one point (a bare array) scores as the first element of the batch
        Answer one = post(port, "/models/" + key + "/score", TOKEN, "[" + points[0][0] + "," + points[0][1] + "]");
        assertEquals(200, one.status(), one.text());
        JsonNode first = one.json();
        assertTrue(first.isObject());
        assertFalse(first.has("id"));
        assertBits(lines.get(1).split(",")[2], first.get("log_likelihood"), "single point");
    }

    private static void assertBits(String csvValue, JsonNode json, String what) {
        assertTrue(json.isNumber(), what + ": " + json);
        assertEquals(Double.doubleToLongBits(Double.parseDouble(csvValue)), Double.doubleToLongBits(json.asDouble()),
                what + ": " + csvValue + " vs " + json);
    }

    private static void assertRefusals(int pa, int pb) {
        String score = "/models/k0/score";
        assertEquals("malformed_json", post(pa, score, TOKEN, "{oops").assertError(400, "invalid_point")
                .get("reason").asText());
        assertEquals("wrong_dimension", post(pa, score, TOKEN, "[1, 2, 3]").assertError(400, "invalid_point")
                .get("reason").asText());
        assertEquals("non_finite", post(pa, score, TOKEN, "[1e999, 2]").assertError(400, "invalid_point")
                .get("reason").asText());
        JsonNode second = post(pa, score, TOKEN, "[[1, 2], [1], [3, 4]]").assertError(400, "invalid_point");
        assertEquals(1, second.get("index").asInt());
        assertEquals("wrong_dimension", second.get("reason").asText());
        post(pa, score, TOKEN, "[[1, 2], [3, 4]").assertError(400, "invalid_point");
        post(pa, score, TOKEN, "").assertError(400, "invalid_point");
        post(pa, "/models/nope/score", TOKEN, "[1, 2]").assertError(404, "unknown_model");
        post(pa, "/models/warm/score", TOKEN, "[1, 2]").assertError(404, "warming_up");
        byte[] huge = new byte[10_000];
        Arrays.fill(huge, (byte) ' ');
        huge[0] = '[';
        huge[huge.length - 1] = ']';
        post(pa, score, TOKEN, huge).assertError(413, "body_too_large");
        for (String q : List.of("limit=0", "limit=abc", "limit=100001", "scope=everything")) {
            get(pb, "/models?" + q, TOKEN).assertError(400, "invalid_parameter");
        }
        get(pa, "/nothing/here", TOKEN).assertError(404, "not_found");
        HttpClientSupport.send(pa, "/models/k0", TOKEN, HttpRequest.newBuilder().DELETE())
                .assertError(405, "method_not_allowed");
    }

    private static Set<String> keys(JsonNode page) {
        Set<String> keys = new TreeSet<>();
        page.get("models").forEach(m -> keys.add(m.get("key").asText()));
        return keys;
    }

    private static long processed(int port) {
        String text = get(port, "/metrics", TOKEN).text(); // a server without auth ignores the token
        for (String line : text.split("\n")) {
            if (line.startsWith("mixstream_records_processed_total ")) {
                return (long) Double.parseDouble(line.substring(line.indexOf(' ') + 1));
            }
        }
        throw new AssertionError("no mixstream_records_processed_total in " + text);
    }

    private static List<Sample> metrics(int port, Path dir) throws Exception {
        Answer r = get(port, "/metrics", TOKEN);
        assertEquals(200, r.status(), r.text());
        assertTrue(r.header("Content-Type").startsWith("text/plain"), r.header("Content-Type"));
        return HttpClientSupport.parsePrometheus(r.text(), dir);
    }

    private static double total(List<Sample> a, List<Sample> b, String name, Map<String, String> labels) {
        return sum(a, name, labels) + sum(b, name, labels);
    }

    /** Sends {@code perKey} points of two clusters to each key, round-robin over the keys; returns how many. */
    private static int produce(String topic, List<String> keys, int perKey, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        try (KafkaProducer<String, byte[]> producer = producer()) {
            for (int i = 0; i < perKey; i++) {
                for (String k : keys) {
                    double c = rng.nextBoolean() ? -3 : 3;
                    String v = String.format(Locale.ROOT, "[%.5f,%.5f]", c + rng.nextGaussian(), rng.nextGaussian());
                    producer.send(new ProducerRecord<>(topic, k, v.getBytes(StandardCharsets.UTF_8)));
                }
            }
        }
        return perKey * keys.size();
    }

    private static KafkaProducer<String, byte[]> producer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return new KafkaProducer<>(p);
    }

    /** Each key's last snapshot on the topic (committed), as its bytes. */
    private static Map<String, byte[]> latestSnapshots(String topic) {
        Map<String, byte[]> latest = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : consume(topic, 0)) {
            latest.put(new String(r.key(), StandardCharsets.UTF_8), r.value());
        }
        latest.values().forEach(v -> assertNotNull(SnapshotJson.fromBytes(v)));
        return latest;
    }

    /** The topic's committed records: at least {@code expected}, then whatever else arrives within 2 s. */
    private static List<ConsumerRecord<byte[], byte[]>> consume(String topic, int expected) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "check-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            c.subscribe(List.of(topic));
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (out.size() < expected && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            long extra = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            while (System.nanoTime() < extra) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting: " + what);
            }
            Thread.sleep(100);
        }
    }
}
