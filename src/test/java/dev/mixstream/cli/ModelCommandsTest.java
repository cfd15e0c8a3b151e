package dev.mixstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixstream.bench.Crc32Partitioner;
import dev.mixstream.broker.EmbeddedBroker;
import dev.mixstream.streams.MixstreamApp;
import dev.mixstream.streams.MixstreamSettings;
import dev.mixstream.streams.ModelPartitioner;
import dev.mixstream.streams.TestApps;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The model lifecycle end to end on a real (in-JVM) broker with exactly-once: {@code fit} offline, {@code model
 * load}, points from a librdkafka-style (CRC32) producer answered at once with the loaded parameters bit for bit as
 * {@code score} answers them, {@code model get} and {@code list}, {@code reset} and {@code delete} with tombstones
 * (one of them sent with the CRC32 partitioner, so rerouted to its model's task), and a bad command on the DLQ.
 */
@Timeout(240)
class ModelCommandsTest {
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

    /** The CLI's output and exit code. */
    private record Run(int code, String out, String err) {
    }

    private static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = MixstreamCli.commandLine().setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true)).execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** {@code model <sub>} against the test application's topics. */
    private static Run model(MixstreamSettings s, String... args) {
        List<String> a = new ArrayList<>(List.of("model"));
        a.addAll(List.of(args));
        a.addAll(List.of("-b", broker.bootstrapServers(), "--set", "mixstream.topic.control=" + s.controlTopic(),
                "--set", "mixstream.topic.snapshots=" + s.snapshotsTopic()));
        return cli(a.toArray(String[]::new));
    }

    /** A key whose CRC32 partition differs from its model's partition (so its records are rerouted). */
    private static String misroutedKey(String prefix, int partitions) {
        for (int i = 0; ; i++) {
            byte[] k = (prefix + i).getBytes(StandardCharsets.UTF_8);
            if (Crc32Partitioner.partitionOf(k, partitions) != ModelPartitioner.partitionOf(k, partitions)) {
                return prefix + i;
            }
        }
    }

    private static KafkaProducer<String, String> crc32Producer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.PARTITIONER_CLASS_CONFIG, Crc32Partitioner.class.getName());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return new KafkaProducer<>(p);
    }

    @Test
    void fitOfflineLoadStreamGetResetAndDelete(@TempDir Path dir) throws Exception {
        MixstreamSettings s = MixstreamSettings.from(TestApps.config(broker.bootstrapServers(), "life",
                dir.resolve("state"), Map.of()));
        // history, fitted offline with K = 3 (the application's new models get K = 2)
        SplittableRandom rng = new SplittableRandom(4);
        StringBuilder history = new StringBuilder("x0,x1\n");
        double[][] centres = {{-6, 0}, {6, 0}, {0, 8}};
        for (int i = 0; i < 1500; i++) {
            double[] c = centres[i % 3];
            history.append(c[0] + rng.nextGaussian()).append(',').append(c[1] + rng.nextGaussian()).append('\n');
        }
        Path model = dir.resolve("model.json");
        Run fit = cli("fit", "-i", Files.writeString(dir.resolve("history.csv"), history).toString(), "-k", "3",
                "-o", model.toString());
        assertEquals(0, fit.code(), fit.err());
        JsonNode file = JSON.readTree(model.toFile());

        try (MixstreamApp app = MixstreamApp.start(s)) {
            assertTrue(app.awaitRunning(Duration.ofSeconds(60)));
            String key = misroutedKey("pump-", 4);
            Run load = model(s, "load", "--key", key, "--model", model.toString());
            assertEquals(0, load.code(), load.out() + load.err());
            assertTrue(load.out().startsWith("loaded " + key + ": K=3, D=2, full covariances"), load.out());

            // the first point (CRC32-partitioned: rerouted) is answered at once with the file's parameters
            double[] x = {0.75, 7.25};
            try (KafkaProducer<String, String> p = crc32Producer()) {
                p.send(new ProducerRecord<>(s.pointsTopic(), key, "[" + x[0] + "," + x[1] + "]")).get();
            }
            JsonNode answer = JSON.readTree(consume(s.responsibilitiesTopic(), 1, r -> true).get(0).value());
            Path point = Files.writeString(dir.resolve("point.csv"), "x0,x1\n" + x[0] + "," + x[1] + "\n");
            Path scores = dir.resolve("scores.csv");
            Run score = cli("score", "-m", model.toString(), "-i", point.toString(), "--responsibilities-out",
                    scores.toString());
            assertEquals(0, score.code(), score.err());
            String[] f = Files.readAllLines(scores).get(1).split(",", -1);
            assertEquals(Integer.parseInt(f[1]), answer.get("component").asInt());
            assertBits(f[2], answer.get("log_likelihood"), "log_likelihood");
            for (int c = 0; c < 3; c++) {
                assertBits(f[3 + c], answer.get("responsibilities").get(c), "r" + c);
            }
            assertBits(f[6], answer.get("anomaly_score"), "anomaly_score");

            // get and list: the loaded snapshot, the file's parameters
            Run get = model(s, "get", "--key", key);
            assertEquals(0, get.code(), get.err());
            JsonNode got = JSON.readTree(get.out());
            assertEquals(file.get("means"), got.get("means"));
            assertEquals(file.get("covariances"), got.get("covariances"));
            Run list = model(s, "list");
            assertEquals(0, list.code(), list.err());
            assertTrue(list.out().contains(key) && list.out().contains("3 x 2") && list.out().endsWith("1 model\n"),
                    list.out());

            // reset: a tombstone; get says so
            Run reset = model(s, "reset", "--key", key);
            assertEquals(0, reset.code(), reset.err());
            assertTrue(reset.out().startsWith("reset " + key), reset.out());
            Run gone = model(s, "get", "--key", key);
            assertEquals(1, gone.code());
            assertEquals("mixstream model get: error: '" + key + "' was deleted or reset: it has no snapshot now\n",
                    gone.err());

            // another model, then a delete sent with the CRC32 partitioner (rerouted) and a bad command
            String other = misroutedKey("fan-", 4);
            try (KafkaProducer<String, String> p = crc32Producer()) {
                for (int i = 0; i < 100; i++) {
                    p.send(new ProducerRecord<>(s.pointsTopic(), other, "[" + rng.nextGaussian() + ","
                            + rng.nextGaussian() + "]"));
                }
                p.flush();
                awaitSnapshot(s, other, true);
                p.send(new ProducerRecord<>(s.controlTopic(), other, "{\"op\":\"delete\"}"));
                p.send(new ProducerRecord<>(s.controlTopic(), other, "{\"op\":\"forget\"}")).get();
            }
            awaitSnapshot(s, other, false);
            List<ConsumerRecord<byte[], byte[]>> dead = consume(s.dlqTopic(), 1, r -> true);
            assertEquals("invalid_command", new String(dead.get(0).headers().lastHeader("mixstream.reason").value(),
                    StandardCharsets.UTF_8));
            Run none = model(s, "list");
            assertTrue(none.out().endsWith("0 models\n"), none.out());
            Run missing = model(s, "load", "--key", "x", "--model", dir.resolve("nope.json").toString());
            assertEquals(1, missing.code());
            assertTrue(missing.err().startsWith("mixstream model load: error: ") && !missing.err().contains("\tat "),
                    missing.err());
        }
    }

    private static void assertBits(String csv, JsonNode json, String what) {
        assertEquals(Double.doubleToRawLongBits(Double.parseDouble(csv)), Double.doubleToRawLongBits(json.asDouble()),
                what + ": " + csv + " vs " + json);
    }

    /** Waits for the key's latest snapshots-topic record to be a snapshot ({@code present}) or a tombstone. */
    private static void awaitSnapshot(MixstreamSettings s, String key, boolean present) {
        List<ConsumerRecord<byte[], byte[]>> r = consume(s.snapshotsTopic(), Integer.MAX_VALUE,
                rec -> key.equals(new String(rec.key(), StandardCharsets.UTF_8)) && (rec.value() != null) == present);
        assertTrue(!r.isEmpty(), "the snapshot of " + key + (present ? "" : " deleted"));
    }

    /** Committed records of the topic matching {@code which}: returns once {@code n} are found (or after 60 s). */
    private static List<ConsumerRecord<byte[], byte[]>> consume(String topic, int n,
                                                                Predicate<ConsumerRecord<byte[], byte[]>> which) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "check-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<ConsumerRecord<byte[], byte[]>> found = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            c.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline && (found.isEmpty() || found.size() < n && n != Integer.MAX_VALUE)) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (which.test(r)) {
                        found.add(r);
                    }
                }
            }
        }
        return found;
    }
}
