package dev.mixstream.streams;

import dev.mixstream.broker.EmbeddedBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static dev.mixstream.streams.CrashTestSupport.KEYS;
import static dev.mixstream.streams.CrashTestSupport.POINTS_PER_KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Crash safety of the application: {@code mixstream run} as a separate OS process is killed with SIGKILL
 * twice in the middle of a stream — restarted once on the same state directory as the same static group
 * member, once on a fresh state directory as a new dynamic member (the changelog alone must then rebuild
 * the models) — and the committed outputs must be exactly those of an uninterrupted run: no loss, no
 * duplicate, per-key order, bit-identical models and scores.
 */
@Timeout(300)
class AppCrashTest {
    private static final Duration WAIT = Duration.ofSeconds(120);
    /** Input rate while a crash happens: a third of the stream takes 2.5 s. */
    private static final int RATE = 400;
    private static EmbeddedBroker broker;
    private final List<AppProcess> apps = new ArrayList<>();
    private final List<AutoCloseable> clients = new ArrayList<>();

    @BeforeAll
    static void startBroker() {
        broker = EmbeddedBroker.builder().port(0)
                // abort a dead producer's transaction soon after transaction.timeout.ms (default check: 10 s)
                .property("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000")
                .start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @AfterEach
    void killEverything() throws Exception {
        apps.forEach(AppProcess::close);
        for (AutoCloseable c : clients) {
            c.close();
        }
    }

    /**
     * Running models' states are committed as running heads, their anomaly references apart (in the references store,
     * written at a refresh only): the third instance, on a fresh state directory, rebuilt both from the changelogs, and
     * the outputs, anomaly scores included, are exactly an uninterrupted run's. Every committed running state is a
     * running head, references were committed far less often than heads, and each model's last head and last reference
     * agree.
     */
    @Test
    void sigkillMidStreamLosesAndDuplicatesNothing(@TempDir Path dir) throws Throwable {
        crashTwiceAndCompare(dir, "crash", Map.of(), KeyedPointStream.generate(KEYS, POINTS_PER_KEY, 42), RATE);

        String bootstrap = broker.bootstrapServers();
        Map<String, byte[]> lastHead = new java.util.HashMap<>();
        int[] heads = {0};
        CrashTestSupport.readAll(bootstrap, "crash-app-" + MixstreamTopology.STORE + "-changelog", "read_committed",
                r -> {
                    if (r.value() != null && dev.mixstream.gmm.ModelStateCodec.summary(r.value()).initialised()) {
                        assertTrue(dev.mixstream.gmm.ModelStateCodec.keepsReferenceApart(r.value()),
                                "a running state committed whole");
                        heads[0]++;
                        lastHead.put(new String(r.key(), java.nio.charset.StandardCharsets.UTF_8), r.value());
                    }
                });
        Map<String, byte[]> lastReference = new java.util.HashMap<>();
        int[] references = {0};
        CrashTestSupport.readAll(bootstrap, "crash-app-" + MixstreamTopology.ANOMALY_REFERENCES_STORE + "-changelog",
                "read_committed", r -> {
                    references[0]++;
                    lastReference.put(new String(r.key(), java.nio.charset.StandardCharsets.UTF_8), r.value());
                });
        assertEquals(KEYS.size(), lastHead.size());
        assertTrue(references[0] >= KEYS.size() && 5 * references[0] < heads[0],
                references[0] + " references committed, " + heads[0] + " running heads");
        lastHead.forEach((key, head) -> {
            byte[] reference = lastReference.get(key);
            assertTrue(reference != null, key + " has a reference");
            dev.mixstream.gmm.OnlineMixture m = dev.mixstream.gmm.ModelStateCodec.decode(head, null, () -> reference);
            assertEquals(dev.mixstream.gmm.ModelStateCodec.stampOf(head), dev.mixstream.gmm.ModelStateCodec
                    .referenceStamp(m), key + ": the last head and the last reference agree");
        });
    }

    /**
     * The same with automatic K: two keys whose data (two clusters) gain two more after a third of their points, so
     * that the models review their components and gain two while the second third is processed and killed; the
     * committed outputs (component ids included) and snapshots are still exactly those of an uninterrupted run.
     */
    @Test
    void sigkillWhileModelsChangeTheirKLosesAndDuplicatesNothing(@TempDir Path dir) throws Throwable {
        KeyedPointStream stream = KeyedPointStream.generate(List.of("a0", "a1"), 7_000, 7, true);
        Map<String, String> referenceConfig = new LinkedHashMap<>(CrashTestSupport.settings("localhost:1", "autok", dir));
        referenceConfig.putAll(AUTO);
        MixstreamSettings referenceSettings = MixstreamSettings.from(referenceConfig);
        Map<String, KeyedPointStream.KeyResult> reference = stream.uninterrupted(referenceSettings.mixture(),
                referenceSettings.snapshotEveryPoints());
        for (String key : stream.keys()) { // the reference itself changes K: 2 clusters, then more appear (a1 also drifts)
            java.util.TreeMap<Long, dev.mixstream.snapshot.MixtureSnapshot> snapshots =
                    (java.util.TreeMap<Long, dev.mixstream.snapshot.MixtureSnapshot>) reference.get(key).snapshots();
            assertEquals(2, snapshots.firstEntry().getValue().components(), key);
            int last = snapshots.lastEntry().getValue().components();
            assertTrue(last > 2, key + " ends with K=" + last);
        }
        crashTwiceAndCompare(dir, "autok", AUTO, stream, 1_500);
    }

    /**
     * The same while the models are in a warm-up longer than the first third of their points (W = 300 of 500): their
     * states are warming heads with their full blocks in the warm-up blocks store. The first kill hits them mid-warm-up,
     * the restart reads them back from the changelogs, and the outputs (the warm-up points' included, answered at the
     * initialisation) and snapshots are still exactly an uninterrupted run's. Across both kills every block was
     * committed once, every committed warming state held less than one block of points, and every block was deleted
     * once its model was initialised.
     */
    @Test
    void sigkillDuringLongWarmUpsLosesAndDuplicatesNothing(@TempDir Path dir) throws Throwable {
        String prefix = "warming";
        int warmup = 300;
        Map<String, String> extra = Map.of("mixstream.warmup", String.valueOf(warmup),
                "mixstream.warmup.max.wait", "none");
        KeyedPointStream stream = KeyedPointStream.generate(KEYS, POINTS_PER_KEY, 43);
        int third = stream.inputs().size() / 3;
        int blocksFirst = fullBlocks(stream.inputs().subList(0, third));
        assertTrue(blocksFirst >= KEYS.size() * 4, blocksFirst + " blocks after the first third");
        String app = prefix + "-app-";
        String blocksChangelog = app + MixstreamTopology.WARMUP_BLOCKS_STORE + "-changelog";
        Map<String, Integer> twoThirds = new java.util.HashMap<>();
        stream.inputs().subList(0, 2 * third).stream().filter(KeyedPointStream.Input::valid)
                .forEach(i -> twoThirds.merge(i.key(), 1, Integer::sum));
        twoThirds.forEach((key, n) -> assertTrue(n >= warmup, key + " initialised in the second third: " + n));
        crashTwiceAndCompare(dir, prefix, extra, stream, RATE,
                () -> awaitCommittedBlocks(blocksChangelog, blocksFirst), // the first third in: every model warming
                () -> awaitCommittedBlocks(blocksChangelog, blocksFirst + KEYS.size())); // a block more each, then kill

        String bootstrap = broker.bootstrapServers();
        Map<String, Integer> written = new java.util.HashMap<>();
        Map<String, byte[]> last = new java.util.HashMap<>();
        CrashTestSupport.readAll(bootstrap, blocksChangelog, "read_committed", r -> {
            String key = new String(r.key(), java.nio.charset.StandardCharsets.UTF_8);
            if (r.value() != null) {
                written.merge(key, 1, Integer::sum);
            }
            last.put(key, r.value());
        });
        // (blocks that filled and were initialised within one commit interval, in a backlog, are never written)
        assertTrue(written.size() >= blocksFirst + KEYS.size(), written.size() + " blocks: " + written.keySet());
        written.forEach((key, n) -> assertEquals(1, n, "block " + key + " committed once"));
        last.forEach((key, value) -> assertEquals(null, value, "block " + key + " deleted at the initialisation"));
        int[] heads = {0};
        CrashTestSupport.readAll(bootstrap, app + MixstreamTopology.STORE + "-changelog", "read_committed", r -> {
            if (r.value() != null && !dev.mixstream.gmm.ModelStateCodec.summary(r.value()).initialised()) {
                int blocks = dev.mixstream.gmm.ModelStateCodec.blocksOf(r.value());
                heads[0] += blocks > 0 ? 1 : 0;
                assertTrue(r.value().length < 4_096, "a warming state of " + r.value().length + " bytes, "
                        + blocks + " blocks left out");
            }
        });
        assertTrue(heads[0] >= KEYS.size(), heads[0] + " warming heads committed");
    }

    /** Full warm-up blocks of the models after these inputs: ⌊valid points of the key / B⌋, summed over the keys. */
    private static int fullBlocks(List<KeyedPointStream.Input> inputs) {
        Map<String, Integer> perKey = new java.util.HashMap<>();
        inputs.stream().filter(KeyedPointStream.Input::valid).forEach(i -> perKey.merge(i.key(), 1, Integer::sum));
        return perKey.values().stream().mapToInt(n -> n / dev.mixstream.gmm.ModelStateCodec.BLOCK_POINTS).sum();
    }

    /** Waits until the topic holds at least n committed records with a value (read_committed). */
    private static void awaitCommittedBlocks(String topic, int n) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            int[] found = {0};
            try {
                CrashTestSupport.readAll(broker.bootstrapServers(), topic, "read_committed",
                        r -> found[0] += r.value() != null ? 1 : 0);
            } catch (RuntimeException | AssertionError notYet) { // the application has not created it yet
                found[0] = -1;
            }
            if (found[0] >= n) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, topic + ": " + found[0] + " of " + n + " blocks committed");
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** Automatic K for the crash test: at most 4 components, a half-life short enough to review within the stream. */
    private static final Map<String, String> AUTO = Map.of("mixstream.components", "auto",
            "mixstream.max.components", "4", "mixstream.warmup", "auto", "mixstream.half.life", "2000");

    private void crashTwiceAndCompare(Path dir, String prefix, Map<String, String> extra, KeyedPointStream stream,
                                      int rate) throws Throwable {
        crashTwiceAndCompare(dir, prefix, extra, stream, rate, null, null);
    }

    /**
     * @param caughtUp     how to wait until the first third is processed, or null: its outputs are all committed
     * @param beforeCrash1 how to wait before the first kill, or null: 150 more outputs are committed
     */
    private void crashTwiceAndCompare(Path dir, String prefix, Map<String, String> extra, KeyedPointStream stream,
                                      int rate, Runnable caughtUp, Runnable beforeCrash1) throws Throwable {
        long t0 = System.nanoTime();
        String bootstrap = broker.bootstrapServers();
        Map<String, String> config = new LinkedHashMap<>(CrashTestSupport.settings(bootstrap, prefix,
                dir.resolve("state-a")));
        config.putAll(extra);
        MixstreamSettings settings = MixstreamSettings.from(config);
        // instances 1 and 2 are the same static group member: the restart takes over at once; instance 3 is
        // a dynamic member that gets the partitions once the killed member's session (6 s) has expired
        Map<String, String> staticMember = new LinkedHashMap<>(config);
        staticMember.put("group.instance.id", prefix + "-instance-1");
        CrashTestSupport.createTopics(bootstrap, settings);
        List<KeyedPointStream.Input> inputs = stream.inputs();
        int third = inputs.size() / 3;
        List<KeyedPointStream.Input> first = inputs.subList(0, third);
        List<KeyedPointStream.Input> second = inputs.subList(third, 2 * third);
        List<KeyedPointStream.Input> rest = inputs.subList(2 * third, inputs.size());
        int validFirst = validCount(first);
        int validSecond = validCount(second);

        PacedProducer producer = track(new PacedProducer(bootstrap, settings.pointsTopic()));
        OutputCollector out = track(new OutputCollector(bootstrap, settings));
        try {
            producer.produce(first, 0).join();
            AppProcess app1 = startApp(dir, staticMember);
            if (caughtUp == null) {
                out.awaitResponsibilities(validFirst, WAIT);
            } else {
                caughtUp.run();
            }
            log(t0, "app 1 caught up");

            // crash 1: while the second third is being produced (2.5 s) and processed live
            CompletableFuture<Void> producing = producer.produce(second, rate);
            if (beforeCrash1 == null) {
                out.awaitResponsibilities(validFirst + 150, WAIT);
            } else {
                beforeCrash1.run();
            }
            crash(t0, app1, producer, producing, out);
            producing.join();

            // restart on the same state directory, as the same static member
            AppProcess app2 = startApp(dir, staticMember);
            out.awaitResponsibilities(validFirst + validSecond, WAIT);
            log(t0, "app 2 (same state dir) caught up");

            // crash 2: while the last third is being produced and processed live
            producing = producer.produce(rest, rate);
            out.awaitResponsibilities(validFirst + validSecond + 150, WAIT);
            crash(t0, app2, producer, producing, out);

            // restart on a fresh state directory (and as a dynamic member): the models come back from the
            // changelog only
            AppProcess app3 = startApp(dir, CrashTestSupport.withStateDir(config, dir.resolve("state-b")));
            producing.join();
            out.awaitResponsibilities(stream.valid().size(), WAIT);
            log(t0, "app 3 (fresh state dir) done");
            assertEquals(143, app3.stop(Duration.ofSeconds(60)), "SIGTERM: clean shutdown (128 + 15)");
            out.drainToEnd(WAIT);

            CrashTestSupport.assertInputExactlyOnce(bootstrap, settings.pointsTopic(), stream);
            ExactlyOnceAssertions.assertExactlyOnce(stream, settings, out);
            long all = CrashTestSupport.recordsIncludingAborted(bootstrap, settings.responsibilitiesTopic());
            System.out.printf("app crash test: %d points, %d bad, %d committed outputs, %d aborted by the crashes, "
                    + "%.1f s%n", stream.valid().size(), stream.bad().size(), out.responsibilities().size(),
                    all - out.responsibilities().size(), (System.nanoTime() - t0) / 1e9);
            CrashTestSupport.printLogsIfAsked(apps);
        } catch (Throwable t) {
            System.err.println(CrashTestSupport.describeOffsets(bootstrap, settings));
            CrashTestSupport.saveLogs("AppCrashTest", apps, dir);
            throw t;
        }
    }

    /**
     * Kills the application a little after a commit became visible: once the producer sent 50 more records
     * (about 125 ms, so the kill is not right at a commit and usually hits an open transaction), or at once
     * if the input is all sent.
     */
    private static void crash(long t0, AppProcess app, PacedProducer producer, CompletableFuture<Void> producing,
                              OutputCollector out) {
        CrashTestSupport.awaitMoreSent(producer, producing, 50);
        boolean midStream = !producing.isDone();
        app.kill();
        log(t0, String.format("SIGKILL pid %d after %d committed outputs, input %s", app.pid(),
                out.responsibilities().size(), midStream ? "still being produced" : "already all produced"));
    }

    private static void log(long t0, String what) {
        System.out.printf("[%5.1f s] %s%n", (System.nanoTime() - t0) / 1e9, what);
    }

    private AppProcess startApp(Path dir, Map<String, String> config) {
        AppProcess app = AppProcess.start(dir.resolve("app-" + (apps.size() + 1) + ".log"),
                CrashTestSupport.runArgs(config));
        apps.add(app);
        return app;
    }

    private <T extends AutoCloseable> T track(T client) {
        clients.add(client);
        return client;
    }

    private static int validCount(List<KeyedPointStream.Input> inputs) {
        return (int) inputs.stream().filter(KeyedPointStream.Input::valid).count();
    }
}
