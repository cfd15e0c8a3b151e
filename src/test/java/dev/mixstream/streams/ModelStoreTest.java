package dev.mixstream.streams;

import dev.mixstream.gmm.ModelStateCodec;
import dev.mixstream.gmm.MixtureConfig;
import dev.mixstream.gmm.OnlineMixture;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The deferred-encoding models store, over an in-memory store of binary states. */
class ModelStoreTest {
    private static final MixtureConfig CONFIG = MixtureConfig.defaults(2).withWarmup(20);
    private ModelStore store;

    @BeforeEach
    void open() {
        store = open(3);
    }

    private static ModelStore open(int capacity) {
        KeyValueStore<String, byte[]> stored = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("models"),
                Serdes.String(), Serdes.ByteArray()).withLoggingDisabled().build();
        ModelStore s = new ModelStore(stored, capacity);
        MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
        s.init(context.getStateStoreContext(), s);
        return s;
    }

    private static ModelStore open(ModelCacheBudget budget) {
        KeyValueStore<String, byte[]> stored = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("models"),
                Serdes.String(), Serdes.ByteArray()).withLoggingDisabled().build();
        ModelStore s = new ModelStore(stored, Integer.MAX_VALUE, budget);
        MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
        s.init(context.getStateStoreContext(), s);
        return s;
    }

    /**
     * mixstream.model.cache.size=auto: the decoded models of all the instance's stores are counted against one
     * budget (three times their encoded size each); beyond it each store writes and drops its least recently used ones,
     * keeping the one in use; what was dropped reads back exactly; every byte is released again.
     */
    @Test
    void aSharedMemoryBudgetBoundsTheDecodedModelsOfAllStores() {
        long perModel = ModelCacheBudget.decodedBytes(ModelStateCodec.encodedSize(learned(30, 1)));
        ModelCacheBudget budget = new ModelCacheBudget(10 * perModel);
        ModelStore one = open(budget);
        ModelStore two = open(budget);
        java.util.Map<String, byte[]> expected = new java.util.HashMap<>();
        for (int i = 0; i < 40; i++) {
            OnlineMixture m = learned(30, 100 + i);
            (i % 2 == 0 ? one : two).put("m" + i, m);
            expected.put("m" + i, ModelStateCodec.encode(m));
            assertTrue(budget.used() <= budget.limit() + perModel, "within the budget but for the model in use: "
                    + budget.used() + " of " + budget.limit());
        }
        assertTrue(one.decodedCount() + two.decodedCount() <= 11, one.decodedCount() + " + " + two.decodedCount());
        assertTrue(one.writeCount() + two.writeCount() >= 29, "the dropped ones were written");
        one.flushCache();
        two.flushCache();
        for (int i = 0; i < 40; i++) {
            assertArrayEquals(expected.get("m" + i), ModelStateCodec.encode((i % 2 == 0 ? one : two).get("m" + i)),
                    "m" + i + " reads back as it was");
        }
        assertTrue(budget.used() <= budget.limit() + perModel);
        one.discard("m38");
        one.close();
        two.close();
        assertEquals(0, budget.used(), "every byte released");
    }

    @Test
    void theCacheSizeSettingIsAutoOrACount() {
        assertEquals(0, ModelCacheBudget.parseSize("auto"));
        assertEquals(0, ModelCacheBudget.parseSize(" AUTO "));
        assertEquals(500, ModelCacheBudget.parseSize("500"));
        assertThrows(IllegalArgumentException.class, () -> ModelCacheBudget.parseSize("0"));
        assertThrows(IllegalArgumentException.class, () -> ModelCacheBudget.parseSize("lots"));
        assertTrue(ModelCacheBudget.ofHeap().limit() > 0.29 * Runtime.getRuntime().maxMemory());
    }

    private static OnlineMixture learned(int points, long seed) {
        OnlineMixture m = new OnlineMixture(CONFIG);
        java.util.Random r = new java.util.Random(seed);
        for (int i = 0; i < points; i++) {
            m.learn(new double[]{r.nextGaussian() + (i % 2) * 6, r.nextGaussian()}, s -> { });
        }
        return m;
    }

    private static void learnMore(OnlineMixture m, int points) {
        for (int i = 0; i < points; i++) {
            m.learn(new double[]{0.5 + (i % 2) * 6, -0.25}, s -> { });
        }
    }

    @Test
    void updatesAreEncodedOnceAtTheFlushNotOncePerPut() {
        OnlineMixture a = learned(30, 1);
        store.put("a", a);
        for (int i = 0; i < 50; i++) {
            learnMore(a, 1);
            store.put("a", a);
        }
        assertNull(store.storedBytes("a"), "nothing written before the flush");
        assertEquals(1, store.unwrittenCount());
        assertSame(a, store.get("a"), "the live model is served before the flush");

        store.flushCache();
        assertEquals(1, store.writeCount(), "51 updates, one encoding");
        assertEquals(0, store.unwrittenCount());
        assertArrayEquals(ModelStateCodec.encode(a), store.storedBytes("a"), "the state after the last update");

        store.flushCache();
        assertEquals(1, store.writeCount(), "a flush with nothing updated writes nothing");
    }

    @Test
    void commitWritesUnwrittenUpdatesToo() {
        OnlineMixture a = learned(30, 2);
        store.put("a", a);
        store.commit(Map.of());
        assertArrayEquals(ModelStateCodec.encode(a), store.storedBytes("a"));
    }

    @Test
    void evictingAnUpdatedModelWritesIt() {
        OnlineMixture a = learned(30, 3);
        store.put("a", a);
        store.put("b", learned(30, 4));
        store.put("c", learned(30, 5));
        assertNull(store.storedBytes("a"));
        store.put("d", learned(30, 6)); // capacity 3: "a" is the least recently used
        assertArrayEquals(ModelStateCodec.encode(a), store.storedBytes("a"), "evicted, so written");
        assertEquals(1, store.writeCount());
        assertEquals(3, store.unwrittenCount());

        OnlineMixture reloaded = store.get("a");
        assertNotSame(a, reloaded, "decoded again from the store");
        assertArrayEquals(ModelStateCodec.encode(a), ModelStateCodec.encode(reloaded));
        store.flushCache();
        assertEquals(4, store.writeCount(), "b, c, d at the flush; a was written once, at its eviction");
    }

    @Test
    void readingKeepsAModelRecentlyUsed() {
        store.put("a", learned(30, 7));
        store.put("b", learned(30, 8));
        store.put("c", learned(30, 9));
        store.flushCache();
        OnlineMixture a = store.get("a"); // "b" becomes the least recently used
        store.put("d", learned(30, 10));
        assertSame(a, store.get("a"));
    }

    @Test
    void discardForgetsUnwrittenUpdatesAndServesTheLastWrittenState() {
        OnlineMixture a = learned(30, 11);
        store.put("a", a);
        store.flushCache();
        byte[] written = ModelStateCodec.encode(a);
        learnMore(a, 10);
        store.put("a", a);
        store.discard("a");
        assertEquals(0, store.unwrittenCount());
        OnlineMixture back = store.get("a");
        assertNotSame(a, back);
        assertArrayEquals(written, ModelStateCodec.encode(back));
        assertEquals(30, back.pointsSeen());

        store.put("new", learned(5, 12));
        store.discard("new");
        assertNull(store.get("new"), "never written, so gone");
    }

    @Test
    void aDifferentInstanceReplacesTheOldOne() {
        OnlineMixture first = learned(30, 13);
        store.put("a", first);
        OnlineMixture second = learned(40, 14);
        store.put("a", second);
        assertEquals(1, store.unwrittenCount());
        assertSame(second, store.get("a"));
        store.flushCache();
        assertArrayEquals(ModelStateCodec.encode(second), store.storedBytes("a"));
    }

    @Test
    void clearCacheAndCloseDropUnwrittenUpdates() {
        store.put("a", learned(30, 15));
        store.clearCache();
        assertEquals(0, store.unwrittenCount());
        assertNull(store.get("a"));
        store.flushCache();
        assertEquals(0, store.writeCount());

        store.put("b", learned(30, 16));
        store.close();
        assertEquals(0, store.unwrittenCount());
    }

    @Test
    void undecodableStoredStateIsAnErrorForThatModelOnly() {
        store.stored().put("broken", new byte[]{1, 2, 3});
        assertThrows(RuntimeException.class, () -> store.get("broken"));
        store.put("ok", learned(30, 17));
        store.flushCache();
        assertEquals(30, ModelStateCodec.decode(store.storedBytes("ok")).pointsSeen());
    }

    /** A models store (capacity 3) with a warm-up blocks store attached, both in memory. */
    private static ModelStore openWithBlocks(KeyValueStore<String, byte[]> blocks) {
        ModelStore s = open(3);
        blocks.init(new MockProcessorContext<>().getStateStoreContext(), blocks);
        s.useWarmupBlocks(blocks);
        return s;
    }

    private static KeyValueStore<String, byte[]> blocksStore() {
        return Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("blocks"), Serdes.String(), Serdes.ByteArray())
                .withLoggingDisabled().build();
    }

    private static final int B = ModelStateCodec.BLOCK_POINTS;
    private static final MixtureConfig LONG_WARMUP = MixtureConfig.defaults(2).withWarmup(7 * B + 10);

    /** Block keys in the blocks store. */
    private static java.util.List<String> blockKeys(KeyValueStore<String, byte[]> blocks) {
        java.util.List<String> keys = new java.util.ArrayList<>();
        try (var all = blocks.all()) {
            all.forEachRemaining(kv -> keys.add(kv.key));
        }
        java.util.Collections.sort(keys);
        return keys;
    }

    private static void learnTagged(OnlineMixture m, int points) {
        for (int i = 0; i < points; i++) {
            long n = m.pointsSeen();
            m.learn(new double[]{Math.sin(n) + (n % 2) * 6, Math.cos(3 * n)},
                    ("point " + n).getBytes(java.nio.charset.StandardCharsets.UTF_8), s -> { });
        }
    }

    /** A warming model "a" of n tagged points, put into the store and flushed. */
    private static OnlineMixture writtenWarming(ModelStore s, int n) {
        OnlineMixture m = new OnlineMixture(LONG_WARMUP);
        learnTagged(m, n);
        s.put("a", m);
        s.flushCache();
        return m;
    }

    /** The bytes of a warming state holding n points of {@link #learnTagged} (the header plus n points and tags). */
    private static int wholeSize(int n) {
        OnlineMixture m = new OnlineMixture(LONG_WARMUP);
        learnTagged(m, n);
        return ModelStateCodec.encodedSize(m);
    }

    /**
     * The warm-up buffer is not rewritten whole at each commit: with a blocks store, a warming model's state holds the
     * points after its last full block only, each full block is written once, the model reads back exactly from head
     * and blocks, and its blocks are deleted when it is initialised.
     */
    @Test
    void aWarmingModelWritesEachFullBlockOnceAndAHeadOfLessThanOneBlock() {
        KeyValueStore<String, byte[]> blocks = blocksStore();
        ModelStore s = openWithBlocks(blocks);
        OnlineMixture m = new OnlineMixture(LONG_WARMUP);
        int flushes = 0;
        while (m.pointsSeen() + 5 < LONG_WARMUP.warmup()) {
            learnTagged(m, 5);
            s.put("a", m);
            s.flushCache();
            flushes++;
            int full = (int) m.pointsSeen() / B;
            assertEquals(full, s.blockWriteCount(), "each full block written once, after " + m.pointsSeen() + " points");
            assertEquals(full, blockKeys(blocks).size());
            byte[] head = s.storedBytes("a");
            assertEquals(full, ModelStateCodec.blocksOf(head));
            // B − 1 points, tags up to 2 characters longer than the first ones', and B and b
            assertTrue(head.length <= wholeSize(B - 1) + 2 * (B - 1) + 8, "fewer than B points: " + head.length);
            assertEquals(m.pointsSeen(), ModelStateCodec.summary(head).pointsSeen(), "the summary reads a head");
        }
        assertTrue(flushes > 40 && s.blockWriteCount() == 7, flushes + " commits, " + s.blockWriteCount() + " blocks");
        int whole = ModelStateCodec.encodedSize(m);
        assertTrue(whole > 7 * s.storedBytes("a").length, "the whole state would be " + whole + " bytes");

        s.clearCache(); // as after a restoration: decoded again, from the head and its blocks
        OnlineMixture back = s.get("a");
        assertNotSame(m, back);
        assertArrayEquals(ModelStateCodec.encode(m), ModelStateCodec.encode(back), "head + blocks = the whole state");
        learnTagged(back, 1);
        s.put("a", back);
        s.flushCache();
        assertEquals(7, s.blockWriteCount(), "a decoded model knows its blocks are written");

        learnTagged(back, LONG_WARMUP.warmup() - (int) back.pointsSeen()); // initialised
        assertTrue(back.isInitialised());
        s.put("a", back);
        s.flushCache();
        assertEquals(java.util.List.of(), blockKeys(blocks), "an initialised model's blocks are deleted");
        assertEquals(0, ModelStateCodec.blocksOf(s.storedBytes("a")));
        assertArrayEquals(ModelStateCodec.encode(back), s.storedBytes("a"), "a running model is written whole");
    }

    /** A point re-tagged in a block already written (answered after mixstream.warmup.max.wait) rewrites that block. */
    @Test
    void aRetaggedPointRewritesItsBlockOnly() {
        KeyValueStore<String, byte[]> blocks = blocksStore();
        ModelStore s = openWithBlocks(blocks);
        OnlineMixture m = writtenWarming(s, 3 * B + 4);
        assertEquals(3, s.blockWriteCount());
        byte[] block2 = blocks.get(ModelStore.blockKey(2, "a"));
        m.retag(B + 5, new byte[]{42});
        s.put("a", m);
        s.flushCache();
        assertEquals(3 + 2, s.blockWriteCount(), "blocks 1 and 2 rewritten (from the re-tagged one on)");
        assertArrayEquals(block2, blocks.get(ModelStore.blockKey(2, "a")), "block 2 as it was");
        s.clearCache();
        OnlineMixture back = s.get("a");
        assertArrayEquals(new byte[]{42}, back.bufferedTag(B + 5));
        assertArrayEquals(ModelStateCodec.encode(m), ModelStateCodec.encode(back));
    }

    /** Removing or replacing a warming model deletes the blocks its new state does not use. */
    @Test
    void removingOrReplacingAWarmingModelDeletesItsBlocks() {
        KeyValueStore<String, byte[]> blocks = blocksStore();
        ModelStore s = openWithBlocks(blocks);
        OnlineMixture a = new OnlineMixture(LONG_WARMUP);
        learnTagged(a, 4 * B);
        s.put("a", a);
        OnlineMixture b = new OnlineMixture(LONG_WARMUP);
        learnTagged(b, 3 * B);
        s.put("a:b", b); // its block keys ("0:a:b") cannot meet a's ("0:a")
        s.flushCache();
        assertEquals(7, blockKeys(blocks).size());

        OnlineMixture smaller = new OnlineMixture(LONG_WARMUP); // e.g. a reset, then a few points
        learnTagged(smaller, B + 1);
        s.clearCache(); // replaced while not decoded: the stored head says which blocks are there
        s.put("a", smaller);
        s.flushCache();
        assertEquals(java.util.List.of("0:a", "0:a:b", "1:a:b", "2:a:b"), blockKeys(blocks));
        s.clearCache();
        assertArrayEquals(ModelStateCodec.encode(smaller), ModelStateCodec.encode(s.get("a")));

        s.remove("a:b");
        s.remove("a");
        assertEquals(java.util.List.of(), blockKeys(blocks));
        assertNull(s.get("a"));
    }

    /**
     * A block missing at decoding (possible only when head and blocks could be written apart, at-least-once) is left
     * out of the buffer; the next flush writes head and blocks that agree again.
     */
    @Test
    void aMissingBlockIsLeftOutAndTheNextFlushRepairsTheBlocks() {
        KeyValueStore<String, byte[]> blocks = blocksStore();
        ModelStore s = openWithBlocks(blocks);
        OnlineMixture m = writtenWarming(s, 3 * B + 7);
        blocks.delete(ModelStore.blockKey(1, "a"));
        s.clearCache();
        OnlineMixture back = s.get("a");
        assertEquals(2 * B + 7, back.buffered(), "block 1's points left out");
        assertArrayEquals(m.bufferedTag(2 * B), back.bufferedTag(B), "block 2's points moved up");
        assertEquals(1, s.unwrittenCount(), "to be written again");
        s.flushCache();
        assertEquals(java.util.List.of("0:a", "1:a"), blockKeys(blocks));
        s.clearCache();
        assertArrayEquals(ModelStateCodec.encode(back), ModelStateCodec.encode(s.get("a")));
    }

    /** A store with a warm-up blocks store and an anomaly references store attached, as the processor opens it. */
    private static ModelStore openWithReferences(KeyValueStore<String, byte[]> references) {
        ModelStore s = openWithBlocks(blocksStore());
        references.init(new MockProcessorContext<>().getStateStoreContext(), references);
        s.useAnomalyReferences(references);
        return s;
    }

    private static KeyValueStore<String, byte[]> referencesStore() {
        return Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("references"), Serdes.String(),
                Serdes.ByteArray()).withLoggingDisabled().build();
    }

    private final java.util.SplittableRandom noise = new java.util.SplittableRandom(17);

    /** Points of two noisy clusters: the parameters move, so each refresh gives other quantiles. */
    private void learnNoisy(OnlineMixture m, int points) {
        for (int i = 0; i < points; i++) {
            m.learn(new double[]{noise.nextGaussian() + (i % 2) * 6, noise.nextGaussian()}, s -> { });
        }
    }

    /** A short warm-up and a short half-life: the reference is refreshed every 2 048 points (the shortest interval). */
    private static final MixtureConfig REFRESHING = MixtureConfig.defaults(2).withWarmup(20).withHalfLife(500);

    /**
     * The anomaly reference is not rewritten at each commit: with a references store, a running model's state is a
     * running head without the reference's 728 bytes of quantiles, which are written to the references store when they
     * change (a refresh) and only then; the model reads back exactly from head and reference, also after a restart;
     * the record is deleted when the model goes back to its warm-up and when it is removed.
     */
    @Test
    void aRunningModelWritesItsReferenceOnlyWhenRefreshedAndAHeadWithoutIt() {
        KeyValueStore<String, byte[]> references = referencesStore();
        ModelStore s = openWithReferences(references);
        OnlineMixture m = new OnlineMixture(REFRESHING);
        learnNoisy(m, 20);
        assertTrue(m.isInitialised());
        assertEquals(2048, m.referenceInterval());
        java.util.Set<Long> stamps = new java.util.HashSet<>();
        int flushes = 0;
        while (m.pointsSeen() < 3 * 2048 + 500) {
            learnNoisy(m, 25);
            s.put("a", m);
            s.flushCache();
            flushes++;
            stamps.add(ModelStateCodec.referenceStamp(m));
            assertEquals(stamps.size(), s.referenceWriteCount(), "one reference record per refresh, after "
                    + m.pointsSeen() + " points");
            byte[] head = s.storedBytes("a");
            assertTrue(ModelStateCodec.keepsReferenceApart(head));
            assertEquals(ModelStateCodec.encode(m).length - 728 + 8, head.length, "the quantiles left out");
            assertArrayEquals(ModelStateCodec.encodeReference(m), references.get("a"));
            assertEquals(m.pointsSeen(), ModelStateCodec.summary(head).pointsSeen(), "the summary reads a running head");
            assertEquals(m.anomalyRate(), ModelStateCodec.summary(head).anomalyRate());
        }
        assertTrue(flushes > 200 && stamps.size() >= 3 && stamps.size() <= 6,
                flushes + " commits, " + stamps.size() + " references");

        s.clearCache(); // as after a restoration: decoded again, from the head and its reference
        OnlineMixture back = s.get("a");
        assertNotSame(m, back);
        assertArrayEquals(ModelStateCodec.encode(m), ModelStateCodec.encode(back), "head + reference = the whole state");
        assertEquals(0, s.unwrittenCount());
        long written = s.referenceWriteCount();
        learnNoisy(back, 5);
        s.put("a", back);
        s.flushCache();
        assertEquals(written, s.referenceWriteCount(), "a decoded model knows its reference is written");

        OnlineMixture reset = new OnlineMixture(REFRESHING); // a reset: back in the warm-up
        learnNoisy(reset, 3);
        s.clearCache(); // replaced while not decoded: the stored head says a reference is there
        s.put("a", reset);
        s.flushCache();
        assertNull(references.get("a"), "a warming model has no reference record");
        assertEquals(written + 1, s.referenceWriteCount());
        learnNoisy(reset, 20);
        s.put("a", reset);
        s.flushCache();
        assertArrayEquals(ModelStateCodec.encodeReference(reset), references.get("a"), "initialised: written again");
        s.remove("a");
        assertNull(references.get("a"), "a removed model's reference is deleted");
        assertNull(s.get("a"));
    }

    /**
     * Upgrading: a running model stored whole (version 5, as a release without the references store wrote it) is read
     * as it is, and written from its next flush on as a running head and a reference record; reading those back gives
     * the same model.
     */
    @Test
    void aModelStoredWholeByAnEarlierReleaseIsWrittenAsAHeadAndAReferenceFromItsNextFlush() {
        KeyValueStore<String, byte[]> references = referencesStore();
        ModelStore s = openWithReferences(references);
        OnlineMixture m = new OnlineMixture(REFRESHING);
        learnNoisy(m, 300);
        byte[] whole = ModelStateCodec.encode(m);
        s.stored().put("a", whole);
        OnlineMixture read = s.get("a");
        assertArrayEquals(whole, ModelStateCodec.encode(read));
        assertArrayEquals(whole, s.wholeState("a"), "a whole state is its own whole state");
        learnNoisy(read, 1);
        s.put("a", read);
        s.flushCache();
        assertTrue(ModelStateCodec.keepsReferenceApart(s.storedBytes("a")));
        assertArrayEquals(ModelStateCodec.encodeReference(read), references.get("a"));
        assertEquals(1, s.referenceWriteCount());
        assertArrayEquals(ModelStateCodec.encode(read), s.wholeState("a"), "head + reference = the whole state");
        s.clearCache();
        assertArrayEquals(ModelStateCodec.encode(read), ModelStateCodec.encode(s.get("a")));
    }

    /**
     * A reference record missing, or of another refresh than the head's stamp, at decoding (possible only when head and
     * record could be written apart, at-least-once) is recomputed from the decoded parameters; the next flush writes a
     * head and a record that agree again.
     */
    @Test
    void aMissingOrStaleReferenceIsRecomputedAndWrittenAgain() {
        KeyValueStore<String, byte[]> references = referencesStore();
        ModelStore s = openWithReferences(references);
        OnlineMixture m = new OnlineMixture(REFRESHING);
        learnNoisy(m, 20);
        s.put("a", m);
        s.flushCache();
        byte[] first = references.get("a");
        learnNoisy(m, 2048 + 100); // refreshed once since
        s.put("a", m);
        s.flushCache();
        assertFalse(java.util.Arrays.equals(first, references.get("a")));
        OnlineMixture expected = ModelStateCodec.decode(ModelStateCodec.encode(m));
        expected.reference().refresh(expected.parameters());

        for (byte[] record : new byte[][]{null, first}) {
            if (record == null) {
                references.delete("a");
            } else {
                references.put("a", record);
            }
            s.clearCache();
            OnlineMixture back = s.get("a");
            assertArrayEquals(expected.reference().quantiles(), back.reference().quantiles(), "recomputed");
            assertFalse(java.util.Arrays.equals(m.reference().quantiles(), back.reference().quantiles()));
            assertEquals(1, s.unwrittenCount(), "to be written again");
            s.flushCache();
            assertArrayEquals(ModelStateCodec.encodeReference(back), references.get("a"));
            assertEquals(ModelStateCodec.referenceStamp(back), ModelStateCodec.stampOf(s.storedBytes("a")));
            s.clearCache();
            assertArrayEquals(ModelStateCodec.encode(back), ModelStateCodec.encode(s.get("a")), "head and record agree");
            s.put("a", m); // the original again, for the next case
            s.flushCache();
        }
    }

    /**
     * A flush writes the commit's states through {@code putAll}, at most {@link ModelStore#WRITE_BATCH} at a time (one
     * RocksDB write batch each on the uncached store the topology builds), never one {@code put} per model; an eviction
     * is a single put; every state reads back exactly.
     */
    @Test
    void aFlushWritesItsStatesInBatches() {
        KeyValueStore<String, byte[]> memory = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("models"),
                Serdes.String(), Serdes.ByteArray()).withLoggingDisabled().build();
        java.util.List<Integer> putAlls = new java.util.ArrayList<>();
        int[] puts = {0};
        @SuppressWarnings("unchecked")
        KeyValueStore<String, byte[]> counted = (KeyValueStore<String, byte[]>) java.lang.reflect.Proxy.newProxyInstance(
                KeyValueStore.class.getClassLoader(), new Class<?>[]{KeyValueStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("putAll")) {
                        putAlls.add(((java.util.List<?>) args[0]).size());
                    } else if (method.getName().equals("put")) {
                        puts[0]++;
                    }
                    try {
                        return method.invoke(memory, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        int models = 2 * ModelStore.WRITE_BATCH + 300;
        ModelStore s = new ModelStore(counted, models);
        s.init(new MockProcessorContext<>().getStateStoreContext(), s);
        Map<String, byte[]> expected = new java.util.HashMap<>();
        OnlineMixture template = learned(30, 7);
        for (int i = 0; i < models; i++) {
            OnlineMixture m = ModelStateCodec.decode(ModelStateCodec.encode(template));
            learnMore(m, i % 5);
            s.put("m" + i, m);
            expected.put("m" + i, ModelStateCodec.encode(m));
        }
        assertEquals(0, puts[0] + putAlls.size(), "nothing written before the flush");
        OnlineMixture extra = learned(30, 8);
        s.put("extra", extra); // one more than the capacity: the least recently used, m0, is written and dropped
        expected.put("extra", ModelStateCodec.encode(extra));
        assertEquals(1, puts[0], "an eviction writes its model with a single put");
        assertEquals(java.util.List.of(), putAlls);

        s.flushCache();

        assertEquals(java.util.List.of(ModelStore.WRITE_BATCH, ModelStore.WRITE_BATCH, 300), putAlls,
                "the other models and the extra one, in batches");
        assertEquals(1, puts[0], "no state of the flush written on its own");
        assertEquals(models + 1, s.writeCount());
        s.flushCache();
        assertEquals(3, putAlls.size(), "a flush with nothing updated writes nothing");
        s.clearCache();
        for (String model : expected.keySet()) {
            assertArrayEquals(expected.get(model), ModelStateCodec.encode(s.get(model)), model + " reads back");
        }
    }

    @Test
    void capacityMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> open(0));
    }
}
