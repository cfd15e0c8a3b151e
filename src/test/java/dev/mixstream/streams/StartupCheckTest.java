package dev.mixstream.streams;

import dev.mixstream.broker.EmbeddedBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fail fast and clearly: {@code mixstream run} as a user runs it (a separate process with the shipped logging
 * configuration) against a cluster it cannot reach or a topic that does not exist ends within 15 s with exit
 * code 1 and one line that says what is wrong and how to fix it, with no Kafka warnings before it.
 */
@Timeout(120)
class StartupCheckTest {
    private static EmbeddedBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = EmbeddedBroker.builder().port(0).start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void unreachableBootstrapServersFailWithinFifteenSecondsInOneLine(@TempDir Path dir) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // nothing listens there once closed
        }
        Result r = run(dir, "--bootstrap-servers", "localhost:" + port, "--set", "state.dir=" + dir.resolve("s"));
        assertTrue(r.output.contains("cannot reach Kafka at localhost:" + port), r.output);
        assertTrue(r.output.contains("--bootstrap-servers"), "says how to fix it: " + r.output);
        r.assertFastAndQuiet();
    }

    @Test
    void unresolvableHostFailsAtOnce(@TempDir Path dir) throws Exception {
        Result r = run(dir, "--bootstrap-servers", "no-such-host.invalid:9092", "--set",
                "state.dir=" + dir.resolve("s"));
        assertTrue(r.output.contains("no-such-host.invalid:9092"), r.output);
        assertTrue(r.output.contains("resolvable"), r.output);
        r.assertFastAndQuiet();
    }

    @Test
    void missingTopicWithoutTopicCreationIsAClearError(@TempDir Path dir) throws Exception {
        Result r = run(dir, "--bootstrap-servers", broker.bootstrapServers(),
                "--set", "state.dir=" + dir.resolve("s"), "--set", "mixstream.topics.create=false",
                "--set", "mixstream.topic.points=misspelt.pionts");
        assertTrue(r.output.contains("misspelt.pionts"), r.output);
        assertTrue(r.output.contains("mixstream.topics.create=false"), r.output);
        r.assertFastAndQuiet();
    }

    private record Result(int code, double seconds, String output) {
        void assertFastAndQuiet() {
            assertEquals(1, code, output);
            assertTrue(seconds < 15, "ended within 15 s: " + seconds + " s\n" + output);
            List<String> lines = output.lines().filter(l -> !l.isBlank()).toList();
            assertTrue(lines.stream().noneMatch(l -> l.contains(" WARN ")), "no warnings: " + output);
            List<String> errors = lines.stream().filter(l -> l.startsWith("mixstream run: error: ")).toList();
            assertEquals(1, errors.size(), "one error line: " + output);
            assertTrue(lines.size() <= 2, "nothing but the error (and the start line): " + output);
        }
    }

    private static Result run(Path dir, String... args) {
        long t0 = System.nanoTime();
        AppProcess p = AppProcess.start(dir.resolve("run.log"), "logback.xml", List.of(args));
        int code = p.awaitExit(Duration.ofSeconds(60));
        return new Result(code, (System.nanoTime() - t0) / 1e9, p.log());
    }
}
