package dev.mixstream.streams;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A running mixstream application: checks the cluster and creates missing topics (when allowed), then
 * runs the topology in a
 * {@link KafkaStreams} instance whose stream threads are replaced, not lost, on an unexpected error,
 * as a static group member ({@link InstanceIdentity}) that aborts the open transactions of departed
 * instances at each rebalance ({@link ZombieFencer}).
 * Used by {@code run}, the demo and the benchmarks.
 */
public final class MixstreamApp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MixstreamApp.class);
    private final MixstreamSettings settings;
    private final KafkaStreams streams;
    private final ZombieFencer fencer;
    private final PointsProcessedMeter meter;

    private MixstreamApp(MixstreamSettings settings, KafkaStreams streams, ZombieFencer fencer) {
        this.settings = settings;
        this.streams = streams;
        this.fencer = fencer;
        this.meter = new PointsProcessedMeter(streams, Integer.parseInt(settings.kafka()
                .getOrDefault(StreamsConfig.NUM_STREAM_THREADS_CONFIG, "1").trim()));
    }

    /**
     * Creates the topics if {@code mixstream.topics.create} and starts the application (returns at once;
     * the application then rebalances and runs in its own threads).
     */
    public static MixstreamApp start(MixstreamSettings settings) {
        return start(settings, null);
    }

    /**
     * As {@link #start(MixstreamSettings)}, with a listener of the application's state changes.
     *
     * @throws StartupException when the cluster cannot be reached or a topic is missing (one line saying
     *                          what is wrong and how to fix it)
     */
    public static MixstreamApp start(MixstreamSettings settings, KafkaStreams.StateListener listener) {
        try {
            settings.requireBootstrapServers();
        } catch (IllegalArgumentException e) {
            throw new StartupException(e.getMessage(), e);
        }
        int partitions;
        try (ClusterCheck check = ClusterCheck.open(settings)) {
            partitions = check.prepare();
        }
        Properties props = settings.streamsProperties();
        InstanceIdentity.resolve(settings).ifPresent(id -> props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, id));
        ZombieFencer fencer = exactlyOnce(settings)
                ? new ZombieFencer(ClusterCheck.admin(settings), settings.kafka().get("application.id")) : null;
        KafkaStreams streams = new KafkaStreams(MixstreamTopology.build(settings, partitions), props);
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("stream thread failed, replacing it", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streams.setStateListener((now, before) -> {
            if (fencer != null && before == KafkaStreams.State.RUNNING && now == KafkaStreams.State.REBALANCING
                    || fencer != null && before == KafkaStreams.State.REBALANCING && now == KafkaStreams.State.RUNNING) {
                fencer.check(); // a member may have left: abort its open transaction now, not at its timeout
            }
            if (listener != null) {
                listener.onChange(now, before);
            }
        });
        streams.start();
        LOG.info("points topic {} has {} partitions; group.instance.id {}", settings.pointsTopic(), partitions,
                props.getOrDefault(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "none (dynamic membership)"));
        return new MixstreamApp(settings, streams, fencer);
    }

    private static boolean exactlyOnce(MixstreamSettings s) {
        return StreamsConfig.EXACTLY_ONCE_V2.equals(s.kafka().get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
    }

    /**
     * Creates whichever of the four topics are missing: the configured partitions and replication factor,
     * {@code cleanup.policy=compact} and {@code max.message.bytes} (that of {@code topic.max.message.bytes},
     * 16 MiB by default) for snapshots. Existing topics are left as they are.
     *
     * @throws StartupException if the cluster cannot be reached or the topics cannot be created
     */
    public static List<String> createTopics(MixstreamSettings s) {
        return createTopics(s, Map.of());
    }

    /**
     * As {@link #createTopics(MixstreamSettings)}, with more configuration for some topics (by name), e.g.
     * {@code message.timestamp.type=LogAppendTime} on an output whose latency is measured; returns once every
     * created partition has a leader.
     */
    public static List<String> createTopics(MixstreamSettings s, Map<String, Map<String, String>> extraConfigs) {
        try (ClusterCheck check = ClusterCheck.open(s)) {
            return check.ensureTopics(extraConfigs);
        }
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

    /** Points processed by this instance so far (each rerouted point once; {@link PointsProcessedMeter}). */
    public long recordsProcessed() {
        return meter.read();
    }

    /** Closes Kafka Streams (leaving the consumer group), waiting up to {@code timeout}; true if clean and in time. */
    public boolean close(Duration timeout) {
        if (fencer != null) {
            fencer.close();
        }
        // leave the group so the other instances take the partitions over at once, not after a session timeout
        return streams.close(org.apache.kafka.streams.CloseOptions.timeout(timeout)
                .withGroupMembershipOperation(org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }
}
