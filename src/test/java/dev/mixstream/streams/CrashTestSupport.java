package dev.mixstream.streams;

import dev.mixstream.broker.KafkaTestClients;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Shared configuration and probes of the crash tests ({@link AppCrashTest}, {@link BrokerRestartTest}). */
final class CrashTestSupport {
    /** Keys of the test stream (6 keys on 4 partitions). */
    static final List<String> KEYS = List.of("k0", "k1", "k2", "k3", "k4", "k5");
    /** Points per key: a multiple of the snapshot period, so the last snapshot is at the last point. */
    static final int POINTS_PER_KEY = 500;
    static final String SNAPSHOT_EVERY = "100";

    private CrashTestSupport() {
    }

    /**
     * The application's settings for a crash test: exactly-once v2, a 200 ms commit interval, snapshots every
     * {@value #SNAPSHOT_EVERY} points and never on a timer (so every snapshot is tied to an input record),
     * 4 partitions, K=2, a small warm-up, and client timeouts that make recovery quick: a dead instance's
     * group membership expires after 6 s (default 45 s), its open transaction after 5 s (default 10 s).
     *
     * <p>The 5 s transaction timeout suits application crashes only. When a broker is down longer than the
     * transaction timeout, the restarted (single) node aborts the timed-out transaction while it reloads,
     * before it has its partition leadership back; Kafka 4.3's transaction marker sender then skips the
     * partitions without a leader ("likely deleted already"), which leaves the transaction hanging on them
     * (stuck last stable offset) or lets a later commit of the same producer expose the aborted records
     * (duplicates). Broker tests therefore use a timeout longer than the broker's downtime.
     */
    static Map<String, String> settings(String bootstrap, String prefix, Path stateDir) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("bootstrap.servers", bootstrap);
        p.put("application.id", prefix + "-app");
        p.put("state.dir", stateDir.toString());
        p.put("processing.guarantee", "exactly_once_v2");
        p.put("commit.interval.ms", "200");
        p.put("session.timeout.ms", "6000");
        p.put("heartbeat.interval.ms", "1500");
        p.put("transaction.timeout.ms", "5000");
        p.put("mixstream.topic.points", prefix + ".points");
        p.put("mixstream.topic.responsibilities", prefix + ".responsibilities");
        p.put("mixstream.topic.snapshots", prefix + ".snapshots");
        p.put("mixstream.topic.dlq", prefix + ".dlq");
        p.put("mixstream.topics.partitions", "4");
        p.put("mixstream.components", "2");
        p.put("mixstream.warmup", "20");
        p.put("mixstream.snapshot.every.points", SNAPSHOT_EVERY);
        p.put("mixstream.snapshot.interval.ms", "0");
        p.put("mixstream.status.interval.ms", "1000");
        return p;
    }

    /**
     * Creates the application's topics (as the application would) and waits until every partition has a
     * leader, so the test's first records do not race the topic creation.
     */
    static void createTopics(String bootstrap, MixstreamSettings s) throws Exception {
        MixstreamApp.createTopics(s);
        List<String> topics = List.of(s.pointsTopic(), s.responsibilitiesTopic(), s.snapshotsTopic(), s.dlqTopic());
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        try (Admin admin = KafkaTestClients.admin(bootstrap)) {
            while (true) {
                var descriptions = admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS);
                boolean led = descriptions.values().stream().flatMap(d -> d.partitions().stream())
                        .allMatch(p -> p.leader() != null && p.leader().id() >= 0);
                if (led) {
                    return;
                }
                assertTrue(System.nanoTime() < deadline, "partitions of " + topics + " have no leader");
                Thread.sleep(100);
            }
        }
    }

    /** The same settings as {@code run} arguments: {@code --bootstrap-servers B --set k=v ...}. */
    static List<String> runArgs(Map<String, String> settings) {
        List<String> args = new ArrayList<>();
        settings.forEach((k, v) -> {
            if (k.equals("bootstrap.servers")) {
                args.add("--bootstrap-servers");
                args.add(v);
            } else {
                args.add("--set");
                args.add(k + "=" + v);
            }
        });
        return args;
    }

    /** A copy of {@code settings} with another state directory. */
    static Map<String, String> withStateDir(Map<String, String> settings, Path stateDir) {
        Map<String, String> p = new LinkedHashMap<>(settings);
        p.put("state.dir", stateDir.toString());
        return p;
    }

    /**
     * Asserts that the points topic holds each input exactly once (the premise of the exactly-once checks:
     * a duplicate there would be the test producer's, not the application's).
     */
    static void assertInputExactlyOnce(String bootstrap, String topic, KeyedPointStream stream) {
        Map<String, Integer> count = new HashMap<>();
        List<String> where = new ArrayList<>();
        readAll(bootstrap, topic, "read_committed", r -> {
            String v = new String(r.value(), StandardCharsets.UTF_8);
            if (count.merge(v, 1, Integer::sum) > 1 && where.size() < 10) {
                where.add(r.partition() + "@" + r.offset() + " " + v);
            }
        });
        assertTrue(where.isEmpty(), "the points topic has duplicates: " + where);
        for (KeyedPointStream.Input in : stream.inputs()) {
            assertEquals(1, count.getOrDefault(new String(in.value(), StandardCharsets.UTF_8), 0),
                    "copies of input " + in.id() + " in the points topic");
        }
        assertEquals(stream.inputs().size(), count.size(), "distinct records in the points topic");
    }

    /**
     * How many records {@code topic} holds when aborted transactions are counted too (read_uncommitted);
     * minus the committed count, this is how much work a crash threw away.
     */
    static long recordsIncludingAborted(String bootstrap, String topic) {
        long[] n = {0};
        readAll(bootstrap, topic, "read_uncommitted", r -> n[0]++);
        return n[0];
    }

    /** Reads a whole topic (to its end offsets at the start) with the given isolation level. */
    static void readAll(String bootstrap, String topic, String isolation,
                        Consumer<ConsumerRecord<byte[], byte[]>> each) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts, Duration.ofSeconds(30));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                assertTrue(System.nanoTime() < deadline, "cannot read " + topic + " to its end " + end);
                c.poll(Duration.ofMillis(200)).forEach(each);
            }
        }
    }

    /**
     * Waits until the producer has sent {@code n} more records (or is done): a kill triggered by a commit
     * becoming visible is then not right at a commit, so it usually hits an open transaction.
     */
    static void awaitMoreSent(PacedProducer producer, CompletableFuture<Void> producing, int n) {
        int target = producer.sent() + n;
        while (producer.sent() < target && !producing.isDone()) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** Prints the application logs of a passing test too when run with {@code -Dcrash.printLogs=true}. */
    static void printLogsIfAsked(List<AppProcess> apps) {
        if (Boolean.getBoolean("crash.printLogs")) {
            printLogs(apps);
        }
    }

    /**
     * Prints the tail of each application log (for a failed test) and copies every {@code *.log} file of
     * {@code dir} (application and broker logs) to {@code target/crash-test-logs/<name>/}, which outlives the
     * test's temporary directory.
     */
    static void saveLogs(String name, List<AppProcess> apps, Path dir) {
        Path target = Path.of("target", "crash-test-logs", name);
        try (var files = Files.list(dir)) {
            Files.createDirectories(target);
            try (var old = Files.list(target)) {
                for (Path f : old.toList()) {
                    Files.delete(f);
                }
            }
            for (Path log : files.filter(f -> f.getFileName().toString().endsWith(".log")).toList()) {
                Files.copy(log, target.resolve(log.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
            System.err.println("crash test logs saved in " + target.toAbsolutePath());
        } catch (IOException e) {
            System.err.println("cannot save the logs: " + e);
        }
        printLogs(apps);
    }

    /**
     * For a failed test: the application's committed input offsets, and for each output partition its end
     * offset and last stable offset; a last stable offset below the end once the application has stopped
     * means a transaction was left hanging.
     */
    static String describeOffsets(String bootstrap, MixstreamSettings s) {
        StringBuilder sb = new StringBuilder("offsets after the failure:\n");
        try (Admin admin = KafkaTestClients.admin(bootstrap)) {
            sb.append("  committed: ").append(admin.listConsumerGroupOffsets(s.kafka().get("application.id"))
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS)).append('\n');
            List<TopicPartition> parts = new ArrayList<>();
            for (String topic : List.of(s.responsibilitiesTopic(), s.snapshotsTopic(), s.dlqTopic(),
                    s.kafka().get("application.id") + "-" + MixstreamTopology.STORE + "-changelog")) {
                for (int p = 0; p < s.topicPartitions(); p++) {
                    parts.add(new TopicPartition(topic, p));
                }
            }
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            parts.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
            var end = admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS);
            var stable = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
                    .get(30, TimeUnit.SECONDS);
            for (TopicPartition tp : parts) {
                long e = end.get(tp).offset();
                long st = stable.get(tp).offset();
                sb.append("  ").append(tp).append(": end ").append(e).append(", last stable ").append(st)
                        .append(st < e ? "  <-- open transaction" : "").append('\n');
            }
        } catch (Exception e) {
            sb.append("  (cannot read offsets: ").append(e).append(")\n");
        }
        return sb.toString();
    }

    /** Prints the tail of each application log. */
    static void printLogs(List<AppProcess> apps) {
        for (AppProcess app : apps) {
            System.err.println("===== " + app.logFile() + " (pid " + app.pid() + ") =====");
            System.err.println(app.logTail(150));
        }
    }
}
