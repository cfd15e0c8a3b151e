package dev.mixstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The {@code broker} command in this JVM: ready line, a working broker, clean stop. */
@Timeout(120)
class BrokerCommandTest {

    @Test
    void runsUntilStoppedAndPrintsTheReadyLine(@TempDir Path tmp) throws Exception {
        BrokerCommand command = new BrokerCommand();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(command)
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true));
        Path dataDir = tmp.resolve("data");
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cli.execute(
                "--port", "0", "--data-dir", dataDir.toString(), "--set", "num.partitions=3"));

        String address = awaitReadyAddress(out, exit);
        try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", address))) {
            admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(
                    "from-command", java.util.Optional.empty(), java.util.Optional.empty()))).all().get();
            int partitions = admin.describeTopics(List.of("from-command")).allTopicNames().get()
                    .get("from-command").partitions().size();
            assertEquals(3, partitions, "--set overrides a broker property");
        }
        command.stop();
        assertEquals(0, exit.get(60, TimeUnit.SECONDS));
        assertTrue(Files.exists(dataDir.resolve("meta.properties")), "--data-dir is kept");
        assertTrue(err.toString().contains("mixstream broker stopped"), err.toString());
        assertEquals(1, out.toString().lines().count(), "stdout holds only the ready line: " + out);
    }

    @Test
    void occupiedPortExitsWithOne(@TempDir Path tmp) throws Exception {
        try (var taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("localhost"))) {
            StringWriter err = new StringWriter();
            int code = new CommandLine(new BrokerCommand()).setErr(new PrintWriter(err, true))
                    .execute("--port", Integer.toString(taken.getLocalPort()),
                            "--data-dir", tmp.resolve("d").toString());
            assertEquals(1, code);
            assertTrue(err.toString().startsWith("mixstream broker: cannot start:"), err.toString());
        }
    }

    @Test
    void helpDescribesTheFlags() {
        StringWriter out = new StringWriter();
        int code = new CommandLine(new BrokerCommand()).setOut(new PrintWriter(out, true)).execute("--help");
        assertEquals(0, code);
        for (String flag : List.of("--port", "--data-dir", "--controller-port", "--set", "--verbose")) {
            assertTrue(out.toString().contains(flag), flag);
        }
    }

    private static String awaitReadyAddress(StringWriter out, CompletableFuture<Integer> exit) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            String text = out.toString();
            int at = text.indexOf(BrokerCommand.READY_PREFIX);
            if (at >= 0 && text.indexOf('\n', at) > 0) {
                String address = text.substring(at + BrokerCommand.READY_PREFIX.length(), text.indexOf('\n', at)).trim();
                assertTrue(address.matches("localhost:\\d+"), address);
                return address;
            }
            assertFalse(exit.isDone(), "command ended before it was ready: exit " + (exit.isDone() ? exit.get() : null));
            Thread.sleep(50);
        }
        throw new AssertionError("no ready line within 60 s");
    }
}
