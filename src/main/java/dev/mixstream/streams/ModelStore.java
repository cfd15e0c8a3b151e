package dev.mixstream.streams;

import dev.mixstream.gmm.ModelStateCodec;
import dev.mixstream.gmm.ModelSummary;
import dev.mixstream.gmm.OnlineMixture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The models store: decoded {@link OnlineMixture}s in front of a persistent, changelogged key-value store of
 * their binary states ({@link ModelStateSerde}), with <b>deferred encoding</b>. {@link #put} only
 * marks a model as updated; its state is encoded and written to the underlying store when Kafka Streams
 * flushes the store's caches before every commit ({@link #flushCache()}), when the model is evicted from
 * the bounded set of decoded models, and on {@link #commit}. So a model updated by many records between two
 * commits is encoded once, not once per record, and what the changelog holds at a commit is every model's
 * state after the last record of that commit (the same state a per-record write would have left). The states of a
 * flush go to the underlying store {@link #WRITE_BATCH} at a time ({@code putAll}: one RocksDB write batch each when
 * that store is not cached, as {@link ModelStoreBuilder} builds it).
 *
 * <p>Kafka Streams flushes caches only of stores that implement its {@code CachedStateStore}
 * (an interface of {@code org.apache.kafka.streams.state.internals}), so this store implements it; the
 * dependency is pinned by the Kafka version in {@code pom.xml} and exercised by the crash and restart tests
 * on a real broker. A processor gets this store itself from {@code getStateStore} (it is not a
 * {@code KeyValueStore}, so Streams does not wrap it).
 *
 * <p><b>Warm-up blocks.</b> With a second store attached ({@link #useWarmupBlocks}), a warming model's state is
 * written as a head ({@link ModelStateCodec#encodeHead}) that holds only the points after its last full block of
 * {@link ModelStateCodec#BLOCK_POINTS}; each full block is written once to the blocks store under
 * {@code <block>:<model>} ({@link #blockKey}; the block number ends at the first ':', so keys of different models
 * never meet), again when a point in it is re-tagged, and deleted (a tombstone) when the model is initialised, replaced
 * or removed. So a warming model costs at most B − 1 points per commit, not its whole buffer. Head and blocks are
 * written together, before a commit, into the same transaction under exactly-once; a block missing at decoding (which
 * only at-least-once processing can leave) is left out of the model's buffer with a warning
 * ({@link ModelStateCodec#decode(byte[], java.util.function.IntFunction)}).
 *
 * <p><b>Anomaly references.</b> With a third store attached ({@link #useAnomalyReferences}), a running model's state is
 * written as a running head ({@link ModelStateCodec#encodeRunningHead}) without its anomaly reference's 91 quantiles
 * (728 bytes; 60 % of a K=2 D=2 state), which go to the references store under the model's key
 * ({@link ModelStateCodec#encodeReference}) only when they change: at a refresh, every ≥ 2 048 points, and at
 * initialisations and re-fits. The head holds the reference's stamp, so a reference record of another refresh is never
 * mistaken for its own; a record missing or of another refresh at decoding (which only at-least-once processing can
 * leave) is recomputed from the decoded parameters, with a warning, and written again at the next flush. The record is
 * deleted when the model goes back to its warm-up (a reset) or is removed.
 *
 * <p>Updates not yet written are lost when the task is closed without a commit (a crash, a fenced producer,
 * a processing failure that {@link #discard}s the model): exactly the updates whose outputs and input
 * offsets were not committed either, so a restart re-processes them.
 */
public final class ModelStore implements StateStore, CachedStateStore<String, byte[]> {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ModelStore.class);
    private final KeyValueStore<String, byte[]> stored;
    private final int capacity;
    /** The instance's memory budget for decoded models, or null (then only {@link #capacity} bounds them). */
    private final ModelCacheBudget budget;
    private final LinkedHashMap<String, Slot> decoded;
    /** Slots updated since their state was last written, in update order. */
    private final Set<Slot> unwritten = new LinkedHashSet<>();
    private long writes;
    /**
     * States written per {@code putAll} at a flush: enough to make a RocksDB write batch's fixed cost vanish, few enough
     * that a long commit interval over many models does not build one batch of hundreds of megabytes.
     */
    static final int WRITE_BATCH = 1024;
    /** The warm-up blocks store, or null: warming models are then written whole. */
    private KeyValueStore<String, byte[]> blocks;
    private long blockWrites;
    /** The anomaly references store, or null: running models are written whole. */
    private KeyValueStore<String, byte[]> references;
    private long referenceWrites;

    /** One decoded model; it is in {@link #unwritten} while its latest update is not yet in {@link #stored}. */
    private static final class Slot {
        final String model;
        final OnlineMixture mixture;
        /** What the model is counted for in the {@link #budget}: decoded bytes, from its last encoded size. */
        long bytes;
        /** Blocks 0 … written−1 of the warm-up buffer are in the blocks store as {@link #mixture} has them. */
        int written;
        /** Blocks 0 … present−1 have keys in the blocks store (present ≥ written): what a tombstone must cover. */
        int present;
        /** The references store has a record for the model: what a tombstone must cover. */
        boolean referenceKept;
        /** The {@link ModelStateCodec#referenceStamp} of that record. */
        long referenceStamp;

        Slot(String model, OnlineMixture mixture) {
            this.model = model;
            this.mixture = mixture;
        }
    }

    /**
     * @param stored   the underlying store of binary states (normally persistent, cached and changelogged)
     * @param capacity decoded models kept in memory; the least recently used beyond it is written (if
     *                 updated) and dropped
     */
    ModelStore(KeyValueStore<String, byte[]> stored, int capacity) {
        this(stored, capacity, null);
    }

    /**
     * @param budget the memory budget shared with the instance's other stores, or null: beyond it, the least
     *               recently used models are written (if updated) and dropped, the current one always kept
     */
    ModelStore(KeyValueStore<String, byte[]> stored, int capacity, ModelCacheBudget budget) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
        }
        this.stored = stored;
        this.capacity = capacity;
        this.budget = budget;
        this.decoded = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Slot> eldest) {
                if (size() <= ModelStore.this.capacity) {
                    return false;
                }
                if (unwritten.remove(eldest.getValue())) {
                    write(eldest.getValue());
                }
                release(eldest.getValue());
                return true;
            }
        };
    }

    /** The model's current state (decoded from the store the first time), or null if it has none. */
    public OnlineMixture get(String model) {
        Slot slot = decoded.get(model);
        if (slot != null) {
            return slot.mixture;
        }
        byte[] bytes = stored.get(model);
        if (bytes == null) {
            return null;
        }
        int blockCount = blocks == null ? 0 : blocksOf(bytes);
        boolean apart = references != null && ModelStateCodec.keepsReferenceApart(bytes);
        OnlineMixture mixture;
        int missing = 0;
        if (blockCount == 0 && !apart) {
            mixture = ModelStateSerde.INSTANCE.deserializer().deserialize(stored.name(), bytes);
        } else {
            byte[][] found = new byte[blockCount][];
            for (int b = 0; b < blockCount; b++) {
                found[b] = blocks.get(blockKey(b, model));
                missing += found[b] == null ? 1 : 0;
            }
            try {
                mixture = ModelStateCodec.decode(bytes, blockCount == 0 ? null : b -> found[b],
                        apart ? () -> references.get(model) : null);
            } catch (IllegalArgumentException e) {
                throw new org.apache.kafka.common.errors.SerializationException("model state of '" + model
                        + "' from " + stored.name() + " does not decode: " + e.getMessage(), e);
            }
            if (missing > 0) {
                LOG.warn("model '{}': {} of its {} warm-up blocks are missing from {} (possible after a crash under "
                                + "at-least-once processing); its warm-up continues with the {} points it has",
                        model, missing, blockCount, blocks.name(), mixture.buffered());
            }
        }
        Slot loaded = new Slot(model, mixture);
        loaded.present = blockCount;
        loaded.written = missing > 0 ? 0 : blockCount; // after a gap the later blocks' points moved up
        loaded.referenceKept = apart;
        loaded.referenceStamp = apart ? ModelStateCodec.stampOf(bytes) : 0;
        boolean recomputed = apart && ModelStateCodec.referenceStamp(mixture) != loaded.referenceStamp;
        if (recomputed) {
            LOG.warn("model '{}': its anomaly reference is missing from {} or of another refresh (possible after a "
                    + "crash under at-least-once processing); recomputed from its parameters", model, references.name());
        }
        if (budget != null) { // a head leaves its blocks or its reference out: the whole state's size
            count(loaded, blockCount == 0 && !apart ? bytes.length : ModelStateCodec.encodedSize(mixture));
        }
        decoded.put(model, loaded);
        if (missing > 0 || recomputed) {
            unwritten.add(loaded); // the next flush writes a head and the blocks or reference that agree again
        }
        evictOverBudget();
        return mixture;
    }

    /**
     * Records that {@code mixture} is the model's state now (it may be the same, since updated, instance
     * {@link #get} returned). The store keeps the reference and encodes it at the next flush: the caller
     * must not change it after the current record other than through further updates it {@code put}s.
     */
    public void put(String model, OnlineMixture mixture) {
        Slot slot = decoded.get(model);
        if (slot == null || slot.mixture != mixture) {
            Slot replaced = slot != null ? slot : storedParts(model);
            if (slot != null) {
                unwritten.remove(slot);
                release(slot);
            }
            slot = new Slot(model, mixture);
            slot.present = replaced.present; // the old model's blocks, rewritten or deleted at the next write
            slot.referenceKept = replaced.referenceKept; // and its reference record
            slot.referenceStamp = replaced.referenceStamp;
            if (budget != null) {
                count(slot, ModelStateCodec.encodedSize(mixture));
            }
            decoded.put(model, slot);
            unwritten.add(slot);
            evictOverBudget();
        } else {
            unwritten.add(slot);
        }
    }

    /**
     * Forgets the decoded model and its unwritten updates (for a model that may be half-updated after a
     * failure): the next {@link #get} returns the state last written.
     */
    public void discard(String model) {
        Slot slot = decoded.remove(model);
        if (slot != null) {
            unwritten.remove(slot);
            release(slot);
        }
    }

    /** Removes the model: forgets its decoded state and deletes it from the underlying store (a tombstone). */
    public void remove(String model) {
        Slot slot = decoded.get(model);
        Slot parts = slot != null ? slot : storedParts(model);
        deleteBlocks(model, 0, parts.present);
        if (parts.referenceKept) {
            deleteReference(model);
        }
        discard(model);
        stored.delete(model);
        writes++;
    }

    /**
     * Attaches the warm-up blocks store (logged like this one, not cached): from now on warming models are written as
     * a head and blocks (see the class comment). Without it, states are written whole, and a head cannot be read.
     */
    public void useWarmupBlocks(KeyValueStore<String, byte[]> blocks) {
        this.blocks = blocks;
    }

    /**
     * Attaches the anomaly references store (logged like this one, not cached): from now on running models are written
     * as a running head and a reference record written only when the reference changes (see the class comment).
     * Without it, states are written whole, and a running head cannot be read.
     */
    public void useAnomalyReferences(KeyValueStore<String, byte[]> references) {
        this.references = references;
    }

    /** Reference records written to (or deleted from) the references store since this store was created. */
    public long referenceWriteCount() {
        return referenceWrites;
    }

    private void deleteReference(String model) {
        references.delete(model);
        referenceWrites++;
    }

    /** The key of a model's warm-up block b in the blocks store: {@code <b>:<model>}. */
    static String blockKey(int b, String model) {
        return b + ":" + model;
    }

    /** Warm-up blocks written to (or deleted from) the blocks store since this store was created. */
    public long blockWriteCount() {
        return blockWrites;
    }

    /**
     * What the model's stored state refers to in the other stores, as a slot with no model: its warm-up blocks
     * ({@code present}) and whether it has a reference record (with its stamp).
     */
    private Slot storedParts(String model) {
        Slot parts = new Slot(model, null);
        byte[] bytes = blocks == null && references == null ? null : stored.get(model);
        if (bytes != null) {
            parts.present = blocks == null ? 0 : blocksOf(bytes);
            parts.referenceKept = references != null && ModelStateCodec.keepsReferenceApart(bytes);
            parts.referenceStamp = parts.referenceKept ? ModelStateCodec.stampOf(bytes) : 0;
        }
        return parts;
    }

    private int blocksOf(byte[] bytes) {
        try {
            return ModelStateCodec.blocksOf(bytes);
        } catch (IllegalArgumentException e) {
            return 0; // not a state this version reads: get() reports it
        }
    }

    private void deleteBlocks(String model, int from, int to) {
        for (int b = from; b < to; b++) {
            blocks.delete(blockKey(b, model));
            blockWrites++;
        }
    }

    /**
     * The summary of every model in the underlying store (states as last written; call it before any update,
     * at a task's start, to count the models the task holds). Reads every state's header, not its parameters.
     */
    public void forEachSummary(java.util.function.BiConsumer<String, ModelSummary> action) {
        try (KeyValueIterator<String, byte[]> all = stored.all()) {
            while (all.hasNext()) {
                var kv = all.next();
                if (kv.value != null) {
                    action.accept(kv.key, ModelStateCodec.summary(kv.value));
                }
            }
        }
    }

    /** Every model key in the underlying store (as last written). */
    public void forEachKey(Consumer<String> action) {
        java.util.List<String> keys = new java.util.ArrayList<>();
        try (KeyValueIterator<String, byte[]> all = stored.all()) {
            while (all.hasNext()) {
                var kv = all.next();
                if (kv.value != null) {
                    keys.add(kv.key);
                }
            }
        }
        keys.forEach(action);
    }

    /** Models held: the underlying store's entries (as last written). */
    public long count() {
        return stored.approximateNumEntries();
    }

    /** The state last written for the model, encoded, or null; unwritten updates are not included. */
    public byte[] storedBytes(String model) {
        return stored.get(model);
    }

    /**
     * The state last written for the model as one whole state ({@link ModelStateCodec#encode}: a head put together with
     * its warm-up blocks or its anomaly reference), or null; unwritten updates are not included. For inspection.
     */
    public byte[] wholeState(String model) {
        byte[] bytes = stored.get(model);
        if (bytes == null || (blocks == null || blocksOf(bytes) == 0)
                && (references == null || !ModelStateCodec.keepsReferenceApart(bytes))) {
            return bytes;
        }
        return ModelStateCodec.encode(ModelStateCodec.decode(bytes, b -> blocks.get(blockKey(b, model)),
                () -> references.get(model)));
    }

    /** Models updated and not yet written to the underlying store. */
    public int unwrittenCount() {
        return unwritten.size();
    }

    /** Model states written to the underlying store since this store was created. */
    public long writeCount() {
        return writes;
    }

    /** The underlying store of binary states, for inspection and tests. */
    KeyValueStore<String, byte[]> stored() {
        return stored;
    }

    /**
     * Encodes and writes every unwritten update to the underlying store, {@link #WRITE_BATCH} states per
     * {@code putAll}: on Kafka Streams' uncached RocksDB store ({@link ModelStoreBuilder}) each is one RocksDB write
     * batch instead of one write per model, which is what a commit costs when it touches thousands of models.
     */
    private void writeUnwritten() {
        if (unwritten.isEmpty()) {
            return;
        }
        java.util.List<KeyValue<String, byte[]>> batch = new java.util.ArrayList<>(Math.min(unwritten.size(),
                WRITE_BATCH));
        for (Slot slot : unwritten) {
            batch.add(KeyValue.pair(slot.model, encode(slot)));
            if (batch.size() == WRITE_BATCH) {
                putAll(batch);
            }
        }
        putAll(batch);
        unwritten.clear();
    }

    private void putAll(java.util.List<KeyValue<String, byte[]>> batch) {
        if (!batch.isEmpty()) {
            stored.putAll(batch);
            writes += batch.size();
            batch.clear();
        }
    }

    /** Encodes and writes one model's update (an eviction). */
    private void write(Slot slot) {
        stored.put(slot.model, encode(slot));
        writes++;
    }

    /**
     * The model's state to write under its key: its warm-up blocks or its anomaly reference are written to their
     * stores first if they changed, and its size in the {@link #budget} is updated.
     */
    private byte[] encode(Slot slot) {
        OnlineMixture m = slot.mixture;
        int full = 0;
        if (blocks != null) {
            full = ModelStateCodec.fullBlocks(m);
            int retagged = m.takeEarliestRetag() / ModelStateCodec.BLOCK_POINTS;
            for (int b = Math.min(slot.written, retagged); b < full; b++) { // re-tagged, then new blocks
                blocks.put(blockKey(b, slot.model), ModelStateCodec.encodeBlock(m, b));
                blockWrites++;
            }
            deleteBlocks(slot.model, full, slot.present); // initialised, or a smaller buffer replaced a bigger one
            slot.written = full;
            slot.present = full;
        }
        boolean apart = references != null && m.isInitialised();
        byte[] bytes;
        if (apart) {
            bytes = ModelStateCodec.encodeRunningHead(m);
            long stamp = ModelStateCodec.stampOf(bytes);
            if (!slot.referenceKept || stamp != slot.referenceStamp) { // refreshed since written
                references.put(slot.model, ModelStateCodec.encodeReference(m));
                referenceWrites++;
                slot.referenceKept = true;
                slot.referenceStamp = stamp;
            }
        } else {
            if (slot.referenceKept) { // back in its warm-up
                deleteReference(slot.model);
                slot.referenceKept = false;
            }
            bytes = blocks != null ? ModelStateCodec.encodeHead(m)
                    : ModelStateSerde.INSTANCE.serializer().serialize(stored.name(), m);
        }
        if (budget != null) { // the model's size now (a warming model grows; a head leaves its blocks or reference out)
            release(slot);
            count(slot, full == 0 && !apart ? bytes.length : ModelStateCodec.encodedSize(m));
        }
        return bytes;
    }

    /** Counts a slot in the budget at the decoded size of a state of {@code encodedBytes}. */
    private void count(Slot slot, long encodedBytes) {
        if (budget != null) {
            slot.bytes = ModelCacheBudget.decodedBytes(encodedBytes);
            budget.add(slot.bytes);
        }
    }

    /** Takes a slot out of the budget. */
    private void release(Slot slot) {
        if (budget != null) {
            budget.add(-slot.bytes);
            slot.bytes = 0;
        }
    }

    /**
     * While the instance's decoded models take more than the budget: writes (if updated) and drops this store's least
     * recently used model, keeping the one just used.
     */
    private void evictOverBudget() {
        if (budget == null) {
            return;
        }
        java.util.Iterator<Slot> eldest = decoded.values().iterator();
        while (budget.over() && decoded.size() > 1) {
            Slot slot = eldest.next();
            if (unwritten.remove(slot)) {
                write(slot);
            }
            eldest.remove();
            release(slot);
        }
    }

    /** Decoded models held by this store. */
    int decodedCount() {
        return decoded.size();
    }

    /** Before every commit: writes the unwritten updates, then flushes the underlying store's cache. */
    private void releaseAll() {
        for (Slot slot : decoded.values()) {
            release(slot);
        }
    }

    @Override
    public void flushCache() {
        writeUnwritten();
        if (stored instanceof CachedStateStore<?, ?> cached) {
            cached.flushCache();
        }
    }

    /** Drops the decoded models (they may be stale after a restoration); the caches were flushed before. */
    @Override
    public void clearCache() {
        releaseAll();
        decoded.clear();
        unwritten.clear();
        if (stored instanceof CachedStateStore<?, ?> cached) {
            cached.clearCache();
        }
    }

    @Override
    public boolean setFlushListener(CacheFlushListener<String, byte[]> listener, boolean sendOldValues) {
        return false;
    }

    @Override
    public String name() {
        return stored.name();
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        releaseAll();
        decoded.clear();
        unwritten.clear();
        stored.init(context, root);
    }

    @Override
    @SuppressWarnings("deprecation")
    public void flush() {
        writeUnwritten();
        stored.flush();
    }

    @Override
    public void commit(Map<TopicPartition, Long> changelogOffsets) {
        writeUnwritten();
        stored.commit(changelogOffsets);
    }

    @Override
    public Long committedOffset(TopicPartition partition) {
        return stored.committedOffset(partition);
    }

    @Override
    @SuppressWarnings("deprecation") // delegated as long as Kafka Streams asks: whatever the RocksDB store says
    public boolean managesOffsets() {
        return stored.managesOffsets();
    }

    @Override
    public void close() {
        releaseAll();
        decoded.clear();
        unwritten.clear();
        stored.close();
    }

    @Override
    public boolean persistent() {
        return stored.persistent();
    }

    @Override
    public boolean isOpen() {
        return stored.isOpen();
    }

    @Override
    public <R> QueryResult<R> query(Query<R> query, PositionBound positionBound, QueryConfig config) {
        return stored.query(query, positionBound, config);
    }

    @Override
    public Position getPosition() {
        return stored.getPosition();
    }
}
