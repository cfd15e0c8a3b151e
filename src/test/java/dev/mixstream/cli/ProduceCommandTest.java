package dev.mixstream.cli;

import dev.mixstream.broker.EmbeddedBroker;
import dev.mixstream.broker.KafkaTestClients;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProduceCommandTest {
    private static EmbeddedBroker broker;

    @BeforeAll
    static void start() {
        broker = EmbeddedBroker.builder().port(0).start();
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    private static int run(StringWriter err, String... args) {
        CommandLine cl = MixstreamCli.commandLine();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        return cl.execute(args);
    }

    private static List<ConsumerRecord<String, String>> readAll(String topic, int expected) {
        List<ConsumerRecord<String, String>> out = new ArrayList<>();
        try (KafkaConsumer<String, String> c = KafkaTestClients.consumer(broker.bootstrapServers(), null, true)) {
            c.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (out.size() < expected && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            // nothing beyond the expected records
            c.poll(Duration.ofMillis(300)).forEach(out::add);
        }
        return out;
    }

    @Test
    void replaysEveryValidRowInOrderAsJsonArrays(@TempDir Path dir) throws Exception {
        KafkaTestClients.createTopic(broker.bootstrapServers(), "points-a", 1);
        Path csv = dir.resolve("p.csv");
        Files.writeString(csv, "x,y\n1.5,-0.2\n\n3,1e-7\nbad,row\n-4.25,1e20\n");
        StringWriter err = new StringWriter();
        int code = run(err, "produce", "--input", csv.toString(), "--topic", "points-a", "--key", "sensor-1",
                "--bootstrap-servers", broker.bootstrapServers(), "--skip-bad-rows", "--rate", "20");
        assertEquals(0, code, err.toString());
        assertTrue(err.toString().contains("3 records"), err.toString());
        assertTrue(err.toString().contains("1 bad rows skipped"), err.toString());
        List<ConsumerRecord<String, String>> got = readAll("points-a", 3);
        assertEquals(List.of("[1.5,-0.2]", "[3.0,1.0E-7]", "[-4.25,1.0E20]"),
                got.stream().map(ConsumerRecord::value).toList());
        assertTrue(got.stream().allMatch(r -> "sensor-1".equals(r.key())));
    }

    @Test
    void withoutKeyTheRecordsHaveNoneAndABadRowStopsTheReplayBeforeAnythingIsSent(@TempDir Path dir) throws Exception {
        KafkaTestClients.createTopic(broker.bootstrapServers(), "points-b", 1);
        Path csv = dir.resolve("p.csv");
        Files.writeString(csv, "1,2\n3,4\n5\n");
        StringWriter err = new StringWriter();
        int code = run(err, "produce", "--input", csv.toString(), "--topic", "points-b",
                "--bootstrap-servers", broker.bootstrapServers());
        assertEquals(1, code);
        assertTrue(err.toString().contains(csv + ": line 3"), "names the file and the line: " + err);
        assertTrue(err.toString().contains("nothing was sent"), err.toString());
        assertEquals(0, readAll("points-b", 0).size(), "the file is checked before the first record");
        Path good = dir.resolve("good.csv");
        Files.writeString(good, "1,2\n3,4\n");
        assertEquals(0, run(new StringWriter(), "produce", "--input", good.toString(), "--topic", "points-b",
                "--bootstrap-servers", broker.bootstrapServers()));
        List<ConsumerRecord<String, String>> got = readAll("points-b", 2);
        assertEquals(2, got.size());
        assertNull(got.get(0).key());
    }

    @Test
    void aMisspeltTopicIsOneClearLineAtOnce(@TempDir Path dir) throws Exception {
        KafkaTestClients.createTopic(broker.bootstrapServers(), "points-c", 1);
        Path csv = dir.resolve("p.csv");
        Files.writeString(csv, "1,2\n");
        StringWriter err = new StringWriter();
        long started = System.nanoTime();
        int code = run(err, "produce", "--input", csv.toString(), "--topic", "ponits-c",
                "--bootstrap-servers", broker.bootstrapServers());
        assertEquals(1, code, err.toString());
        assertTrue(err.toString().startsWith("mixstream produce: error: topic ponits-c does not exist on "), err.toString());
        assertTrue(err.toString().contains("points-c"), "lists the topics there: " + err);
        assertEquals(1, err.toString().strip().lines().count(), "one line: " + err);
        assertTrue(System.nanoTime() - started < java.util.concurrent.TimeUnit.SECONDS.toNanos(20), "not a 30 s wait");
    }

    @Test
    void missingFileOrInvalidRateIsAnError(@TempDir Path dir) {
        StringWriter err = new StringWriter();
        assertEquals(1, run(err, "produce", "--input", dir.resolve("none.csv").toString()));
        assertTrue(err.toString().contains("no such file"), err.toString());
        assertEquals(2, run(new StringWriter(), "produce", "--input", "x.csv", "--rate", "-1"));
    }
}
