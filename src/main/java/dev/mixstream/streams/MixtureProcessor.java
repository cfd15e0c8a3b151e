package dev.mixstream.streams;

import dev.mixstream.dashboard.RecentActivity;
import dev.mixstream.gmm.MixtureConfig;
import dev.mixstream.gmm.OnlineMixture;
import dev.mixstream.gmm.PointProblem;
import dev.mixstream.gmm.PointScore;
import dev.mixstream.snapshot.MixtureSnapshot;
import dev.mixstream.snapshot.SnapshotJson;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The estimator: one online mixture per record key, kept in a persistent, changelogged key-value store
 * as the engine's binary state. Each valid point is scored and learned; its responsibilities record
 * (or, at the end of a warm-up, those of all buffered points) goes to the responsibilities sink;
 * snapshots go to the snapshots sink (and into the snapshots store, for the HTTP API) every N points of a
 * model and on a wall-clock punctuation for models that changed; unusable records go to the dead-letter sink
 * with their reason.
 *
 * <p>The models live in a {@link ModelStore}: decoded, in a bounded LRU per task, and encoded into the
 * changelogged store only when Kafka Streams flushes it before a commit (or on eviction), so a record pays
 * neither for decoding nor for encoding its model, and the changelog carries each model's state as of the
 * last record of every commit.
 */
final class MixtureProcessor implements Processor<byte[], byte[], byte[], byte[]> {
    static final String DEFAULT_MODEL = ModelPartitioner.DEFAULT_MODEL;

    private final MixstreamSettings settings;
    private final MixstreamMetrics metrics;
    /** The dashboard's recent points of each model. */
    private final RecentActivity activity;
    private final PointParser parser;
    private final ResponsibilityWriter writer = new ResponsibilityWriter();
    private ProcessorContext<byte[], byte[]> context;
    private ModelStore store;
    /** The latest snapshot of each model, exactly as sent to the snapshots topic (the HTTP API serves it). */
    private KeyValueStore<String, byte[]> snapshots;
    /** Stream time of each model's latest point or command (null when mixstream.model.ttl is off). */
    private KeyValueStore<String, Long> lastSeen;
    private MixstreamMetrics.ModelCensus census;
    private String task;
    private final Set<String> changedSinceSnapshot = new LinkedHashSet<>();
    /** Whether the models held without a last-seen time (from before the TTL was set) were given one. */
    private boolean backfilled;

    // per-record state used by the score sink
    private String currentModel;
    private byte[] currentKey;
    private long currentTimestamp;
    private byte[] currentTag;
    private PointMeta currentMeta;
    private byte[] currentXJson;

    MixtureProcessor(MixstreamSettings settings, MixstreamMetrics metrics, RecentActivity activity) {
        this.settings = settings;
        this.metrics = metrics;
        this.activity = activity;
        this.parser = new PointParser(settings.maxValueBytes(), settings.maxDimension());
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        this.store = context.getStateStore(MixstreamTopology.STORE);
        this.snapshots = context.getStateStore(MixstreamTopology.SNAPSHOT_STORE);
        changedSinceSnapshot.clear();
        task = context.taskId().toString();
        census = metrics.census(task);
        store.forEachSummary(s -> census.added(!s.initialised())); // the models this task holds from the start
        ModelTtl ttl = settings.modelTtl();
        lastSeen = ttl.enabled() ? context.getStateStore(MixstreamTopology.LAST_SEEN_STORE) : null;
        if (ttl.enabled()) {
            context.schedule(Duration.ofMillis(ttl.checkIntervalMillis()), PunctuationType.STREAM_TIME,
                    this::expireIdleModels);
        }
        if (settings.snapshotIntervalMs() > 0) {
            context.schedule(Duration.ofMillis(settings.snapshotIntervalMs()), PunctuationType.WALL_CLOCK_TIME,
                    this::snapshotChangedModels);
        }
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        long started = System.nanoTime();
        try {
            estimate(record);
        } finally {
            metrics.recordProcessed(System.nanoTime() - started);
        }
    }

    private void estimate(Record<byte[], byte[]> record) {
        // a rerouted record names its place on the points topic and its original key in a header
        RecordOrigin origin = RecordOrigin.of(context.recordMetadata().orElse(null), settings.pointsTopic(),
                record.headers(), record.key());
        String topic = origin.topic();
        int partition = origin.partition();
        long offset = origin.offset();
        byte[] key = origin.key();
        if (key != record.key()) {
            record = record.withKey(key);
        }
        if (ModelCommand.isCommand(record.headers())) {
            command(record, settings.controlTopic(), partition, offset);
            return;
        }
        String model;
        if (key == null || key.length == 0) {
            model = DEFAULT_MODEL;
        } else if (Utf8.firstInvalid(key) >= 0) {
            deadLetter(record, RejectReason.NOT_UTF8, "key is not valid UTF-8", topic, partition, offset);
            return;
        } else {
            model = new String(key, StandardCharsets.UTF_8);
        }
        PointParser.ParsedPoint point;
        try {
            point = parser.parse(record.value());
        } catch (Rejection r) {
            deadLetter(record, r.reason(), r.detail(), topic, partition, offset);
            return;
        }
        OnlineMixture stored = store.get(model);
        OnlineMixture mixture = inForce(stored);
        PointProblem problem = mixture.check(point.x());
        if (problem != null) {
            deadLetter(record, RejectReason.of(problem), problem.describe(point.x(), mixture.dimension()), topic,
                    partition, offset);
            return;
        }
        currentModel = model;
        currentKey = ModelPartitioner.modelKey(key); // valid UTF-8: the model's bytes
        currentTimestamp = record.timestamp();
        boolean wasInitialised = mixture.isInitialised();
        long refitsBefore = mixture.refits();
        try {
            currentMeta = new PointMeta(point.id(), point.ts(), partition, offset);
            currentTag = currentMeta.encode();
            currentXJson = point.xJson();
            mixture.learn(point.x(), currentTag, this::emitScore);
            store.put(model, mixture);
        } catch (RuntimeException e) {
            // the model may be half-updated: forget it (and its updates since the last commit), so the next
            // record reloads the last written state; the exception handler sends this record to the DLQ
            store.discard(model);
            throw e;
        }
        if (stored == null) {
            census.added(!mixture.isInitialised());
        } else if (!wasInitialised && mixture.isInitialised()) {
            census.initialised();
        }
        if (mixture.refits() > refitsBefore) {
            metrics.refits(mixture.refits() - refitsBefore);
        }
        changedSinceSnapshot.add(model);
        if (lastSeen != null) {
            lastSeen.put(model, record.timestamp());
        }
        long every = settings.snapshotEveryPoints();
        if (mixture.isInitialised() && (!wasInitialised || every > 0 && mixture.pointsSeen() % every == 0)) {
            emitSnapshot(model, mixture, record.timestamp());
        }
    }

    private void emitScore(PointScore score) {
        // the current record's point echoes its own x text; warm-up points answered at initialisation carry
        // their metadata in their tag and have x formatted from the stored doubles (the same numbers)
        byte[] value = score.tag() == currentTag
                ? writer.write(currentModel, score, currentMeta, currentXJson)
                : writer.write(currentModel, score, PointMeta.decode(score.tag()));
        context.forward(new Record<>(currentKey, value, currentTimestamp), MixstreamTopology.RESPONSIBILITIES_SINK);
        if (score.anomaly()) {
            metrics.anomaly();
        }
        activity.record(currentModel, score, context.currentSystemTimeMs());
        if (score.anomaly() && settings.anomaliesTopic() != null) {
            context.forward(new Record<>(currentKey, value, currentTimestamp), MixstreamTopology.ANOMALIES_SINK);
        }
    }

    /**
     * A control-topic command for the model of the record's key: load, reset or delete. A bad command is a dead
     * letter and changes nothing. Each answers on the snapshots topic: the loaded model's snapshot, or a
     * tombstone for a reset or deleted one.
     */
    private void command(Record<byte[], byte[]> record, String topic, int partition, long offset) {
        record.headers().remove(ModelCommand.HEADER);
        byte[] key = record.key();
        if (key == null || key.length == 0) {
            deadLetter(record, RejectReason.INVALID_COMMAND, "a command needs its model's key", topic, partition,
                    offset);
            return;
        }
        if (Utf8.firstInvalid(key) >= 0) {
            deadLetter(record, RejectReason.NOT_UTF8, "key is not valid UTF-8", topic, partition, offset);
            return;
        }
        ModelCommand c;
        try {
            c = ModelCommand.parse(record.value(), settings.maxValueBytes(), settings.maxDimension());
        } catch (Rejection r) {
            deadLetter(record, r.reason(), r.detail(), topic, partition, offset);
            return;
        }
        String model = new String(key, StandardCharsets.UTF_8);
        OnlineMixture before = store.get(model);
        activity.forget(model);
        changedSinceSnapshot.remove(model);
        if (lastSeen != null) {
            if (c.op() == ModelCommand.Op.DELETE) {
                lastSeen.delete(model);
            } else {
                lastSeen.put(model, record.timestamp());
            }
        }
        switch (c.op()) {
            case LOAD -> {
                OnlineMixture loaded = inForce(OnlineMixture.loaded(configFor(c), c.parameters(), c.snapshot().nEff(),
                        c.snapshot().avgLogLikelihood()));
                store.put(model, loaded);
                if (before == null) {
                    census.added(false);
                } else if (!before.isInitialised()) {
                    census.initialised();
                }
                emitSnapshot(model, loaded, record.timestamp());
            }
            case RESET -> {
                store.put(model, inForce(null));
                if (before == null) {
                    census.added(true);
                } else if (before.isInitialised()) {
                    census.reset();
                }
                forgetSnapshot(model, record.timestamp());
            }
            case DELETE -> {
                if (before != null) {
                    store.remove(model);
                    census.removed(!before.isInitialised());
                }
                forgetSnapshot(model, record.timestamp());
            }
        }
    }

    /** The configured settings with the loaded snapshot's K and covariance type (the configured W if it fits K). */
    private MixtureConfig configFor(ModelCommand c) {
        MixtureConfig base = settings.mixture();
        int k = c.parameters().components();
        int w = base.warmup() == 0 || base.warmup() >= k ? base.warmup() : 0;
        return base.withWarmup(w).withComponents(k).withCovarianceType(c.parameters().covarianceType());
    }

    /**
     * Removes the models whose latest point is older than {@code mixstream.model.ttl} in stream time, each with a
     * tombstone on the snapshots topic if it had a snapshot. Models held from before the TTL was set (no entry yet)
     * count from this check.
     */
    private void expireIdleModels(long streamTime) {
        long ttl = settings.modelTtl().millis();
        java.util.List<String> idle = new java.util.ArrayList<>();
        try (org.apache.kafka.streams.state.KeyValueIterator<String, Long> all = lastSeen.all()) {
            while (all.hasNext()) {
                var kv = all.next();
                if (kv.value != null && streamTime - kv.value > ttl) {
                    idle.add(kv.key);
                }
            }
        }
        if (!backfilled) {
            backfilled = true;
            store.forEachKey(k -> {
                if (lastSeen.get(k) == null) {
                    lastSeen.put(k, streamTime);
                }
            });
        }
        for (String model : idle) {
            OnlineMixture m = store.get(model);
            if (m != null) {
                store.remove(model);
                census.removed(!m.isInitialised());
            }
            lastSeen.delete(model);
            activity.forget(model);
            changedSinceSnapshot.remove(model);
            if (snapshots.get(model) != null) {
                forgetSnapshot(model, streamTime);
            }
            metrics.expired();
        }
    }

    /** The model's snapshot is no more: a tombstone on the snapshots topic, and none in the snapshots store. */
    private void forgetSnapshot(String model, long timestamp) {
        snapshots.delete(model);
        context.forward(new Record<>(model.getBytes(StandardCharsets.UTF_8), null, timestamp),
                MixstreamTopology.SNAPSHOTS_SINK);
    }

    /** The stored model (or a new one if null) under the settings in force, which apply to every model. */
    private OnlineMixture inForce(OnlineMixture stored) {
        OnlineMixture m = stored != null ? stored : new OnlineMixture(settings.mixture());
        m.setAnomalyPolicy(settings.anomaly());
        return m;
    }

    private void emitSnapshot(String model, OnlineMixture mixture, long timestamp) {
        long now = context.currentSystemTimeMs();
        byte[] json = SnapshotJson.toBytes(MixtureSnapshot.of(mixture).withModel(model, now));
        context.forward(new Record<>(model.getBytes(StandardCharsets.UTF_8), json, timestamp),
                MixstreamTopology.SNAPSHOTS_SINK);
        snapshots.put(model, json);
        metrics.snapshot();
        changedSinceSnapshot.remove(model);
    }

    private void snapshotChangedModels(long now) {
        for (String model : Set.copyOf(changedSinceSnapshot)) {
            OnlineMixture mixture = inForce(store.get(model));
            if (mixture.isInitialised()) {
                emitSnapshot(model, mixture, now);
            }
        }
    }

    private void deadLetter(Record<byte[], byte[]> record, RejectReason reason, String detail, String topic,
                            int partition, long offset) {
        metrics.deadLetter(reason);
        int max = settings.dlqMaxValueBytes();
        context.forward(new Record<>(record.key(), DeadLetters.value(record.value(), max), record.timestamp(),
                        DeadLetters.headers(reason, detail, topic, partition, offset, record.value(), max)),
                MixstreamTopology.DLQ_SINK);
    }

    @Override
    public void close() {
        changedSinceSnapshot.clear();
        if (census != null) {
            metrics.forget(task, census);
        }
    }
}
