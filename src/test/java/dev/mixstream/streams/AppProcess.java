package dev.mixstream.streams;

import dev.mixstream.cli.MixstreamCli;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Test helper: the application ({@code mixstream run ...}) as a separate OS process started with the test
 * JVM's class path, so crash tests can kill it with SIGKILL and start it again. Its stdout and stderr go to
 * one log file ({@code app-process-logback.xml}: our INFO lines, Kafka Streams at INFO, other Kafka
 * clients' warnings).
 *
 * <pre>{@code
 * try (AppProcess app = AppProcess.start(dir.resolve("app-1.log"), "--bootstrap-servers", b, "--set", "k=v")) {
 *     app.awaitRunning(Duration.ofSeconds(60));
 *     app.kill();   // SIGKILL: no shutdown hook, no clean close
 * }
 * }</pre>
 *
 * Every process still alive when the test JVM exits is killed by a shutdown hook, so a failed or aborted
 * test leaks none; tests should still {@link #close()} (kill) theirs in {@code @AfterEach}.
 */
public final class AppProcess implements AutoCloseable {
    /** The line {@code run} logs when Kafka Streams reaches RUNNING. */
    public static final String RUNNING_LINE = "-> RUNNING";

    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly),
                "app-process-reaper"));
    }

    private final Process process;
    private final Path logFile;

    private AppProcess(Process process, Path logFile) {
        this.process = process;
        this.logFile = logFile;
    }

    /**
     * Starts {@code mixstream run <runArgs>} in a new JVM (the test JVM's java and class path, a small
     * heap); returns at once.
     */
    public static AppProcess start(Path logFile, List<String> runArgs) {
        // not the tests' quiet logback-test.xml: our INFO lines and Kafka Streams' INFO lines
        return start(logFile, "app-process-logback.xml", runArgs);
    }

    /**
     * As {@link #start(Path, List)} with another logging configuration from the class path, e.g. the shipped
     * {@code logback.xml} to see what a user sees.
     */
    public static AppProcess start(Path logFile, String logbackConfig, List<String> runArgs) {
        return start(logFile, logbackConfig, System.getProperty("java.class.path"), runArgs);
    }

    /** As {@link #start(Path, String, List)} on another class path (the container image's, for instance). */
    public static AppProcess start(Path logFile, String logbackConfig, String classPath, List<String> runArgs) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dlogback.configurationFile=" + logbackConfig,
                "-cp", classPath,
                MixstreamCli.class.getName(), "run"));
        if (runArgs.stream().noneMatch(a -> a.startsWith("mixstream.http.port="))) {
            command.addAll(List.of("--set", "mixstream.http.port=0")); // several instances on one machine
        }
        command.addAll(runArgs);
        try {
            Files.createDirectories(logFile.toAbsolutePath().getParent());
            Process p = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.to(logFile.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            LIVE.add(p);
            p.onExit().thenRun(() -> LIVE.remove(p));
            return new AppProcess(p, logFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the application process", e);
        }
    }

    /** The process's combined stdout/stderr. */
    public Path logFile() {
        return logFile;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Waits until Kafka Streams is RUNNING (the {@code state ... -> RUNNING} log line). */
    public void awaitRunning(Duration timeout) {
        awaitLogLine(RUNNING_LINE, timeout);
    }

    /**
     * Waits until a log line contains {@code fragment}.
     *
     * @throws AssertionError on timeout or if the process ends first, with the tail of the log
     */
    public void awaitLogLine(String fragment, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (log().contains(fragment)) {
                return;
            }
            if (!process.isAlive()) {
                throw new AssertionError("application process ended (exit " + process.exitValue()
                        + ") before logging '" + fragment + "'; log:\n" + logTail(60));
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no '" + fragment + "' in the application log after " + timeout
                        + "; log:\n" + logTail(60));
            }
            sleep(100);
        }
    }

    /** SIGKILL: the process dies at once (no shutdown hook runs); waits until it is gone. */
    public void kill() {
        process.destroyForcibly();
        waitForExit(Duration.ofSeconds(30));
    }

    /** SIGTERM: the {@code run} command closes Kafka Streams cleanly; returns the exit code (143). */
    public int stop(Duration timeout) {
        process.destroy();
        if (!waitForExit(timeout)) {
            throw new AssertionError("application process did not stop within " + timeout + "; log:\n"
                    + logTail(60));
        }
        return process.exitValue();
    }

    /** Waits until the process ends by itself; its exit code. */
    public int awaitExit(Duration timeout) {
        if (!waitForExit(timeout)) {
            throw new AssertionError("application process still runs after " + timeout + "; log:\n" + logTail(60));
        }
        return process.exitValue();
    }

    /** Kills the process if it still runs. */
    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        }
    }

    /** The whole log so far ("" if none yet). */
    public String log() {
        try {
            return Files.exists(logFile) ? Files.readString(logFile, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** The last {@code lines} lines of the log. */
    public String logTail(int lines) {
        List<String> all = log().lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    private boolean waitForExit(Duration timeout) {
        try {
            boolean exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!exited) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
            return exited;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IllegalStateException("interrupted while waiting for the application process", e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
