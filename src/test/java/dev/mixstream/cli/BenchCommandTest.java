package dev.mixstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchCommandTest {
    @Test
    void measuresBothApplicationsOnTheSamePointsAndChecksTheirOutputs(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("bench.json");
        // enough points that even the pass-through runs for tens of milliseconds: the process CPU time is read in
        // clock ticks, and 3 000 points (5 ms) once read as no CPU at all
        Bench bench = bench("--points", "20000", "--keys", "3", "--partitions", "2", "--components", "2",
                "--dim", "2", "--guarantee", "exactly_once_v2", "--latency-points", "300", "--latency-rate", "1000",
                "--jit-warmup", "500", "--jit-rounds", "1", "--json-out", json.toString());
        assertTrue(bench.out.contains("pass-through") && bench.out.contains("estimator"), bench.out);
        // one round of unreported warm-up runs, one per application, before the measured ones
        assertTrue(bench.err.contains("JIT warm-up 1: pass-through, 500 points")
                && bench.err.contains("JIT warm-up 1: estimator, 500 points"), bench.err);
        JsonNode report = new ObjectMapper().readTree(json.toFile());
        JsonNode runs = report.get("runs");
        assertEquals(2, runs.size(), report.toString());
        for (JsonNode run : runs) {
            assertEquals(20000, run.get("expectedOutputs").asLong(), run.toString());
            assertEquals(20000, run.get("outputs").asLong(), "one output per point, read back read_committed: " + run);
            assertTrue(run.get("recordsPerSecond").asDouble() > 0, run.toString());
            assertTrue(run.get("processCores").asDouble() > 0, "the process used some CPU: " + run);
            assertTrue(run.get("compileShare").asDouble() >= 0, run.toString());
            // the cores column split by kind of thread: the stream threads worked, and the groups make the process
            JsonNode threads = run.get("threadCores");
            assertEquals(7, threads.size(), run.toString());
            assertTrue(threads.get("stream threads").asDouble() > 0, run.toString());
            double sum = 0;
            for (JsonNode c : threads) {
                assertTrue(c.asDouble() >= 0, run.toString());
                sum += c.asDouble();
            }
            assertTrue(sum >= run.get("processCores").asDouble() - 1e-9, run.toString());
            assertTrue(bench.out.contains("cores by thread, " + run.get("app").asText()), bench.out);
            JsonNode append = run.get("appendLatency");
            JsonNode visible = run.get("visibleLatency");
            assertEquals(300, append.get("count").asLong(), run.toString());
            assertEquals(300, visible.get("count").asLong(), run.toString());
            assertTrue(append.get("p50Ms").asDouble() <= append.get("p99Ms").asDouble(), run.toString());
            // a record is appended before a read_committed consumer can see it
            assertTrue(append.get("p50Ms").asDouble() <= visible.get("p50Ms").asDouble(), run.toString());
        }
        assertEquals("pass-through", runs.get(0).get("app").asText());
        assertEquals("estimator", runs.get(1).get("app").asText());
        assertEquals(0, runs.get(0).get("changelogRecords").asLong());
        long changelog = runs.get(1).get("changelogRecords").asLong();
        // the store's cache: the changelog gets a key's latest state once per commit, not every record's
        assertTrue(changelog >= 3 && changelog < 20000 / 4, "changelog records " + changelog);
        assertEquals(0, runs.get(0).get("changelogBytes").asLong());
        long bytes = runs.get(1).get("changelogBytes").asLong();
        assertTrue(bytes > 100 * changelog && bytes < 100_000 * changelog, bytes + " changelog bytes"); // a state each
        for (JsonNode run : runs) { // every output record was sent, in batches of at least 20 bytes per record
            assertTrue(run.get("outputBytes").asLong() > 20 * run.get("outputs").asLong(), run.toString());
        }
        assertEquals(0, runs.get(0).get("snapshotBytes").asLong(), "the pass-through writes no snapshots");
        // a snapshot every 1 000 points of a key (20 000 points): at least one, to the topic and the store's changelog
        assertTrue(runs.get(1).get("snapshotBytes").asLong() > 2 * 500, runs.get(1).toString());
        for (JsonNode run : runs) { // a maximum in ms, 0 when the application never punctuated
            double punctuation = run.get("punctuateMaxMs").asDouble(-1);
            assertTrue(punctuation >= 0 && punctuation < 60_000, run.toString());
        }
        JsonNode size = report.get("modelSizes").get(0);
        assertTrue(size.get("runningBytes").asInt() > 0 && size.get("warmupBytes").asInt() > size.get("runningBytes").asInt(),
                size.toString());
    }

    /**
     * --past-warmup: every key first gets its W = 40 points (unmeasured), then the application restarts on its state
     * and the 5 000 measured points continue those models: the report counts the measured phase, both phases' points
     * are answered exactly once, and the measured phase's changelog is once per key per commit, not per record.
     */
    @Test
    void pastWarmupMeasuresModelsThatAreAlreadyInitialised(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("bench.json");
        Bench bench = bench("--points", "5000", "--keys", "25", "--partitions", "2", "--components", "2",
                "--dim", "2", "--guarantee", "exactly_once_v2", "--apps", "estimator", "--latency-points", "0",
                "--jit-warmup", "0", "--past-warmup", "--set", "mixstream.warmup=40", "--json-out", json.toString());
        assertTrue(bench.err.contains("estimator, 25 keys: every model past its 40-point warm-up (1,000 points, not "
                + "measured)"), bench.err);
        JsonNode report = new ObjectMapper().readTree(json.toFile());
        assertTrue(report.get("config").get("past_warmup").asBoolean(), report.toString());
        JsonNode run = report.get("runs").get(0);
        assertEquals(5000, run.get("points").asLong(), "the measured phase: " + run);
        assertEquals(6000, run.get("expectedOutputs").asLong(), run.toString());
        assertEquals(6000, run.get("outputs").asLong(), "every point of both phases answered once: " + run);
        long changelog = run.get("changelogRecords").asLong();
        assertTrue(changelog >= 1 && changelog < 5000 / 4, "changelog records of the measured phase " + changelog);
    }

    /** What a successful {@code bench} run printed. */
    private record Bench(String out, String err) {
    }

    /** Runs {@code bench} with these arguments and checks that it succeeded. */
    private static Bench bench(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = MixstreamCli.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        String[] command = new String[args.length + 1];
        command[0] = "bench";
        System.arraycopy(args, 0, command, 1, args.length);
        assertEquals(0, cl.execute(command), out + "\n" + err);
        return new Bench(out.toString(), err.toString());
    }

    @Test
    void badArgumentsAreUsageErrors() {
        CommandLine cl = MixstreamCli.commandLine();
        cl.setOut(new PrintWriter(new StringWriter()));
        cl.setErr(new PrintWriter(new StringWriter()));
        assertEquals(2, cl.execute("bench", "--guarantee", "exactly_once"));
        assertEquals(2, cl.execute("bench", "--apps", "kstreams"));
        assertEquals(2, cl.execute("bench", "--points", "0"));
        assertEquals(2, cl.execute("bench", "--jit-rounds", "0"));
        assertEquals(2, cl.execute("bench", "--set", "mixstream.nope=1"));
    }
}
