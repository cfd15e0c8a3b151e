package dev.mixstream.streams;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Elastic scale-out and scale-in under load: one {@code mixstream run} process takes 500 points/s over 8 keys;
 * a second and a third instance join mid-stream, then the first is stopped (SIGTERM) and the second killed
 * (SIGKILL). Nothing is lost or duplicated, per-key order holds, every score and snapshot is bit-identical to
 * an uninterrupted single-instance run, and no point waits more than 10 s for its answer.
 */
@Timeout(300)
class ScaleOutTest extends AppProcessTestBase {
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final double STALL_LIMIT_S = 10;

    @Test
    void instancesJoinLeaveAndDieMidStream(@TempDir Path dir) throws Throwable {
        long t0 = System.nanoTime();
        Map<String, String> config = RecoveryTest.settings(broker.bootstrapServers(), "scale", dir.resolve("a"));
        MixstreamSettings s = MixstreamSettings.from(config);
        KeyedPointStream stream = KeyedPointStream.generate(RecoveryTest.KEYS, 2500, 21);
        CrashTestSupport.createTopics(broker.bootstrapServers(), s);
        PacedProducer producer = track(new PacedProducer(broker.bootstrapServers(), s.pointsTopic()));
        OutputCollector out = track(new OutputCollector(broker.bootstrapServers(), s));
        try {
            AppProcess a = start(dir, config);
            a.awaitRunning(WAIT);
            CompletableFuture<Void> producing = producer.produce(stream.inputs(), RecoveryTest.RATE);
            readFor(out, 5);
            log(t0, "instance 2 joins");
            AppProcess b = start(dir, CrashTestSupport.withStateDir(config, dir.resolve("b")));
            readFor(out, 7);
            log(t0, "instance 3 joins");
            start(dir, CrashTestSupport.withStateDir(config, dir.resolve("c")));
            readFor(out, 8);
            log(t0, "instance 1 stopped (SIGTERM)");
            assertEquals(143, a.stop(Duration.ofSeconds(60)), "SIGTERM: clean shutdown");
            readFor(out, 8);
            log(t0, "instance 2 killed (SIGKILL)");
            b.kill();
            while (!producing.isDone()) {
                out.poll(Duration.ofMillis(50));
            }
            producing.join();
            out.awaitResponsibilities(stream.valid().size(), WAIT);
            log(t0, "all answered");
            double maxLatency = RecoveryProbe.maxLatencySeconds(producer.sentAt(), out);
            for (AppProcess app : apps) {
                if (app.isAlive()) {
                    assertEquals(143, app.stop(Duration.ofSeconds(60)), "SIGTERM: clean shutdown");
                }
            }
            out.drainToEnd(WAIT);
            ExactlyOnceAssertions.assertExactlyOnce(stream, s, out);
            System.out.printf("scale out/in: %d points, max send-to-visible latency %.2f s, %.1f s%n",
                    stream.valid().size(), maxLatency, (System.nanoTime() - t0) / 1e9);
            assertTrue(maxLatency < STALL_LIMIT_S, "no point waited 10 s for its answer: " + maxLatency + " s");
            CrashTestSupport.printLogsIfAsked(apps);
        } catch (Throwable t) {
            CrashTestSupport.saveLogs("ScaleOutTest", apps, dir);
            throw t;
        }
    }

    /** Reads the outputs for {@code seconds} (answers count when they are read). */
    private static void readFor(OutputCollector out, int seconds) {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            out.poll(Duration.ofMillis(50));
        }
    }

    private static void log(long t0, String what) {
        System.out.printf("[%5.1f s] %s%n", (System.nanoTime() - t0) / 1e9, what);
    }
}
