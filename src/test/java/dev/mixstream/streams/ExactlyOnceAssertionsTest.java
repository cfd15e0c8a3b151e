package dev.mixstream.streams;

import dev.mixstream.snapshot.MixtureSnapshot;
import dev.mixstream.snapshot.SnapshotJson;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The crash tests' checker has teeth: it accepts what the real topology (TopologyTestDriver, no broker)
 * makes of a {@link KeyedPointStream}, and rejects the same outputs with one record duplicated, lost or
 * out of order, a dead letter duplicated, or one snapshot coordinate off by one ulp.
 */
class ExactlyOnceAssertionsTest {
    private static final List<String> KEYS = List.of("a", "b", "c");
    private static KeyedPointStream stream;
    private static MixstreamSettings settings;
    private static List<ConsumerRecord<String, byte[]>> responsibilities;
    private static List<ConsumerRecord<String, byte[]>> snapshots;
    private static List<ConsumerRecord<String, byte[]>> deadLetters;

    @BeforeAll
    static void runTopology(@TempDir Path dir) {
        settings = MixstreamSettings.from(CrashTestSupport.settings("unused:9092", "check", dir));
        stream = KeyedPointStream.generate(KEYS, 200, 3);
        Properties props = settings.streamsProperties();
        try (TopologyTestDriver driver = new TopologyTestDriver(MixstreamTopology.build(settings, 1), props,
                Instant.ofEpochMilli(1_000_000))) {
            ByteArraySerializer ser = new ByteArraySerializer();
            TestInputTopic<byte[], byte[]> points = driver.createInputTopic(settings.pointsTopic(), ser, ser);
            stream.inputs().forEach(in -> points.pipeInput(in.key().getBytes(StandardCharsets.UTF_8), in.value()));
            responsibilities = read(driver, settings.responsibilitiesTopic());
            snapshots = read(driver, settings.snapshotsTopic());
            deadLetters = read(driver, settings.dlqTopic());
        }
    }

    @Test
    void acceptsTheTopologysOwnOutput() {
        ExactlyOnceAssertions.assertExactlyOnce(stream, settings, responsibilities, snapshots, deadLetters);
    }

    @Test
    void rejectsADuplicate() {
        List<ConsumerRecord<String, byte[]>> dup = new ArrayList<>(responsibilities);
        dup.add(dup.get(dup.size() / 2));
        assertFails(dup, snapshots, deadLetters);
    }

    @Test
    void rejectsALoss() {
        List<ConsumerRecord<String, byte[]>> lost = new ArrayList<>(responsibilities);
        lost.remove(lost.size() / 2);
        assertFails(lost, snapshots, deadLetters);
    }

    @Test
    void rejectsAReorderWithinAKey() {
        List<ConsumerRecord<String, byte[]>> swapped = new ArrayList<>(responsibilities);
        int i = swapped.size() / 2;
        int j = i + 1;
        while (!swapped.get(j).key().equals(swapped.get(i).key())) {
            j++;
        }
        ConsumerRecord<String, byte[]> t = swapped.get(i);
        swapped.set(i, swapped.get(j));
        swapped.set(j, t);
        assertFails(swapped, snapshots, deadLetters);
    }

    @Test
    void rejectsADuplicateDeadLetter() {
        List<ConsumerRecord<String, byte[]>> dup = new ArrayList<>(deadLetters);
        dup.add(dup.get(0));
        assertFails(responsibilities, snapshots, dup);
    }

    @Test
    void rejectsASnapshotOneUlpOff() {
        List<ConsumerRecord<String, byte[]>> changed = new ArrayList<>(snapshots);
        int last = changed.size() - 1;
        MixtureSnapshot s = SnapshotJson.fromBytes(changed.get(last).value());
        s.means()[0][0] = Math.nextUp(s.means()[0][0]);
        changed.set(last, record(changed.get(last), SnapshotJson.toBytes(s)));
        assertFails(responsibilities, changed, deadLetters);
    }

    private static void assertFails(List<ConsumerRecord<String, byte[]>> r, List<ConsumerRecord<String, byte[]>> s,
                                    List<ConsumerRecord<String, byte[]>> d) {
        assertThrows(AssertionError.class, () -> ExactlyOnceAssertions.assertExactlyOnce(stream, settings, r, s, d));
    }

    private static List<ConsumerRecord<String, byte[]>> read(TopologyTestDriver driver, String topic) {
        ByteArrayDeserializer de = new ByteArrayDeserializer();
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        for (TestRecord<byte[], byte[]> r : driver.createOutputTopic(topic, de, de).readRecordsToList()) {
            out.add(new ConsumerRecord<>(topic, 0, out.size(), r.timestamp(), TimestampType.CREATE_TIME, -1, -1,
                    new String(r.key(), StandardCharsets.UTF_8), r.value(), r.headers(), Optional.empty()));
        }
        return out;
    }

    private static ConsumerRecord<String, byte[]> record(ConsumerRecord<String, byte[]> r, byte[] value) {
        return new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), r.timestamp(), r.timestampType(), -1, -1,
                r.key(), value, r.headers(), Optional.empty());
    }
}
