package dev.mixstream.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixstream.bench.Crc32Partitioner;
import dev.mixstream.gmm.OnlineMixture;
import dev.mixstream.gmm.ScoreSink;
import dev.mixstream.snapshot.MixtureSnapshot;
import dev.mixstream.snapshot.SnapshotJson;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One model per key whatever the producer: the same keys are sent by a Java producer (murmur2) and by one
 * partitioning like librdkafka's clients (CRC32; null keys at random), plus keyless points from both, to two
 * {@code mixstream run} processes. Every valid input is answered exactly once; each key has one model (one
 * lineage of snapshots, points_seen strictly increasing, the last covering all its points) whose parameters
 * are bit-identical to the engine run over the key's points in the order they were answered; keyless points
 * all go to the one {@code default} model; each producer's per-key order holds (keyless points, which both
 * producers spread over the partitions, have none).
 */
@Timeout(300)
class MixedProducersTest extends AppProcessTestBase {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> KEYS = List.of("k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7");
    private static final int PER_KEY_PER_PRODUCER = 150;
    private static final int KEYLESS_PER_PRODUCER = 100;
    private static final Duration WAIT = Duration.ofSeconds(120);

    @Test
    void oneModelPerKeyWithJavaAndLibrdkafkaPartitioners(@TempDir Path dir) throws Throwable {
        int moved = 0;
        for (String k : KEYS) {
            byte[] b = k.getBytes(StandardCharsets.UTF_8);
            moved += Crc32Partitioner.partitionOf(b, 4) != ModelPartitioner.partitionOf(b, 4) ? 1 : 0;
        }
        assertTrue(moved >= 4, "most keys land elsewhere under CRC32 than under murmur2: " + moved);

        Map<String, String> config = RecoveryTest.settings(broker.bootstrapServers(), "mixed", dir.resolve("a"));
        MixstreamSettings s = MixstreamSettings.from(config);
        CrashTestSupport.createTopics(broker.bootstrapServers(), s);
        List<KeyedPointStream.Input> java = points("java", 1);
        List<KeyedPointStream.Input> crc = points("crc", 2);
        Map<String, byte[]> valueById = new HashMap<>();
        java.forEach(in -> valueById.put(in.id(), in.value()));
        crc.forEach(in -> valueById.put(in.id(), in.value()));
        PacedProducer javaProducer = track(new PacedProducer(broker.bootstrapServers(), s.pointsTopic()));
        PacedProducer crcProducer = track(new PacedProducer(broker.bootstrapServers(), s.pointsTopic(),
                Crc32Partitioner.class));
        OutputCollector out = track(new OutputCollector(broker.bootstrapServers(), s));
        try {
            start(dir, config).awaitRunning(WAIT);
            start(dir, CrashTestSupport.withStateDir(config, dir.resolve("b"))).awaitRunning(WAIT);
            CompletableFuture.allOf(javaProducer.produce(java, 400), crcProducer.produce(crc, 400)).join();
            out.awaitResponsibilities(valueById.size(), WAIT);
            for (AppProcess app : apps) {
                assertEquals(143, app.stop(Duration.ofSeconds(60)), "SIGTERM: clean shutdown");
            }
            out.drainToEnd(WAIT);

            Map<String, List<String>> answeredIds = answeredIdsByModel(out.responsibilities());
            assertEquals(valueById.size(), answeredIds.values().stream().mapToInt(List::size).sum(),
                    "one answer per valid input");
            List<String> models = new ArrayList<>(KEYS);
            models.add(ModelPartitioner.DEFAULT_MODEL);
            assertEquals(new java.util.TreeSet<>(models), answeredIds.keySet(), "models answered");
            for (String model : models) {
                List<String> ids = answeredIds.get(model);
                assertEquals(ids.size(), new java.util.HashSet<>(ids).size(), "no duplicate answers for " + model);
                int expected = 2 * (model.equals(ModelPartitioner.DEFAULT_MODEL) ? KEYLESS_PER_PRODUCER
                        : PER_KEY_PER_PRODUCER);
                assertEquals(expected, ids.size(), "answers of " + model + ": all its points, from both producers");
                if (!model.equals(ModelPartitioner.DEFAULT_MODEL)) {
                    // keyless points are spread over partitions by both producers: no order to keep
                    assertProducerOrder(model, ids, "java");
                    assertProducerOrder(model, ids, "crc");
                }
            }
            Map<String, List<MixtureSnapshot>> lineages = snapshotsByModel(out.snapshots());
            for (String model : models) {
                List<MixtureSnapshot> lineage = lineages.get(model);
                for (int i = 1; i < lineage.size(); i++) {
                    assertTrue(lineage.get(i).pointsSeen() > lineage.get(i - 1).pointsSeen(),
                            "one lineage of " + model + ": points_seen " + lineage.stream()
                                    .map(MixtureSnapshot::pointsSeen).toList());
                }
                MixtureSnapshot last = lineage.get(lineage.size() - 1);
                assertEquals(answeredIds.get(model).size(), last.pointsSeen(), "last snapshot of " + model);
                ExactlyOnceAssertions.assertSameModel(replay(s, answeredIds.get(model), valueById), last, model);
            }
            System.out.printf("mixed producers: %d keys (%d of them on another partition under CRC32) + keyless, "
                    + "%d answers, one model each%n", KEYS.size(), moved, valueById.size());
        } catch (Throwable t) {
            CrashTestSupport.saveLogs("MixedProducersTest", apps, dir);
            throw t;
        }
    }

    /** Each key's points and some keyless ones, ids {@code <producer>-<key>-<n>} in sending order. */
    private static List<KeyedPointStream.Input> points(String producer, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<KeyedPointStream.Input> in = new ArrayList<>();
        for (int n = 0; n < PER_KEY_PER_PRODUCER; n++) {
            for (String k : KEYS) {
                in.add(point(rng, k, producer + "-" + k + "-" + n));
            }
            if (n < KEYLESS_PER_PRODUCER) {
                in.add(point(rng, null, producer + "-none-" + n));
            }
        }
        return in;
    }

    private static KeyedPointStream.Input point(SplittableRandom rng, String key, String id) {
        double c = rng.nextBoolean() ? -3 : 3;
        String v = String.format(Locale.ROOT, "{\"x\":[%.6f,%.6f],\"id\":\"%s\"}", c + rng.nextGaussian(),
                rng.nextGaussian(), id);
        return new KeyedPointStream.Input(key, id, v.getBytes(StandardCharsets.UTF_8), null);
    }

    private static Map<String, List<String>> answeredIdsByModel(List<ConsumerRecord<String, byte[]>> records)
            throws Exception {
        Map<String, List<String>> m = new TreeMap<>();
        for (ConsumerRecord<String, byte[]> r : records) {
            JsonNode n = JSON.readTree(r.value());
            assertEquals(r.key(), n.get("model").asText());
            m.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(n.get("id").asText());
        }
        return m;
    }

    private static Map<String, List<MixtureSnapshot>> snapshotsByModel(List<ConsumerRecord<String, byte[]>> records) {
        Map<String, List<MixtureSnapshot>> m = new TreeMap<>();
        for (ConsumerRecord<String, byte[]> r : records) {
            MixtureSnapshot s = SnapshotJson.fromBytes(r.value());
            m.computeIfAbsent(s.model(), k -> new ArrayList<>()).add(s);
        }
        return m;
    }

    /** A producer's points of a model are answered in the order it sent them. */
    private static void assertProducerOrder(String model, List<String> ids, String producer) {
        int last = -1;
        for (String id : ids) {
            if (id.startsWith(producer + "-")) {
                int n = Integer.parseInt(id.substring(id.lastIndexOf('-') + 1));
                assertTrue(n > last, producer + "'s points of " + model + " in its order: " + n + " after " + last);
                last = n;
            }
        }
    }

    /** The engine over the points in the order they were answered, as a snapshot. */
    private static MixtureSnapshot replay(MixstreamSettings s, List<String> ids, Map<String, byte[]> valueById)
            throws Rejection {
        PointParser parser = new PointParser(Integer.MAX_VALUE, 4096);
        OnlineMixture m = new OnlineMixture(s.mixture());
        for (String id : ids) {
            m.learn(parser.parse(valueById.get(id)).x(), ScoreSink.IGNORE);
        }
        return MixtureSnapshot.of(m);
    }
}
