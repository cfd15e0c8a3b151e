package dev.mixstream.streams;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import dev.mixstream.broker.BrokerProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static dev.mixstream.streams.CrashTestSupport.KEYS;
import static dev.mixstream.streams.CrashTestSupport.POINTS_PER_KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Crash safety against the broker: the broker (a separate OS process) is killed with SIGKILL in the
 * middle of a stream and restarted on the same data directory and port while input keeps coming, later
 * stopped cleanly (SIGTERM) and restarted the same way; the application (also a process) is left alone and
 * must recover by itself, with the same exactly-once outcome as an uninterrupted run.
 */
@Timeout(300)
class BrokerRestartTest {
    private static final Duration WAIT = Duration.ofSeconds(120);
    /** Input rate around a bounce: a third of the stream takes 2.5 s. */
    private static final int RATE = 400;
    private static final String CLIENT_LOGGER = "org.apache.kafka.clients";
    private final List<AppProcess> apps = new ArrayList<>();
    private final List<AutoCloseable> resources = new ArrayList<>();

    private Level clientLogLevel;

    /** The test's own clients complain loudly (WARN per request) while the broker is down: errors only. */
    @BeforeEach
    void quietClients() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            clientLogLevel = context.getLogger(CLIENT_LOGGER).getLevel();
            context.getLogger(CLIENT_LOGGER).setLevel(Level.ERROR);
        }
    }

    @AfterEach
    void killEverything() throws Exception {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            context.getLogger(CLIENT_LOGGER).setLevel(clientLogLevel);
        }
        apps.forEach(AppProcess::close);
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close(); // clients before the broker
        }
    }

    @Test
    void applicationRidesOutBrokerCrashAndRestart(@TempDir Path dir) throws Throwable {
        long t0 = System.nanoTime();
        // --verbose: the broker logs at INFO to its log file, saved with the others if the test fails
        BrokerProcess broker = track(BrokerProcess.start(dir.resolve("broker"), "--verbose"));
        String bootstrap = broker.bootstrapServers();
        Map<String, String> config = CrashTestSupport.settings(bootstrap, "bounce", dir.resolve("state"));
        // longer than the broker is away: a transaction the restarted broker has to time out and abort while
        // it reloads can be left hanging or half-committed by Kafka 4.3 (see CrashTestSupport#settings)
        config.put("transaction.timeout.ms", "30000");
        MixstreamSettings settings = MixstreamSettings.from(config);
        CrashTestSupport.createTopics(bootstrap, settings);
        KeyedPointStream stream = KeyedPointStream.generate(KEYS, POINTS_PER_KEY, 7);
        List<KeyedPointStream.Input> inputs = stream.inputs();
        int third = inputs.size() / 3;
        List<KeyedPointStream.Input> first = inputs.subList(0, third);
        List<KeyedPointStream.Input> second = inputs.subList(third, 2 * third);
        List<KeyedPointStream.Input> rest = inputs.subList(2 * third, inputs.size());
        int validFirst = validCount(first);
        int validSecond = validCount(second);

        PacedProducer producer = track(new PacedProducer(bootstrap, settings.pointsTopic()));
        OutputCollector out = track(new OutputCollector(bootstrap, settings));
        AppProcess app = AppProcess.start(dir.resolve("app.log"), CrashTestSupport.runArgs(config));
        apps.add(app);
        try {
            producer.produce(first, 0).join();
            out.awaitResponsibilities(validFirst, WAIT);
            log(t0, "app caught up");

            // bounce 1: SIGKILL the broker while input is produced and processed, restart it at once
            CompletableFuture<Void> producing = producer.produce(second, RATE);
            out.awaitResponsibilities(validFirst + 150, WAIT);
            CrashTestSupport.awaitMoreSent(producer, producing, 50); // not right at a commit
            broker.kill();
            log(t0, String.format("broker SIGKILLed after %d committed outputs, input %s", out.responsibilities()
                    .size(), producing.isDone() ? "all produced" : "still being produced"));
            broker.restart();
            log(t0, "broker restarted");
            producing.join();
            out.awaitResponsibilities(validFirst + validSecond, WAIT);
            log(t0, "app caught up");

            // bounce 2: the same with a clean broker shutdown (SIGTERM)
            producing = producer.produce(rest, RATE);
            out.awaitResponsibilities(validFirst + validSecond + 150, WAIT);
            CrashTestSupport.awaitMoreSent(producer, producing, 50);
            assertEquals(143, broker.stop(), "broker stopped by SIGTERM");
            log(t0, String.format("broker stopped (SIGTERM) after %d committed outputs, input %s",
                    out.responsibilities().size(), producing.isDone() ? "all produced" : "still being produced"));
            broker.restart();
            log(t0, "broker restarted");
            producing.join();
            out.awaitResponsibilities(stream.valid().size(), WAIT);
            log(t0, "all outputs committed");

            assertTrue(app.isAlive(), "the application was never restarted");
            assertEquals(143, app.stop(Duration.ofSeconds(60)), "SIGTERM: clean shutdown (128 + 15)");
            out.drainToEnd(WAIT);
            CrashTestSupport.assertInputExactlyOnce(bootstrap, settings.pointsTopic(), stream);
            ExactlyOnceAssertions.assertExactlyOnce(stream, settings, out);
            long all = CrashTestSupport.recordsIncludingAborted(bootstrap, settings.responsibilitiesTopic());
            long replaced = app.log().lines().filter(l -> l.contains("stream thread failed")).count();
            System.out.printf("broker restart test: %d points, %d bad, %d committed outputs, %d aborted, "
                    + "%d stream thread(s) replaced, %.1f s%n", stream.valid().size(), stream.bad().size(),
                    out.responsibilities().size(), all - out.responsibilities().size(), replaced,
                    (System.nanoTime() - t0) / 1e9);
            CrashTestSupport.printLogsIfAsked(apps);
        } catch (Throwable t) {
            System.err.println(CrashTestSupport.describeOffsets(bootstrap, settings));
            CrashTestSupport.saveLogs("BrokerRestartTest", apps, dir);
            throw t;
        }
    }

    private static int validCount(List<KeyedPointStream.Input> inputs) {
        return (int) inputs.stream().filter(KeyedPointStream.Input::valid).count();
    }

    private static void log(long t0, String what) {
        System.out.printf("[%5.1f s] %s%n", (System.nanoTime() - t0) / 1e9, what);
    }

    private <T extends AutoCloseable> T track(T resource) {
        resources.add(resource);
        return resource;
    }
}
