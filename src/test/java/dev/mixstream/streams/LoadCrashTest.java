package dev.mixstream.streams;

import dev.mixstream.broker.EmbeddedBroker;
import dev.mixstream.broker.KafkaTestClients;
import dev.mixstream.gmm.CovarianceType;
import dev.mixstream.gmm.MixtureConfig;
import dev.mixstream.gmm.OnlineMixture;
import dev.mixstream.gmm.ScoreSink;
import dev.mixstream.snapshot.MixtureSnapshot;
import dev.mixstream.snapshot.SnapshotJson;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static dev.mixstream.streams.CrashTestSupport.KEYS;
import static dev.mixstream.streams.CrashTestSupport.POINTS_PER_KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Crash safety of model commands: two keys get a {@code load} of an offline fit (K = 3, diag, where the configured
 * K is 2) on the control topic, then {@code mixstream run} is killed with SIGKILL twice — right after the loads
 * were committed and before any point (restart on a fresh state directory: the loaded parameters, kept bit for bit
 * until the first M-step, must come back from the changelog), and in the middle of the stream (restart on the same
 * state directory). The committed outputs must be exactly those of an uninterrupted run in which those keys start
 * from the loaded models: their first points scored by the file's parameters, no loss, no duplicate, one load
 * snapshot each, bit-identical scores and snapshots.
 */
@Timeout(300)
class LoadCrashTest extends AppProcessTestBase {
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final int RATE = 400;
    private static final List<String> LOADED = List.of("k1", "k4");

    /** Hides the base's: as AppCrashTest's broker, it aborts a killed producer's transaction 1 s after its timeout. */
    @BeforeAll
    static void startBroker() {
        broker = EmbeddedBroker.builder().port(0)
                .property("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000")
                .start();
    }

    /** What {@code fit --model-out} would write for the history: the engine over other points of the same kind. */
    private static byte[] loadCommand() throws Exception {
        KeyedPointStream history = KeyedPointStream.generate(List.of("history"), 600, 99);
        PointParser parser = new PointParser(Integer.MAX_VALUE, 4096);
        OnlineMixture fit = new OnlineMixture(MixtureConfig.defaults(3, CovarianceType.DIAG).withHalfLife(300));
        for (KeyedPointStream.Input in : history.valid()) {
            fit.learn(parser.parse(in.value()).x(), null, ScoreSink.IGNORE);
        }
        return ("{\"op\":\"load\",\"snapshot\":" + SnapshotJson.toJson(MixtureSnapshot.of(fit)) + "}")
                .getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void loadedModelsSurviveSigkillsBitForBit(@TempDir Path dir) throws Throwable {
        long t0 = System.nanoTime();
        String bootstrap = broker.bootstrapServers();
        Map<String, String> config = CrashTestSupport.settings(bootstrap, "loadcrash", dir.resolve("state-a"));
        config.put("mixstream.topic.control", "loadcrash.control");
        MixstreamSettings settings = MixstreamSettings.from(config);
        CrashTestSupport.createTopics(bootstrap, settings);
        byte[] command = loadCommand();
        // the reference: the same command as the processor parses it, loaded as the processor loads it
        ModelCommand parsed = ModelCommand.parse(command, Integer.MAX_VALUE, 4096);
        Map<String, OnlineMixture> loaded = new LinkedHashMap<>();
        for (String key : LOADED) {
            MixtureConfig c = settings.mixtureFor(key).withComponents(3).withCovarianceType(CovarianceType.DIAG);
            loaded.put(key, OnlineMixture.loaded(c, parsed.parameters(), parsed.snapshot().nEff(),
                    parsed.snapshot().avgLogLikelihood()));
        }
        KeyedPointStream stream = KeyedPointStream.generate(KEYS, POINTS_PER_KEY, 43);
        List<KeyedPointStream.Input> inputs = stream.inputs();
        int half = inputs.size() / 2;
        List<KeyedPointStream.Input> first = inputs.subList(0, half);
        List<KeyedPointStream.Input> rest = inputs.subList(half, inputs.size());
        int validFirst = (int) first.stream().filter(KeyedPointStream.Input::valid).count();

        PacedProducer producer = track(new PacedProducer(bootstrap, settings.pointsTopic()));
        OutputCollector out = track(new OutputCollector(bootstrap, settings));
        KafkaProducer<String, byte[]> control = track(KafkaTestClients.bytesProducer(bootstrap, 1 << 20));
        try {
            for (String key : LOADED) {
                control.send(new ProducerRecord<>(settings.controlTopic(), key, command)).get();
            }
            AppProcess app1 = start(dir, config);
            awaitSnapshots(out, LOADED.size());
            app1.kill(); // right after the loads committed, before any point
            log(t0, "SIGKILL after the loads");

            // a fresh state directory: the loaded models come back from the changelog only
            Map<String, String> fresh = CrashTestSupport.withStateDir(config, dir.resolve("state-b"));
            AppProcess app2 = start(dir, fresh);
            producer.produce(first, 0).join();
            out.awaitResponsibilities(validFirst, WAIT);
            log(t0, "app 2 (fresh state dir) caught up");

            CompletableFuture<Void> producing = producer.produce(rest, RATE);
            out.awaitResponsibilities(validFirst + 150, WAIT);
            CrashTestSupport.awaitMoreSent(producer, producing, 50);
            app2.kill();
            log(t0, "SIGKILL mid-stream after " + out.responsibilities().size() + " committed outputs");

            AppProcess app3 = start(dir, fresh); // the same state directory
            producing.join();
            out.awaitResponsibilities(stream.valid().size(), WAIT);
            assertEquals(143, app3.stop(Duration.ofSeconds(60)), "SIGTERM: clean shutdown (128 + 15)");
            out.drainToEnd(WAIT);

            CrashTestSupport.assertInputExactlyOnce(bootstrap, settings.pointsTopic(), stream);
            Map<String, KeyedPointStream.KeyResult> expected =
                    stream.uninterrupted(settings.mixture(), settings.snapshotEveryPoints(), loaded);
            ExactlyOnceAssertions.assertExactlyOnce(stream, expected, out.responsibilities(), out.snapshots(),
                    out.deadLetters());
            for (String key : LOADED) {
                assertTrue(out.snapshots().stream().anyMatch(r -> r.key().equals(key)
                        && SnapshotJson.fromBytes(r.value()).components() == 3), key + " runs the loaded K = 3");
            }
            log(t0, "done: " + out.responsibilities().size() + " outputs, " + out.snapshots().size() + " snapshots");
        } catch (Throwable t) {
            System.err.println(CrashTestSupport.describeOffsets(bootstrap, settings));
            CrashTestSupport.saveLogs("LoadCrashTest", apps, dir);
            throw t;
        }
    }

    private static void awaitSnapshots(OutputCollector out, int n) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (out.snapshots().size() < n) {
            assertTrue(System.nanoTime() < deadline, "only " + out.snapshots().size() + " load snapshots");
            out.poll(Duration.ofMillis(100));
        }
    }

    private static void log(long t0, String what) {
        System.out.printf("[%5.1f s] %s%n", (System.nanoTime() - t0) / 1e9, what);
    }

}
