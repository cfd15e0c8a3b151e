package dev.mixstream.streams;

import dev.mixstream.dashboard.RecentActivity;
import dev.mixstream.gmm.MixtureConfig;
import dev.mixstream.gmm.OnlineMixture;
import dev.mixstream.gmm.PointProblem;
import dev.mixstream.gmm.PointScore;
import dev.mixstream.snapshot.MixtureSnapshot;
import dev.mixstream.snapshot.SnapshotJson;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;

/**
 * The estimator: one online mixture per record key, kept in a persistent, changelogged key-value store
 * as the engine's binary state. Each valid point is scored and learned; its responsibilities record
 * (or, at the end of a warm-up, those of all buffered points) goes to the responsibilities sink;
 * snapshots go to the snapshots sink (and into the snapshots store, for the HTTP API) every N points of a
 * model and, for models that changed, within one wall-clock interval ({@link SnapshotSchedule}); unusable records
 * go to the dead-letter sink with their reason.
 *
 * <p>The models live in a {@link ModelStore}: decoded, in a bounded LRU per task, and encoded into the
 * changelogged store only when Kafka Streams flushes it before a commit (or on eviction), so a record pays
 * neither for decoding nor for encoding its model, and the changelog carries each model's state as of the
 * last record of every commit.
 */
final class MixtureProcessor implements Processor<byte[], byte[], byte[], byte[]> {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MixtureProcessor.class);
    static final String DEFAULT_MODEL = ModelPartitioner.DEFAULT_MODEL;

    private final MixstreamSettings settings;
    private final MixstreamMetrics metrics;
    /** The dashboard's recent points of each model. */
    private final RecentActivity activity;
    private final PointParser parser;
    private final ResponsibilityWriter writer;
    private ProcessorContext<byte[], byte[]> context;
    private ModelStore store;
    /** The latest snapshot of each model, exactly as sent to the snapshots topic (the HTTP API serves it). */
    private KeyValueStore<String, byte[]> snapshots;
    /** Stream time of each model's latest point or command (null when mixstream.model.ttl is off). */
    private KeyValueStore<String, Long> lastSeen;
    private MixstreamMetrics.ModelCensus census;
    private String task;
    /** When the models that changed are due for their wall-clock snapshot, or null (mixstream.snapshot.interval.ms=0). */
    private final SnapshotSchedule snapshotSchedule;
    /** The (K, type, W, D) combinations already warned about as below the safe warm-up. */
    private final Set<String> warnedShortWarmup = new java.util.HashSet<>();
    /**
     * The models in a warm-up with points not answered yet, and the earliest arrival (record timestamp) among those
     * points; {@link Long#MIN_VALUE} = not known yet (models held at the task's start), looked up at the next check.
     * Rebuilt from the store at each start; what is answered is in the points' tags, in the model's state.
     */
    private final java.util.Map<String, Long> waiting = new java.util.HashMap<>();
    /**
     * During a wall-clock snapshot punctuation, its snapshots not yet written to {@link #snapshots} (written together,
     * {@link ModelStore#WRITE_BATCH} at a time, at its end); null otherwise (each snapshot is written as it is taken).
     */
    private java.util.List<KeyValue<String, byte[]>> pendingSnapshots;
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
        this.writer = new ResponsibilityWriter(settings.output());
        this.snapshotSchedule = settings.snapshotIntervalMs() > 0 ? new SnapshotSchedule(settings.snapshotIntervalMs())
                : null;
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        this.store = context.getStateStore(MixstreamTopology.STORE);
        store.useWarmupBlocks(context.getStateStore(MixstreamTopology.WARMUP_BLOCKS_STORE));
        store.useAnomalyReferences(context.getStateStore(MixstreamTopology.ANOMALY_REFERENCES_STORE));
        this.snapshots = context.getStateStore(MixstreamTopology.SNAPSHOT_STORE);
        if (snapshotSchedule != null) {
            snapshotSchedule.start(context.currentSystemTimeMs());
        }
        task = context.taskId().toString();
        census = metrics.census(task);
        waiting.clear();
        store.forEachSummary((key, s) -> { // the models this task holds from the start
            census.added(!s.initialised());
            if (!s.initialised() && s.pointsSeen() > 0) {
                waiting.put(key, Long.MIN_VALUE);
            }
        });
        StreamDuration ttl = settings.modelTtl();
        lastSeen = ttl.enabled() ? context.getStateStore(MixstreamTopology.LAST_SEEN_STORE) : null;
        if (ttl.enabled()) {
            context.schedule(Duration.ofMillis(ttl.checkIntervalMillis()), PunctuationType.STREAM_TIME,
                    this::expireIdleModels);
        }
        StreamDuration wait = settings.warmupMaxWait();
        if (wait.enabled()) {
            context.schedule(Duration.ofMillis(wait.checkIntervalMillis()), PunctuationType.STREAM_TIME,
                    this::answerWaitingPoints);
        }
        if (snapshotSchedule != null) {
            context.schedule(Duration.ofMillis(snapshotSchedule.tickMs()), PunctuationType.WALL_CLOCK_TIME,
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
        OnlineMixture mixture = inForce(model, stored);
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
        long bornBefore = mixture.births();
        long splitBefore = mixture.splits();
        long mergedBefore = mixture.merges();
        long diedBefore = mixture.deaths();
        try {
            currentMeta = new PointMeta(point.id(), point.ts(), partition, offset, record.timestamp());
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
            warnIfWarmupShort(mixture);
        } else if (!wasInitialised && mixture.isInitialised()) {
            census.initialised();
        }
        if (mixture.refits() > refitsBefore) {
            metrics.refits(mixture.refits() - refitsBefore);
        }
        long born = mixture.births() - bornBefore;
        long split = mixture.splits() - splitBefore;
        long merged = mixture.merges() - mergedBefore;
        long died = mixture.deaths() - diedBefore;
        if (born + split + merged + died > 0) { // automatic K: what the point made the model change
            metrics.componentChanges(born, split, merged, died);
        }
        if (snapshotSchedule != null) {
            snapshotSchedule.changed(model);
        }
        if (lastSeen != null) {
            lastSeen.put(model, record.timestamp());
        }
        if (!mixture.isInitialised()) {
            if (mixture.buffered() == 1 || waiting.containsKey(model)) {
                waiting.merge(model, record.timestamp(), Math::min);
            } else {
                waiting.put(model, Long.MIN_VALUE); // older points not tracked here: the next check reads their tags
            }
        } else if (!wasInitialised) {
            waiting.remove(model); // its warm-up just ended (a running model is never in the map)
        }
        long every = settings.snapshotEveryPoints();
        if (mixture.isInitialised() && (!wasInitialised || every > 0 && mixture.pointsSeen() % every == 0)) {
            emitSnapshot(model, mixture, record.timestamp());
        }
    }

    private void emitScore(PointScore score) {
        if (score.tag() != currentTag && PointMeta.isAnswered(score.tag())) {
            return; // a warm-up point answered as warming up already: one answer per point
        }
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
        answerBeforeForgetting(model, before, record.timestamp());
        forgetChanges(model);
        if (lastSeen != null) {
            if (c.op() == ModelCommand.Op.DELETE) {
                lastSeen.delete(model);
            } else {
                lastSeen.put(model, record.timestamp());
            }
        }
        switch (c.op()) {
            case LOAD -> {
                MixtureConfig config = configFor(model, c);
                int[] ids = config.automaticComponents() ? c.snapshot().componentIds() : null; // fixed K: 0 … K−1
                OnlineMixture loaded = inForce(model, OnlineMixture.loaded(config, c.parameters(), ids,
                        c.snapshot().nEff(), c.snapshot().avgLogLikelihood()));
                store.put(model, loaded);
                if (before == null) {
                    census.added(false);
                } else if (!before.isInitialised()) {
                    census.initialised();
                }
                emitSnapshot(model, loaded, record.timestamp());
            }
            case RESET -> {
                store.put(model, inForce(model, null));
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

    /**
     * The key's settings (its rule's, or the global ones) with the loaded snapshot's K and covariance type (the
     * configured W if it fits K). A key with automatic K stays automatic when the snapshot's K is within its
     * max_components (the model goes on from the snapshot's K and component ids); otherwise it gets the snapshot's K.
     */
    private MixtureConfig configFor(String model, ModelCommand c) {
        MixtureConfig base = settings.mixtureFor(model);
        int k = c.parameters().components();
        MixtureConfig typed = base.withCovarianceType(c.parameters().covarianceType());
        if (base.automaticComponents() && k <= base.maxComponents()) {
            return typed;
        }
        int w = base.warmup() == 0 || base.warmup() >= k ? base.warmup() : 0;
        return typed.withWarmup(w).withComponents(k);
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
            answerBeforeForgetting(model, m, streamTime);
            if (m != null) {
                store.remove(model);
                census.removed(!m.isInitialised());
            }
            lastSeen.delete(model);
            activity.forget(model);
            forgetChanges(model);
            if (snapshots.get(model) != null) {
                forgetSnapshot(model, streamTime);
            }
            metrics.expired();
        }
    }

    /**
     * Warns once per task and setting when a new model's W is below the safe minimum for its D (the start-up check
     * knows only D = 1): its components may collapse onto a few points.
     */
    private void warnIfWarmupShort(OnlineMixture m) {
        MixtureConfig c = m.config();
        int safe = c.safeWarmup(m.dimension());
        if (m.warmup() < safe && warnedShortWarmup.add(c.components() + "/" + c.covarianceType() + "/" + m.warmup()
                + "/" + m.dimension())) {
            LOG.warn("model {}: warm-up W={} is below the safe minimum {} for K={} {} at D={}; its components may "
                            + "collapse onto a few points: set {} (or the key's rule's warmup) to at least {}, or auto",
                    currentModel, m.warmup(), safe, c.components(), c.covarianceType().wireName(), m.dimension(),
                    MixstreamConfig.WARMUP_CONFIG, safe);
        }
    }

    /**
     * Answers every warm-up point that arrived {@code mixstream.warmup.max.wait} or more before this stream time with a
     * warming-up record ({@link #answerWaiting}).
     */
    private void answerWaitingPoints(long streamTime) {
        long deadline = streamTime - settings.warmupMaxWait().millis();
        for (var entry : java.util.List.copyOf(waiting.entrySet())) {
            if (entry.getValue() > deadline) {
                continue;
            }
            String model = entry.getKey();
            OnlineMixture m = store.get(model);
            long oldest = m == null ? Long.MAX_VALUE : answerWaiting(model, m, deadline, streamTime);
            if (oldest == Long.MAX_VALUE) {
                waiting.remove(model);
            } else {
                waiting.put(model, oldest);
            }
        }
    }

    /**
     * Answers the model's unanswered warm-up points that arrived at or before {@code deadline} with a warming-up
     * record, and marks each answered in its tag (in the model's state, so the answer and the mark commit together;
     * the model is put back in the store if it changed). A point whose tag has no arrival time (written by an earlier
     * version) starts waiting at {@code now}.
     *
     * @return the earliest arrival among the points still unanswered, or {@link Long#MAX_VALUE}
     */
    private long answerWaiting(String model, OnlineMixture m, long deadline, long now) {
        long oldest = Long.MAX_VALUE;
        boolean changed = false;
        byte[] key = model.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < m.buffered(); i++) {
            byte[] tag = m.bufferedTag(i);
            if (PointMeta.isAnswered(tag)) {
                continue;
            }
            PointMeta meta = PointMeta.decode(tag);
            if (meta.arrival() == null) {
                meta = meta.arrivedAt(now);
                m.retag(i, meta.encode());
                changed = true;
            }
            if (meta.arrival() > deadline) {
                oldest = Math.min(oldest, meta.arrival());
                continue;
            }
            byte[] value = writer.writeWarmingUp(model, m.bufferedPoint(i), meta, null, m.pointsSeen(), m.warmup());
            context.forward(new Record<>(key, value, now), MixstreamTopology.RESPONSIBILITIES_SINK);
            m.retag(i, meta.asAnswered().encode());
            metrics.warmingUp();
            changed = true;
        }
        if (changed) {
            store.put(model, m);
        }
        return oldest;
    }

    /**
     * Before a model in its warm-up is replaced or removed (load, reset, delete, expiry), its points not answered yet
     * get their answer: warming up, since no model will ever score them.
     */
    private void answerBeforeForgetting(String model, OnlineMixture m, long now) {
        waiting.remove(model);
        if (m != null && !m.isInitialised() && m.buffered() > 0) {
            answerWaiting(model, m, Long.MAX_VALUE, now);
        }
    }

    /** The model's snapshot is no more: a tombstone on the snapshots topic, and none in the snapshots store. */
    private void forgetSnapshot(String model, long timestamp) {
        snapshots.delete(model);
        context.forward(new Record<>(model.getBytes(StandardCharsets.UTF_8), null, timestamp),
                MixstreamTopology.SNAPSHOTS_SINK);
    }

    /**
     * The stored model, or a new one with the key's settings ({@code mixstream.model.overrides}), under the anomaly
     * policy in force (which applies to every model).
     */
    private OnlineMixture inForce(String model, OnlineMixture stored) {
        OnlineMixture m = stored != null ? stored : new OnlineMixture(settings.mixtureFor(model));
        m.setAnomalyPolicy(settings.anomaly());
        return m;
    }

    private void emitSnapshot(String model, OnlineMixture mixture, long timestamp) {
        long now = context.currentSystemTimeMs();
        byte[] json = SnapshotJson.toBytes(MixtureSnapshot.of(mixture).withModel(model, now));
        context.forward(new Record<>(model.getBytes(StandardCharsets.UTF_8), json, timestamp),
                MixstreamTopology.SNAPSHOTS_SINK);
        if (pendingSnapshots != null) {
            pendingSnapshots.add(KeyValue.pair(model, json));
            if (pendingSnapshots.size() == ModelStore.WRITE_BATCH) {
                writePendingSnapshots();
            }
        } else {
            snapshots.put(model, json);
        }
        metrics.snapshot();
        forgetChanges(model);
    }

    /** The snapshots of a punctuation not yet in the snapshots store: one write batch ({@code putAll}) per tick. */
    private void writePendingSnapshots() {
        if (!pendingSnapshots.isEmpty()) {
            snapshots.putAll(pendingSnapshots);
            pendingSnapshots.clear();
        }
    }

    /** The model's changes are in a snapshot, or the model is gone: no wall-clock snapshot is due for it. */
    private void forgetChanges(String model) {
        if (snapshotSchedule != null) {
            snapshotSchedule.forget(model);
        }
    }

    /** Every tick: the snapshots of the models due (spread over the interval, {@link SnapshotSchedule}). */
    private void snapshotChangedModels(long now) {
        pendingSnapshots = new java.util.ArrayList<>();
        try {
            snapshotSchedule.takeDue(now, model -> {
                OnlineMixture mixture = inForce(model, store.get(model));
                if (mixture.isInitialised()) { // a warming model is snapshotted when it initialises
                    emitSnapshot(model, mixture, now);
                }
            });
            writePendingSnapshots();
        } finally {
            pendingSnapshots = null;
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
        if (snapshotSchedule != null) {
            snapshotSchedule.clear();
        }
        if (census != null) {
            metrics.forget(task, census);
        }
    }
}
