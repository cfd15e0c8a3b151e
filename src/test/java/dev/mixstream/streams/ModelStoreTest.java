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

    @Test
    void capacityMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> open(0));
    }
}
