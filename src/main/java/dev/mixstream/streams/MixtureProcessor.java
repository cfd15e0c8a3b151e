package dev.mixstream.streams;

import dev.mixstream.gmm.OnlineMixture;
import dev.mixstream.gmm.PointScore;
import dev.mixstream.snapshot.MixtureSnapshot;
import dev.mixstream.snapshot.SnapshotJson;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The estimator: one online mixture per record key, kept in a persistent, changelogged key-value store
 * as the engine's binary state. Each valid point is scored and learned; its responsibilities record
 * (or, at the end of a warm-up, those of all buffered points) goes to the responsibilities sink;
 * snapshots go to the snapshots sink every N points of a model and on a wall-clock punctuation for models
 * that changed; unusable records go to the dead-letter sink with their reason.
 *
 * <p>Decoded models are kept in a bounded LRU cache so a record does not pay for decoding; the store is
 * written on every update, so the changelog (and an exactly-once restart) always has the committed
 * state. The cache is per task and cleared in {@link #init} and {@link #close}.
 */
final class MixtureProcessor implements Processor<byte[], byte[], byte[], byte[]> {
    static final String DEFAULT_MODEL = "default";

    private final MixstreamSettings settings;
    private final PointParser parser;
    private final ResponsibilityWriter writer = new ResponsibilityWriter();
    private ProcessorContext<byte[], byte[]> context;
    private KeyValueStore<String, byte[]> store;
    private Map<String, OnlineMixture> cache;
    private final Set<String> changedSinceSnapshot = new LinkedHashSet<>();

    // per-record state used by the score sink
    private String currentModel;
    private byte[] currentKey;
    private long currentTimestamp;

    MixtureProcessor(MixstreamSettings settings) {
        this.settings = settings;
        this.parser = new PointParser(settings.maxValueBytes(), settings.maxDimension());
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        this.store = context.getStateStore(MixstreamTopology.STORE);
        int capacity = settings.modelCacheSize();
        this.cache = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, OnlineMixture> eldest) {
                return size() > capacity;
            }
        };
        changedSinceSnapshot.clear();
        if (settings.snapshotIntervalMs() > 0) {
            context.schedule(Duration.ofMillis(settings.snapshotIntervalMs()), PunctuationType.WALL_CLOCK_TIME,
                    this::snapshotChangedModels);
        }
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        RecordMetadata meta = context.recordMetadata().orElse(null);
        String topic = meta == null ? null : meta.topic();
        int partition = meta == null ? -1 : meta.partition();
        long offset = meta == null ? -1 : meta.offset();
        byte[] key = record.key();
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
        OnlineMixture mixture = load(model);
        String reject = mixture.rejectReason(point.x());
        if (reject != null) {
            RejectReason reason = reject.equals("wrong_dimension") ? RejectReason.WRONG_DIMENSION
                    : RejectReason.valueOf(reject.toUpperCase(java.util.Locale.ROOT));
            String detail = reason == RejectReason.WRONG_DIMENSION
                    ? "expected dimension " + mixture.dimension() + ", got " + point.x().length : reject;
            deadLetter(record, reason, detail, topic, partition, offset);
            return;
        }
        currentModel = model;
        currentKey = model.getBytes(StandardCharsets.UTF_8);
        currentTimestamp = record.timestamp();
        boolean wasInitialised = mixture.isInitialised();
        try {
            mixture.learn(point.x(), new PointMeta(point.id(), point.ts(), partition, offset).encode(), this::emitScore);
            store.put(model, mixture.toBytes());
        } catch (RuntimeException e) {
            // the cached model may be half-updated: forget it so the next record reloads the stored state;
            // the exception handler sends this record to the dead-letter topic
            cache.remove(model);
            throw e;
        }
        changedSinceSnapshot.add(model);
        long every = settings.snapshotEveryPoints();
        if (mixture.isInitialised() && (!wasInitialised || every > 0 && mixture.pointsSeen() % every == 0)) {
            emitSnapshot(model, mixture, record.timestamp());
        }
    }

    private void emitScore(PointScore score) {
        context.forward(new Record<>(currentKey, writer.write(currentModel, score), currentTimestamp),
                MixstreamTopology.RESPONSIBILITIES_SINK);
    }

    private OnlineMixture load(String model) {
        OnlineMixture m = cache.get(model);
        if (m == null) {
            byte[] bytes = store.get(model);
            m = bytes == null ? new OnlineMixture(settings.mixture()) : OnlineMixture.fromBytes(bytes);
            cache.put(model, m);
        }
        return m;
    }

    private void emitSnapshot(String model, OnlineMixture mixture, long timestamp) {
        long now = context.currentSystemTimeMs();
        byte[] json = SnapshotJson.toBytes(MixtureSnapshot.of(mixture).withModel(model, now));
        context.forward(new Record<>(model.getBytes(StandardCharsets.UTF_8), json, timestamp),
                MixstreamTopology.SNAPSHOTS_SINK);
        changedSinceSnapshot.remove(model);
    }

    private void snapshotChangedModels(long now) {
        for (String model : Set.copyOf(changedSinceSnapshot)) {
            OnlineMixture mixture = load(model);
            if (mixture.isInitialised()) {
                emitSnapshot(model, mixture, now);
            }
        }
    }

    private void deadLetter(Record<byte[], byte[]> record, RejectReason reason, String detail, String topic,
                            int partition, long offset) {
        int max = settings.dlqMaxValueBytes();
        context.forward(new Record<>(record.key(), DeadLetters.value(record.value(), max), record.timestamp(),
                        DeadLetters.headers(reason, detail, topic, partition, offset, record.value(), max)),
                MixstreamTopology.DLQ_SINK);
    }

    @Override
    public void close() {
        if (cache != null) {
            cache.clear();
        }
        changedSinceSnapshot.clear();
    }
}
