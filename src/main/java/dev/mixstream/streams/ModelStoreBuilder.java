package dev.mixstream.streams;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

import java.util.Map;

/**
 * Builds a {@link ModelStore} over Kafka Streams' own persistent (RocksDB), changelogged key-value store of binary
 * states; logging and caching settings are those of that store. It is not cached by default: the {@link ModelStore}
 * is the cache (decoded models, each written once per commit), and without Kafka Streams' record cache below it the
 * states of a commit reach RocksDB as write batches ({@code putAll}) rather than one write per model.
 */
final class ModelStoreBuilder implements StoreBuilder<ModelStore> {
    private final StoreBuilder<KeyValueStore<String, byte[]>> stored;
    private final int capacity;
    /** Shared by the stores of every task this builder builds (one application instance), or null. */
    private final ModelCacheBudget budget;

    /**
     * @param name     the store's name (also its changelog topic's suffix)
     * @param capacity decoded models kept in memory per task, or 0 for a {@link ModelCacheBudget#ofHeap} shared by
     *                 the instance's tasks
     */
    ModelStoreBuilder(String name, int capacity) {
        this.stored = Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.String(),
                Serdes.ByteArray()).withCachingDisabled();
        this.capacity = capacity == 0 ? Integer.MAX_VALUE : capacity;
        this.budget = capacity == 0 ? ModelCacheBudget.ofHeap() : null;
    }

    @Override
    public StoreBuilder<ModelStore> withCachingEnabled() {
        stored.withCachingEnabled();
        return this;
    }

    @Override
    public StoreBuilder<ModelStore> withCachingDisabled() {
        stored.withCachingDisabled();
        return this;
    }

    @Override
    public StoreBuilder<ModelStore> withLoggingEnabled(Map<String, String> config) {
        stored.withLoggingEnabled(config);
        return this;
    }

    @Override
    public StoreBuilder<ModelStore> withLoggingDisabled() {
        stored.withLoggingDisabled();
        return this;
    }

    @Override
    public ModelStore build() {
        return new ModelStore(stored.build(), capacity, budget);
    }

    @Override
    public Map<String, String> logConfig() {
        return stored.logConfig();
    }

    @Override
    public boolean loggingEnabled() {
        return stored.loggingEnabled();
    }

    @Override
    public String name() {
        return stored.name();
    }
}
