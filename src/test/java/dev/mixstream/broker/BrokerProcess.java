package dev.mixstream.broker;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.mixstream.cli.BrokerCommand;

/**
 * Test helper: a Kafka broker running as a separate OS process ({@code mixstream broker} started
 * with the test JVM's class path), so crash tests can kill it with SIGKILL and restart it on the
 * same data directory and port.
 *
 * <pre>{@code
 * try (BrokerProcess broker = BrokerProcess.start(dataDir)) {
 *     ... use broker.bootstrapServers() ...
 *     broker.kill();      // SIGKILL, no clean shutdown
 *     broker.restart();   // same data dir, same port; returns once ready again
 * }
 * }</pre>
 *
 * The child's stderr goes to {@code broker-N.log} next to the data directory (see {@link #logFile()}).
 */
public final class BrokerProcess implements AutoCloseable {

    /** How long {@link #start} and {@link #restart} wait for the ready line. */
    public static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private final Path dataDir;
    private final int port;
    private final List<String> extraArgs;
    private Process process;
    private Path logFile;
    private int starts;

    private BrokerProcess(Path dataDir, int port, List<String> extraArgs) {
        this.dataDir = dataDir;
        this.port = port;
        this.extraArgs = List.copyOf(extraArgs);
    }

    /** Starts a broker process on a free port, keeping its data in {@code dataDir}. */
    public static BrokerProcess start(Path dataDir, String... extraArgs) {
        return start(dataDir, freePort(), extraArgs);
    }

    /** Starts a broker process on {@code port}, keeping its data in {@code dataDir}. */
    public static BrokerProcess start(Path dataDir, int port, String... extraArgs) {
        BrokerProcess broker = new BrokerProcess(dataDir.toAbsolutePath(), port, List.of(extraArgs));
        broker.launch();
        return broker;
    }

    /** {@code localhost:PORT}; unchanged across restarts. */
    public String bootstrapServers() {
        return "localhost:" + port;
    }

    /** The client port; unchanged across restarts. */
    public int port() {
        return port;
    }

    /** The data directory; unchanged across restarts. */
    public Path dataDir() {
        return dataDir;
    }

    /** The stderr log of the current (or last) process. */
    public Path logFile() {
        return logFile;
    }

    /** True while the broker process runs. */
    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** Kills the process with SIGKILL (no clean shutdown) and waits for it to die. */
    public void kill() {
        if (process != null) {
            process.destroyForcibly();
            waitForExit();
        }
    }

    /** Stops the process with SIGTERM (clean shutdown) and returns its exit code. */
    public int stop() {
        if (process == null) {
            return -1;
        }
        process.destroy();
        return waitForExit();
    }

    /** Starts the broker again on the same data directory and port; kills a running one first. */
    public void restart() {
        kill();
        launch();
    }

    /** Kills the process if it still runs. */
    @Override
    public void close() {
        kill();
    }

    private int waitForExit() {
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for the broker process", e);
        }
    }

    private void launch() {
        starts++;
        logFile = dataDir.resolveSibling(dataDir.getFileName() + "-broker-" + starts + ".log");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"),
                BrokerCommand.class.getName(),
                "--port", Integer.toString(port),
                "--data-dir", dataDir.toString()));
        command.addAll(extraArgs);
        try {
            Files.createDirectories(dataDir.getParent());
            process = new ProcessBuilder(command)
                    .redirectError(ProcessBuilder.Redirect.to(logFile.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start the broker process", e);
        }
        awaitReadyLine();
    }

    private void awaitReadyLine() {
        Process p = process;
        CompletableFuture<String> ready = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(
                    new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    if (line.startsWith(BrokerCommand.READY_PREFIX)) {
                        ready.complete(line.substring(BrokerCommand.READY_PREFIX.length()).trim());
                    }
                }
                ready.completeExceptionally(new IllegalStateException("broker process ended before it was ready"));
            } catch (IOException e) {
                ready.completeExceptionally(e);
            }
        }, "broker-process-stdout");
        reader.setDaemon(true);
        reader.start();
        try {
            String address = ready.get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (!address.equals(bootstrapServers())) {
                throw new IllegalStateException("broker reports " + address + ", expected " + bootstrapServers());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IllegalStateException("Interrupted while waiting for the broker process", e);
        } catch (ExecutionException | TimeoutException e) {
            p.destroyForcibly();
            throw new IllegalStateException("Broker process not ready: " + e.getMessage() + "; log:\n" + tailOfLog(), e);
        }
    }

    private String tailOfLog() {
        try {
            List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("localhost"))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot find a free port", e);
        }
    }
}
