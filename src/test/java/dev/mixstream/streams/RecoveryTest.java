package dev.mixstream.streams;

import dev.mixstream.broker.KafkaTestClients;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Recovery in seconds, measured: {@code mixstream run} processes (mixstream's default recovery settings, a
 * broker with Kafka's default transaction checks) take 500 points/s over 8 keys; one is SIGKILLed. Whether it
 * is restarted at once on the same state directory or its keys fall to a second instance, every key must be
 * answered again (visible to a read_committed consumer) within 10 s of the kill, the backlog must clear
 * within 15 s, and the outputs stay exactly once and bit-identical to an uninterrupted run.
 */
@Timeout(300)
class RecoveryTest extends AppProcessTestBase {
    static final List<String> KEYS = List.of("r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7");
    static final int RATE = 500;
    static final double FIRST_ANSWER_LIMIT_S = 10;
    static final double BACKLOG_LIMIT_S = 15;
    private static final Duration WAIT = Duration.ofSeconds(120);

    /** mixstream's defaults for recovery (no session, heartbeat or transaction settings of the test's own). */
    static Map<String, String> settings(String bootstrap, String prefix, Path stateDir) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("bootstrap.servers", bootstrap);
        p.put("application.id", prefix + "-app");
        p.put("state.dir", stateDir.toString());
        p.put("mixstream.topic.points", prefix + ".points");
        p.put("mixstream.topic.responsibilities", prefix + ".responsibilities");
        p.put("mixstream.topic.snapshots", prefix + ".snapshots");
        p.put("mixstream.topic.dlq", prefix + ".dlq");
        p.put("mixstream.topics.partitions", "4");
        p.put("mixstream.components", "2");
        p.put("mixstream.warmup", "20");
        p.put("mixstream.snapshot.every.points", CrashTestSupport.SNAPSHOT_EVERY);
        p.put("mixstream.snapshot.interval.ms", "0");
        p.put("mixstream.status.interval.ms", "1000");
        return p;
    }

    @Test
    void sigkillAndImmediateRestartOnTheSameStateDirectory(@TempDir Path dir) throws Throwable {
        Map<String, String> config = settings(broker.bootstrapServers(), "recover1", dir.resolve("state-a"));
        MixstreamSettings s = MixstreamSettings.from(config);
        KeyedPointStream stream = KeyedPointStream.generate(KEYS, 1500, 11);
        CrashTestSupport.createTopics(broker.bootstrapServers(), s);
        PacedProducer producer = track(new PacedProducer(broker.bootstrapServers(), s.pointsTopic()));
        OutputCollector out = track(new OutputCollector(broker.bootstrapServers(), s));
        try {
            AppProcess first = start(dir, config);
            first.awaitRunning(WAIT);
            CompletableFuture<Void> producing = producer.produce(stream.inputs(), RATE);
            out.awaitResponsibilities(3000, WAIT);
            long kill = System.nanoTime();
            first.kill();
            start(dir, config); // at once, same state directory: the same static member and transactional ids
            RecoveryProbe.Recovery r = awaitRecovery(kill, Set.copyOf(KEYS), producer, producing, out, stream);
            System.out.println("recovery, SIGKILL + restart on the same state dir: " + r);
            assertRecovered(r, Set.copyOf(KEYS));
            finish(stream, s, out);
        } catch (Throwable t) {
            CrashTestSupport.saveLogs("RecoveryTest-restart", apps, dir);
            throw t;
        }
    }

    @Test
    void sigkillOfOneOfTwoInstancesWithoutRestart(@TempDir Path dir) throws Throwable {
        Map<String, String> configA = settings(broker.bootstrapServers(), "recover2", dir.resolve("state-a"));
        Map<String, String> configB = CrashTestSupport.withStateDir(configA, dir.resolve("state-b"));
        MixstreamSettings s = MixstreamSettings.from(configA);
        KeyedPointStream stream = KeyedPointStream.generate(KEYS, 1500, 12);
        CrashTestSupport.createTopics(broker.bootstrapServers(), s);
        PacedProducer producer = track(new PacedProducer(broker.bootstrapServers(), s.pointsTopic()));
        OutputCollector out = track(new OutputCollector(broker.bootstrapServers(), s));
        try {
            start(dir, configA).awaitRunning(WAIT);
            AppProcess b = start(dir, configB);
            b.awaitRunning(WAIT);
            CompletableFuture<Void> producing = producer.produce(stream.inputs(), RATE);
            Set<Integer> onB = awaitAssignedPartitions(s, dir.resolve("state-b"));
            out.awaitResponsibilities(3000, WAIT);
            Set<String> keysOfB = new TreeSet<>();
            for (String k : KEYS) {
                if (onB.contains(ModelPartitioner.partitionOf(k.getBytes(StandardCharsets.UTF_8), 4))) {
                    keysOfB.add(k);
                }
            }
            assertFalse(keysOfB.isEmpty(), "the instance to kill owns some keys (partitions " + onB + ")");
            long kill = System.nanoTime();
            b.kill();
            RecoveryProbe.Recovery r = awaitRecovery(kill, keysOfB, producer, producing, out, stream);
            System.out.println("recovery, SIGKILL of one of two instances (its keys " + keysOfB + "): " + r);
            assertRecovered(r, keysOfB);
            finish(stream, s, out);
        } catch (Throwable t) {
            CrashTestSupport.saveLogs("RecoveryTest-failover", apps, dir);
            throw t;
        }
    }

    private static RecoveryProbe.Recovery awaitRecovery(long kill, Set<String> keys, PacedProducer producer,
                                                        CompletableFuture<Void> producing, OutputCollector out,
                                                        KeyedPointStream stream) {
        while (!producing.isDone()) { // read all along: an answer counts when it is read
            out.poll(Duration.ofMillis(50));
        }
        producing.join();
        out.awaitResponsibilities(stream.valid().size(), WAIT);
        return RecoveryProbe.measure(kill, keys, producer.sentAt(), out);
    }

    private static void assertRecovered(RecoveryProbe.Recovery r, Set<String> keys) {
        assertEquals(keys, r.firstAnswerSeconds().keySet(), "every key answered after the kill");
        assertTrue(r.worstFirstAnswer() < FIRST_ANSWER_LIMIT_S, "every key answered within 10 s: " + r);
        assertTrue(r.backlogClearedSeconds() < BACKLOG_LIMIT_S, "backlog cleared within 15 s: " + r);
    }

    private void finish(KeyedPointStream stream, MixstreamSettings s, OutputCollector out) {
        for (AppProcess app : apps) {
            if (app.isAlive()) {
                assertEquals(143, app.stop(Duration.ofSeconds(60)), "SIGTERM: clean shutdown");
            }
        }
        out.drainToEnd(WAIT);
        ExactlyOnceAssertions.assertExactlyOnce(stream, s, out);
        CrashTestSupport.printLogsIfAsked(apps);
    }

    /**
     * Waits until the instance whose state directory is {@code stateDir} has points partitions assigned
     * (found by its static member id) and returns them.
     */
    static Set<Integer> awaitAssignedPartitions(MixstreamSettings s, Path stateDir) throws Exception {
        String app = s.kafka().get("application.id");
        String instance = Files.readString(stateDir.resolve("mixstream-" + app + ".instance")).trim();
        long deadline = System.nanoTime() + WAIT.toNanos();
        try (Admin admin = KafkaTestClients.admin(s.bootstrapServers())) {
            while (true) {
                Set<Integer> partitions = new TreeSet<>();
                boolean everyMemberHasSome = true;
                var group = admin.describeConsumerGroups(List.of(app)).all().get(30, TimeUnit.SECONDS).get(app);
                for (MemberDescription m : group.members()) {
                    Set<TopicPartition> mine = m.assignment().topicPartitions();
                    everyMemberHasSome &= mine.stream().anyMatch(tp -> tp.topic().equals(s.pointsTopic()));
                    if (m.groupInstanceId().orElse("").startsWith(instance)) {
                        mine.stream().filter(tp -> tp.topic().equals(s.pointsTopic()))
                                .forEach(tp -> partitions.add(tp.partition()));
                    }
                }
                if (!partitions.isEmpty() && everyMemberHasSome && group.members().size() > 1) {
                    return partitions;
                }
                assertTrue(System.nanoTime() < deadline, "no partitions assigned to " + instance + ": " + group);
                Thread.sleep(200);
            }
        }
    }
}
