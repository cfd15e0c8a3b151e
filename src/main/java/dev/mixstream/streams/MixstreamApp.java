package dev.mixstream.streams;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A running mixstream application: creates missing topics (when allowed), then runs the topology in a
 * {@link KafkaStreams} instance whose stream threads are replaced, not lost, on an unexpected error.
 * Used by {@code run}, the demo and the benchmarks.
 */
public final class MixstreamApp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MixstreamApp.class);
    private final MixstreamSettings settings;
    private final KafkaStreams streams;

    private MixstreamApp(MixstreamSettings settings, KafkaStreams streams) {
        this.settings = settings;
        this.streams = streams;
    }

    /**
     * Creates the topics if {@code mixstream.topics.create} and starts the application (returns at once;
     * the application then rebalances and runs in its own threads).
     */
    public static MixstreamApp start(MixstreamSettings settings) {
        return start(settings, null);
    }

    /** As {@link #start(MixstreamSettings)}, with a listener of the application's state changes. */
    public static MixstreamApp start(MixstreamSettings settings, KafkaStreams.StateListener listener) {
        if (settings.bootstrapServers() == null || settings.bootstrapServers().isBlank()) {
            throw new IllegalArgumentException("bootstrap.servers is not set (use --bootstrap-servers, "
                    + "MIXSTREAM_KAFKA_BOOTSTRAP_SERVERS or the configuration file)");
        }
        if (settings.createTopics()) {
            createTopics(settings);
        }
        KafkaStreams streams = new KafkaStreams(MixstreamTopology.build(settings), settings.streamsProperties());
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("stream thread failed, replacing it", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        if (listener != null) {
            streams.setStateListener(listener);
        }
        streams.start();
        return new MixstreamApp(settings, streams);
    }

    /**
     * Creates whichever of the four topics are missing: the configured partitions and replication factor,
     * {@code cleanup.policy=compact} and {@code max.message.bytes} (that of {@code topic.max.message.bytes},
     * 16 MiB by default) for snapshots. Existing topics are left as they are.
     */
    public static List<String> createTopics(MixstreamSettings s) {
        Map<String, Object> adminConfig = new HashMap<>();
        s.kafka().forEach((k, v) -> {
            if (AdminClientConfig.configNames().contains(k)) {
                adminConfig.put(k, v);
            }
        });
        adminConfig.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        List<String> created = new ArrayList<>();
        try (Admin admin = Admin.create(adminConfig)) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (String t : List.of(s.pointsTopic(), s.responsibilitiesTopic(), s.snapshotsTopic(), s.dlqTopic())) {
                if (!existing.contains(t)) {
                    NewTopic nt = new NewTopic(t, s.topicPartitions(), s.topicReplicationFactor());
                    // the snapshot of a large model (K·D² covariance numbers) can exceed 1 MiB
                    String maxBytes = s.kafka().getOrDefault("topic.max.message.bytes",
                            MixstreamSettings.MAX_RECORD_BYTES);
                    if (t.equals(s.snapshotsTopic())) {
                        nt.configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                                TopicConfig.MAX_MESSAGE_BYTES_CONFIG, maxBytes));
                    }
                    missing.add(nt);
                    created.add(t);
                }
            }
            if (!missing.isEmpty()) {
                admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
                LOG.info("created topics {}", created);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            if (cause instanceof org.apache.kafka.common.errors.TopicExistsException) {
                return created; // another instance was quicker
            }
            throw new IllegalStateException("cannot create topics: " + cause, cause);
        }
        return created;
    }

    public MixstreamSettings settings() {
        return settings;
    }

    /** The underlying Kafka Streams instance (state, metrics, interactive queries). */
    public KafkaStreams streams() {
        return streams;
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    /** Waits until the application is RUNNING; false on timeout or if it failed. */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            KafkaStreams.State st = streams.state();
            if (st == KafkaStreams.State.RUNNING) {
                return true;
            }
            if (st == KafkaStreams.State.ERROR || st == KafkaStreams.State.NOT_RUNNING) {
                return false;
            }
            Thread.sleep(50);
        }
        return false;
    }

    /** Total records processed by this instance so far (the stream threads' process-total). */
    public long recordsProcessed() {
        double total = 0;
        for (var e : streams.metrics().entrySet()) {
            if (e.getKey().name().equals("process-total") && e.getKey().group().equals("stream-thread-metrics")) {
                Object v = e.getValue().metricValue();
                if (v instanceof Number n) {
                    total += n.doubleValue();
                }
            }
        }
        return (long) total;
    }

    /** Closes Kafka Streams (leaving the consumer group), waiting up to {@code timeout}; true if clean and in time. */
    public boolean close(Duration timeout) {
        // leave the group so the other instances take the partitions over at once, not after a session timeout
        return streams.close(org.apache.kafka.streams.CloseOptions.timeout(timeout)
                .withGroupMembershipOperation(org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }
}
