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
        CommandLine cl = new CommandLine(new MixstreamCli());
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
    void withoutKeyTheRecordsHaveNoneAndBadRowsStopTheReplay(@TempDir Path dir) throws Exception {
        KafkaTestClients.createTopic(broker.bootstrapServers(), "points-b", 1);
        Path csv = dir.resolve("p.csv");
        Files.writeString(csv, "1,2\n3,4\n5\n");
        StringWriter err = new StringWriter();
        int code = run(err, "produce", "--input", csv.toString(), "--topic", "points-b",
                "--bootstrap-servers", broker.bootstrapServers());
        assertEquals(1, code);
        assertTrue(err.toString().contains("line 3"), err.toString());
        List<ConsumerRecord<String, String>> got = readAll("points-b", 2);
        assertEquals(2, got.size(), "rows before the bad one were sent");
        assertNull(got.get(0).key());
    }

    @Test
    void missingFileOrInvalidRateIsAnError(@TempDir Path dir) {
        StringWriter err = new StringWriter();
        assertEquals(1, run(err, "produce", "--input", dir.resolve("none.csv").toString()));
        assertTrue(err.toString().contains("no such file"), err.toString());
        assertEquals(2, run(new StringWriter(), "produce", "--input", "x.csv", "--rate", "-1"));
    }
}
