package dev.mixstream.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixstream.broker.EmbeddedBroker;
import dev.mixstream.gmm.ModelStateCodec;
import dev.mixstream.gmm.OnlineMixture;
import dev.mixstream.snapshot.MixtureSnapshot;
import dev.mixstream.snapshot.SnapshotJson;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole path against a real (in-JVM KRaft) broker with exactly-once on and two application
 * instances sharing the work: produce points and bad records, consume the outputs read_committed, and
 * check counts, order and content.
 */
class RealBrokerEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static EmbeddedBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = EmbeddedBroker.builder().port(0).start();
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    static MixstreamSettings settings(String bootstrap, String prefix, Path stateDir) {
        return settings(bootstrap, prefix, stateDir, Map.of());
    }

    static MixstreamSettings settings(String bootstrap, String prefix, Path stateDir, Map<String, String> overrides) {
        return MixstreamSettings.from(TestApps.config(bootstrap, prefix, stateDir, overrides));
    }

    @Test
    void exactlyOnceWithTwoInstances(@TempDir Path dir) throws Exception {
        MixstreamSettings a = settings(broker.bootstrapServers(), "e2e", dir.resolve("a"));
        MixstreamSettings b = settings(broker.bootstrapServers(), "e2e", dir.resolve("b"));
        List<String> keys = List.of("k1", "k2", "k3", "k4", "k5", "k6");
        int perKey = 300;
        List<String> bad = List.of("{oops", "[1, \"x\"]", "[NaN, 2]", "[]", "[1, 2, 3]");
        try (MixstreamApp first = MixstreamApp.start(a); MixstreamApp second = MixstreamApp.start(b)) {
            assertTrue(first.awaitRunning(Duration.ofSeconds(60)), "first instance running");
            assertTrue(second.awaitRunning(Duration.ofSeconds(60)), "second instance running");
            assertCompactedSnapshotsTopic(a.snapshotsTopic());
            SplittableRandom rng = new SplittableRandom(1);
            try (KafkaProducer<String, byte[]> producer = producer()) {
                for (int i = 0; i < perKey; i++) {
                    for (String k : keys) {
                        double c = rng.nextBoolean() ? -3 : 3;
                        String v = String.format(Locale.ROOT, "{\"x\":[%.5f,%.5f],\"id\":\"%s-%d\"}",
                                c + rng.nextGaussian(), rng.nextGaussian(), k, i);
                        producer.send(new ProducerRecord<>(a.pointsTopic(), k, v.getBytes(StandardCharsets.UTF_8)));
                    }
                    if (i % 60 == 59) {
                        String v = bad.get(i / 60);
                        producer.send(new ProducerRecord<>(a.pointsTopic(), keys.get(0), v.getBytes(StandardCharsets.UTF_8)));
                    }
                }
                producer.flush();
            }
            List<ConsumerRecord<byte[], byte[]>> out = consume(a.responsibilitiesTopic(), keys.size() * perKey);
            List<ConsumerRecord<byte[], byte[]>> dead = consume(a.dlqTopic(), bad.size());
            List<ConsumerRecord<byte[], byte[]>> snaps = consume(a.snapshotsTopic(), keys.size() * 3);

            assertEquals(keys.size() * perKey, out.size(), "one output per valid input, none duplicated");
            Set<String> ids = new HashSet<>();
            Map<String, Integer> lastIndex = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> r : out) {
                String key = new String(r.key(), StandardCharsets.UTF_8);
                JsonNode n = JSON.readTree(r.value());
                String id = n.get("id").asText();
                assertTrue(ids.add(id), "duplicate output for " + id);
                assertTrue(id.startsWith(key + "-"));
                int index = Integer.parseInt(id.substring(key.length() + 1));
                assertTrue(index > lastIndex.getOrDefault(key, -1), "in order within key " + key);
                lastIndex.put(key, index);
                double sum = n.get("responsibilities").get(0).asDouble() + n.get("responsibilities").get(1).asDouble();
                assertEquals(1.0, sum, 1e-12);
            }
            assertEquals(bad.size(), dead.size(), "one dead letter per bad record");
            Set<String> reasons = new HashSet<>();
            dead.forEach(r -> reasons.add(new String(r.headers().lastHeader(DeadLetters.REASON).value(),
                    StandardCharsets.UTF_8)));
            assertEquals(Set.of("malformed_json", "not_a_vector", "non_finite", "empty", "wrong_dimension"), reasons);
            Map<String, MixtureSnapshot> latest = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> r : snaps) {
                MixtureSnapshot s = SnapshotJson.fromBytes(r.value());
                latest.merge(s.model(), s, (x, y) -> y.pointsSeen() > x.pointsSeen() ? y : x);
            }
            assertEquals(Set.copyOf(keys), latest.keySet());
            for (MixtureSnapshot s : latest.values()) {
                assertEquals(perKey, s.pointsSeen());
                double m0 = s.means()[0][0];
                double m1 = s.means()[1][0];
                assertTrue(Math.abs(Math.abs(m0) - 3) < 0.5 && Math.abs(Math.abs(m1) - 3) < 0.5 && m0 * m1 < 0,
                        "learned the two clusters: " + m0 + ", " + m1);
            }
        }
    }

    /**
     * The models store encodes states only when Kafka Streams flushes its caches before a commit
     * ({@link ModelStore#flushCache}, an internal interface). If Streams stopped calling it, the states would
     * be written after the commit, in the next transaction, and a clean close (one commit, no later one)
     * would leave the changelog behind the outputs: this test would fail.
     */
    @Test
    void modelStatesReachTheChangelogInTheTransactionOfTheirOutputs(@TempDir Path dir) throws Exception {
        // no periodic commit: the only commit is the one of the clean close
        MixstreamSettings s = settings(broker.bootstrapServers(), "flush", dir, Map.of("commit.interval.ms", "600000",
                "producer.transaction.timeout.ms", "600000"));
        int n = 250;
        try (MixstreamApp app = MixstreamApp.start(s)) {
            assertTrue(app.awaitRunning(Duration.ofSeconds(60)), "running");
            try (KafkaProducer<String, byte[]> producer = producer()) {
                SplittableRandom rng = new SplittableRandom(2);
                for (int i = 0; i < n; i++) {
                    String v = String.format(Locale.ROOT, "[%.5f,%.5f]", rng.nextGaussian(), rng.nextGaussian());
                    producer.send(new ProducerRecord<>(s.pointsTopic(), "m", v.getBytes(StandardCharsets.UTF_8)));
                }
                producer.flush();
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (app.recordsProcessed() < n && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(n, app.recordsProcessed(), "all points processed before the close");
            assertTrue(app.close(Duration.ofSeconds(60)), "closed cleanly");
        }
        assertEquals(n, consume(s.responsibilitiesTopic(), n).size(), "the close committed the outputs");
        List<ConsumerRecord<byte[], byte[]>> states = consume(s.kafka().get("application.id") + "-" + MixstreamTopology.STORE
                + "-changelog", 1);
        assertTrue(!states.isEmpty(), "a state in the changelog");
        byte[] head = states.get(states.size() - 1).value();
        List<ConsumerRecord<byte[], byte[]>> references = consume(s.kafka().get("application.id") + "-"
                + MixstreamTopology.ANOMALY_REFERENCES_STORE + "-changelog", 1);
        assertTrue(!references.isEmpty(), "the running model's anomaly reference in its changelog");
        byte[] reference = references.get(references.size() - 1).value();
        OnlineMixture last = ModelStateCodec.decode(head, null, () -> reference);
        assertEquals(n, last.pointsSeen(), "the committed state is the one after the last committed output");
        assertEquals(ModelStateCodec.stampOf(head), ModelStateCodec.referenceStamp(last),
                "with the reference it was written with, in the same transaction");
    }

    private static void assertCompactedSnapshotsTopic(String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Config c = admin.describeConfigs(List.of(r)).all().get().get(r);
            assertEquals("compact", c.get("cleanup.policy").value());
            assertEquals(MixstreamSettings.MAX_RECORD_BYTES, c.get("max.message.bytes").value(), "large snapshots fit");
            // and the model store's changelog, created by Kafka Streams, takes large model states
            String changelog = admin.listTopics().names().get().stream()
                    .filter(t -> t.endsWith(MixstreamTopology.STORE + "-changelog")).findFirst().orElseThrow();
            ConfigResource cr = new ConfigResource(ConfigResource.Type.TOPIC, changelog);
            assertEquals(MixstreamSettings.MAX_RECORD_BYTES,
                    admin.describeConfigs(List.of(cr)).all().get().get(cr).get("max.message.bytes").value());
        }
    }

    static KafkaProducer<String, byte[]> producer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return new KafkaProducer<>(p);
    }

    /** Reads a topic read_committed until {@code expected} records came (or 60 s), then 1 s more for extras. */
    static List<ConsumerRecord<byte[], byte[]>> consume(String topic, int expected) {
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
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (out.size() < expected && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            long extra = System.nanoTime() + Duration.ofSeconds(1).toNanos();
            while (System.nanoTime() < extra) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }
}
