package dev.mixstream.streams;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The routing of points to their model's partition, with the topology test driver (which reads every input
 * record from partition 0): with 4 partitions most keys are "misrouted" there and travel through the internal
 * topic, and the answers must be exactly those of a 1-partition topology, where nothing is rerouted, apart from
 * nothing; dead letters keep the original key and the points topic's place.
 */
class PointRoutingTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path stateDir;

    @Test
    void modelPartitionIsKafkasDefaultPartitionerAndNullKeysAreTheDefaultModel() {
        byte[] key = "sensor-7".getBytes(StandardCharsets.UTF_8);
        assertEquals(Utils.toPositive(Utils.murmur2(key)) % 12, ModelPartitioner.partitionOf(key, 12));
        int d = ModelPartitioner.partitionOf("default".getBytes(StandardCharsets.UTF_8), 12);
        assertEquals(d, ModelPartitioner.partitionOf(null, 12));
        assertEquals(d, ModelPartitioner.partitionOf(new byte[0], 12));
    }

    @Test
    void theTopologyHasOneSubTopologyReadingThePointsTheCommandsAndTheInternalTopic() {
        Topology t = MixstreamTopology.build(MixstreamTopologyTest.settings(Map.of()), 4);
        Set<TopologyDescription.Subtopology> subs = t.describe().subtopologies();
        assertEquals(1, subs.size(), t.describe().toString());
        Set<String> sources = subs.iterator().next().nodes().stream()
                .filter(n -> n instanceof TopologyDescription.Source)
                .flatMap(n -> ((TopologyDescription.Source) n).topicSet().stream()).collect(Collectors.toSet());
        assertEquals(Set.of("mixstream.points", "mixstream.control", MixstreamTopology.REROUTED + "-repartition"), sources,
                "points and commands, and the rerouted of both");
    }

    @Test
    void reroutedPointsGetTheSameAnswersAsPointsOnTheirPartition() throws Exception {
        MixstreamSettings s = MixstreamTopologyTest.settings(Map.of());
        List<TestRecord<byte[], byte[]>> input = input();
        Outputs direct = run(s, 1, input);
        Outputs routed = run(s, 4, input);
        long misrouted = input.stream().filter(r -> ModelPartitioner.partitionOf(r.key(), 4) != 0).count();
        assertTrue(misrouted > input.size() / 2, "most keys are rerouted with 4 partitions: " + misrouted);
        assertEquals(direct.responsibilities.size(), routed.responsibilities.size());
        // the same records per key, in the same order, byte for byte (x, scores, partition and offset)
        assertEquals(byKey(direct.responsibilities), byKey(routed.responsibilities));
        assertEquals(byKey(direct.snapshotsWithoutTime()), byKey(routed.snapshotsWithoutTime()));
        // dead letters: the original key (null stays null), the points topic and the input's offset
        assertEquals(direct.deadLetters.size(), routed.deadLetters.size());
        assertEquals(3, routed.deadLetters.size());
        for (int i = 0; i < routed.deadLetters.size(); i++) {
            TestRecord<byte[], byte[]> a = direct.deadLetters.get(i);
            TestRecord<byte[], byte[]> b = routed.deadLetters.get(i);
            assertArrayEquals(a.key(), b.key());
            assertArrayEquals(a.value(), b.value());
            assertEquals(header(a, DeadLetters.SOURCE_TOPIC), header(b, DeadLetters.SOURCE_TOPIC));
            assertEquals(header(a, DeadLetters.SOURCE_OFFSET), header(b, DeadLetters.SOURCE_OFFSET));
            assertEquals(header(a, DeadLetters.REASON), header(b, DeadLetters.REASON));
        }
        assertNull(routed.deadLetters.get(0).key(), "a null key stays null in the dead letter");
        assertEquals("mixstream.points", header(routed.deadLetters.get(0), DeadLetters.SOURCE_TOPIC));
        // null and empty keys are one model, "default", answered with that key
        assertTrue(routed.responsibilities.stream().anyMatch(r -> new String(r.key(), StandardCharsets.UTF_8)
                .equals("default")));
    }

    private record Outputs(List<TestRecord<byte[], byte[]>> responsibilities,
                           List<TestRecord<byte[], byte[]>> snapshots,
                           List<TestRecord<byte[], byte[]>> deadLetters) {
        List<TestRecord<byte[], byte[]>> snapshotsWithoutTime() {
            List<TestRecord<byte[], byte[]>> out = new ArrayList<>();
            for (TestRecord<byte[], byte[]> r : snapshots) {
                try {
                    var n = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(r.value());
                    n.remove("updated_at");
                    out.add(new TestRecord<>(r.key(), JSON.writeValueAsBytes(n)));
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }
            return out;
        }
    }

    private Outputs run(MixstreamSettings s, int partitions, List<TestRecord<byte[], byte[]>> input) {
        Properties props = s.streamsProperties();
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve("p" + partitions).toString());
        try (TopologyTestDriver driver = new TopologyTestDriver(MixstreamTopology.build(s, partitions), props,
                Instant.ofEpochMilli(1_000_000))) {
            ByteArraySerializer ser = new ByteArraySerializer();
            ByteArrayDeserializer de = new ByteArrayDeserializer();
            TestInputTopic<byte[], byte[]> points = driver.createInputTopic(s.pointsTopic(), ser, ser);
            TestOutputTopic<byte[], byte[]> resp = driver.createOutputTopic(s.responsibilitiesTopic(), de, de);
            TestOutputTopic<byte[], byte[]> snaps = driver.createOutputTopic(s.snapshotsTopic(), de, de);
            TestOutputTopic<byte[], byte[]> dlq = driver.createOutputTopic(s.dlqTopic(), de, de);
            input.forEach(points::pipeInput);
            return new Outputs(resp.readRecordsToList(), snaps.readRecordsToList(), dlq.readRecordsToList());
        }
    }

    /** 8 keys plus null and empty keys, 2-D points, and three bad records (one with a null key). */
    private static List<TestRecord<byte[], byte[]>> input() {
        SplittableRandom rng = new SplittableRandom(5);
        List<TestRecord<byte[], byte[]>> in = new ArrayList<>();
        for (int i = 0; i < 1200; i++) {
            int k = i % 10;
            byte[] key = k == 8 ? null : k == 9 ? new byte[0] : ("key-" + k).getBytes(StandardCharsets.UTF_8);
            double c = rng.nextBoolean() ? -4 : 4;
            String v = String.format(Locale.ROOT, "{\"x\":[%.6f,%.6f],\"id\":\"p%d\"}", c + rng.nextGaussian(),
                    rng.nextGaussian(), i);
            in.add(new TestRecord<>(key, v.getBytes(StandardCharsets.UTF_8), Instant.ofEpochMilli(5_000 + i)));
            if (i == 400) {
                in.add(new TestRecord<>(null, "{oops".getBytes(StandardCharsets.UTF_8), Instant.ofEpochMilli(5_000 + i)));
            } else if (i == 600) {
                in.add(new TestRecord<>("key-3".getBytes(StandardCharsets.UTF_8),
                        "[1,2,3]".getBytes(StandardCharsets.UTF_8), Instant.ofEpochMilli(5_000 + i)));
            } else if (i == 800) {
                in.add(new TestRecord<>(new byte[0], "[NaN,1]".getBytes(StandardCharsets.UTF_8),
                        Instant.ofEpochMilli(5_000 + i)));
            }
        }
        return in;
    }

    private static Map<String, List<String>> byKey(List<TestRecord<byte[], byte[]>> records) {
        Map<String, List<String>> m = new java.util.TreeMap<>();
        for (TestRecord<byte[], byte[]> r : records) {
            m.computeIfAbsent(new String(r.key(), StandardCharsets.UTF_8), k -> new ArrayList<>())
                    .add(new String(r.value(), StandardCharsets.UTF_8));
        }
        return m;
    }

    private static String header(TestRecord<byte[], byte[]> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

}
