package dev.mixstream.streams;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import dev.mixstream.dashboard.RecentActivity;
import dev.mixstream.http.ApiServer;
import dev.mixstream.http.RestoreTracker;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.streams.state.HostInfo;
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
    private final MixstreamMetrics metrics;
    private final ApiServer api;
    /** Meter binders to close with the application (they hold listeners and schedulers). */
    private final List<AutoCloseable> binders;

    private MixstreamApp(MixstreamSettings settings, KafkaStreams streams, ZombieFencer fencer,
                         MixstreamMetrics metrics, ApiServer api, List<AutoCloseable> binders) {
        this.settings = settings;
        this.streams = streams;
        this.fencer = fencer;
        this.metrics = metrics;
        this.api = api;
        this.binders = binders;
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
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        MixstreamMetrics metrics = new MixstreamMetrics(registry, settings.pointsTopic());
        props.put(DeadLetterProcessingHandler.METRICS_CONFIG, metrics);
        // the HTTP server starts first: its port (maybe any free one) is this instance's application.server
        ApiServer api = null;
        HostInfo self = null;
        if (settings.http().enabled()) {
            try {
                api = ApiServer.start(settings.http(), registry);
            } catch (IllegalStateException e) {
                throw new StartupException(e.getMessage(), e);
            }
            self = new HostInfo(settings.http().resolvedAdvertisedHost(), api.port());
            props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
        }
        // the dashboard's recent points: kept only when there is a dashboard to show them
        RecentActivity activity = api == null ? RecentActivity.OFF
                : new RecentActivity(settings.http().recentPoints(), settings.http().recentModels());
        KafkaStreams streams;
        ZombieFencer fencer = null;
        RestoreTracker restoring = new RestoreTracker();
        try {
            fencer = exactlyOnce(settings)
                    ? new ZombieFencer(ClusterCheck.admin(settings), settings.kafka().get("application.id")) : null;
            streams = new KafkaStreams(MixstreamTopology.build(settings, partitions, metrics, activity), props);
        } catch (RuntimeException e) {
            if (api != null) {
                api.close();
            }
            if (fencer != null) {
                fencer.close();
            }
            throw e;
        }
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("stream thread failed, replacing it", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        ZombieFencer zombies = fencer;
        streams.setStateListener((now, before) -> {
            if (zombies != null && before == KafkaStreams.State.RUNNING && now == KafkaStreams.State.REBALANCING
                    || zombies != null && before == KafkaStreams.State.REBALANCING && now == KafkaStreams.State.RUNNING) {
                zombies.check(); // a member may have left: abort its open transaction now, not at its timeout
            }
            if (listener != null) {
                listener.onChange(now, before);
            }
        });
        streams.setGlobalStateRestoreListener(restoring);
        metrics.watch(streams);
        KafkaStreamsMetrics streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        JvmGcMetrics gcMetrics = new JvmGcMetrics();
        gcMetrics.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        if (api != null) {
            api.serve(streams, restoring, self, partitions, settings, metrics, activity);
        }
        streams.start();
        LOG.info("points topic {} has {} partitions; group.instance.id {}; HTTP API {}", settings.pointsTopic(),
                partitions, props.getOrDefault(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "none (dynamic membership)"),
                api == null ? "off" : "on " + settings.http().host() + ":" + api.port() + " (application.server "
                        + self.host() + ":" + self.port() + ")");
        return new MixstreamApp(settings, streams, fencer, metrics, api, List.of(streamsMetrics, gcMetrics));
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

    /** mixstream's meters (also on {@code /metrics}). */
    public MixstreamMetrics metrics() {
        return metrics;
    }

    /** The port of the HTTP API, or -1 when it is off. */
    public int httpPort() {
        return api == null ? -1 : api.port();
    }

    /**
     * Closes Kafka Streams (leaving the consumer group), waiting up to {@code timeout}, then the HTTP API (which
     * answers, 503 not ready, while Streams shuts down); true if clean and in time.
     */
    public boolean close(Duration timeout) {
        if (fencer != null) {
            fencer.close();
        }
        // leave the group so the other instances take the partitions over at once, not after a session timeout
        boolean clean = streams.close(org.apache.kafka.streams.CloseOptions.timeout(timeout)
                .withGroupMembershipOperation(org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
        for (AutoCloseable b : binders) {
            try {
                b.close();
            } catch (Exception e) {
                LOG.debug("closing a meter binder", e);
            }
        }
        if (api != null) {
            api.close();
        }
        return clean;
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }
}
