package dev.mixstream.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.mixstream.gmm.ModelStateCodec;
import dev.mixstream.gmm.ModelSummary;
import dev.mixstream.snapshot.SnapshotJson;
import dev.mixstream.streams.ModelPartitioner;
import dev.mixstream.streams.MixstreamTopology;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.query.KeyQuery;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.query.RangeQuery;
import org.apache.kafka.streams.query.StateQueryRequest;
import org.apache.kafka.streams.query.StateQueryResult;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Kafka Streams interactive queries for the HTTP API. A model lives in the task of its partition
 * ({@link ModelPartitioner}); {@link KafkaStreams#queryMetadataForKey} names the instance running that task
 * (its {@code application.server}) and those holding standby copies. A model's snapshot comes from this
 * instance's stores when it is the active one, else from the active instance over HTTP, else, when the active
 * one cannot answer, from a standby (marked as such). Listings read this instance's active tasks, or every
 * instance's ({@code scope=all}).
 */
final class ModelQueries {
    /** Models' keys compared as the stores order them: by their UTF-8 bytes. */
    static final Comparator<String> KEY_ORDER = (a, b) -> Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8),
            b.getBytes(StandardCharsets.UTF_8));
    private final KafkaStreams streams;
    private final HostInfo self;
    private final int partitions;
    private final PeerClient peers;

    /** A model's snapshot JSON (as on the snapshots topic), the instance that served it, and whether from a standby. */
    record Located(byte[] json, String servedBy, boolean standby) {
    }

    /**
     * @param self       this instance's {@code application.server}
     * @param partitions the points topic's partitions (the model tasks)
     */
    ModelQueries(KafkaStreams streams, HostInfo self, int partitions, PeerClient peers) {
        this.streams = streams;
        this.self = self;
        this.partitions = partitions;
        this.peers = peers;
    }

    static String name(HostInfo h) {
        return h.host() + ":" + h.port();
    }

    /** An answer read from this instance's stores ({@code standby}: a standby copy may answer). */
    @FunctionalInterface
    interface LocalAnswer {
        byte[] read(String model, int partition, boolean standby);
    }

    /**
     * The model's latest snapshot, from wherever it can be read now.
     *
     * @throws ApiException UNKNOWN_MODEL, WARMING_UP, or UNAVAILABLE when no instance can answer now
     */
    Located snapshot(String model) {
        return locate(model, "/models/" + PeerClient.segment(model), this::localSnapshot);
    }

    /**
     * An answer about the model from the instance that holds it: {@code local} here, or {@code path} (query included)
     * on another instance; from the active instance, else from a standby.
     *
     * @throws ApiException UNKNOWN_MODEL, WARMING_UP, or UNAVAILABLE when no instance can answer now
     */
    Located locate(String model, String path, LocalAnswer local) {
        int partition = partitionOf(model);
        KeyQueryMetadata meta;
        try {
            meta = streams.queryMetadataForKey(MixstreamTopology.SNAPSHOT_STORE, model, Serdes.String().serializer());
        } catch (IllegalStateException e) { // not started, or shutting down
            throw new ApiException(ApiError.UNAVAILABLE, "not running (" + streams.state() + "); retry");
        }
        List<String> failures = new ArrayList<>();
        HostInfo active = meta == null ? HostInfo.unavailable() : meta.activeHost();
        if (!HostInfo.unavailable().equals(active)) {
            try {
                return from(active, model, partition, false, path, local);
            } catch (ApiException e) {
                if (e.error() != ApiError.UNAVAILABLE) {
                    throw e;
                }
                failures.add(name(active) + ": " + e.getMessage());
            }
        } else {
            failures.add("no active instance (rebalancing)");
        }
        // the active instance cannot answer: a standby can, with the state it has replicated so far
        List<HostInfo> standbys = new ArrayList<>(meta == null ? Set.of() : meta.standbyHosts());
        if (!standbys.contains(self)) {
            standbys.add(0, self); // during a rebalance the metadata lists none; this instance may hold a copy
        }
        for (HostInfo h : standbys) {
            try {
                return from(h, model, partition, true, path, local);
            } catch (ApiException e) {
                if (e.error() != ApiError.UNAVAILABLE) {
                    throw e;
                }
                failures.add(name(h) + " (standby): " + e.getMessage());
            }
        }
        throw new ApiException(ApiError.UNAVAILABLE, "no instance can serve model '" + model + "' now ("
                + String.join("; ", failures) + "); retry");
    }

    /**
     * An answer about the model: located as {@link #locate} does, or, for a request another instance forwarded here
     * ({@code forwarded} = {@code active} or {@code standby}), from this instance's stores only.
     */
    Located answer(String model, String forwarded, String path, LocalAnswer local) {
        if (forwarded == null) {
            return locate(model, path, local);
        }
        boolean standby = "standby".equals(forwarded);
        return new Located(local.read(model, partitionOf(model), standby), name(self), standby);
    }

    private Located from(HostInfo host, String model, int partition, boolean standby, String path, LocalAnswer local) {
        if (host.equals(self)) {
            return new Located(local.read(model, partition, standby), name(self), standby);
        }
        PeerClient.Answer a;
        try {
            a = peers.get(host, path, standby ? "standby" : "active");
        } catch (IOException e) {
            throw new ApiException(ApiError.UNAVAILABLE, "unreachable (" + e.getClass().getSimpleName() + ")");
        }
        if (a.status() == 200) {
            return new Located(a.body(), a.servedBy() != null ? a.servedBy() : name(host), standby);
        }
        throw ApiException.fromAnswer(a.status(), a.body());
    }

    /**
     * The model's snapshot JSON from this instance's stores.
     *
     * @param standby false: only if this instance runs the model's task; true: from its task or its standby copy
     * @throws ApiException UNKNOWN_MODEL, WARMING_UP, or UNAVAILABLE when the task is not here
     */
    byte[] localSnapshot(String model, int partition, boolean standby) {
        byte[] json = get(MixstreamTopology.SNAPSHOT_STORE, model, partition, standby);
        if (json != null) {
            return json;
        }
        byte[] state = get(MixstreamTopology.STORE, model, partition, standby);
        if (state == null) {
            throw new ApiException(ApiError.UNKNOWN_MODEL, "no model '" + model + "'").with("key", model);
        }
        ModelSummary s = ModelStateCodec.summary(state);
        throw new ApiException(ApiError.WARMING_UP, "model '" + model + "' is warming up: " + s.pointsSeen() + " of "
                + s.warmup() + " points buffered; it has no parameters yet").with("key", model)
                .with("points_seen", s.pointsSeen()).with("warmup", s.warmup());
    }

    /** The partitions (model tasks) whose model this instance would answer for locally, given the position. */
    int partitionOf(String model) {
        return ModelPartitioner.partitionOf(model.getBytes(StandardCharsets.UTF_8), partitions);
    }

    private byte[] get(String store, String key, int partition, boolean standby) {
        StateQueryRequest<byte[]> request = StateQueryRequest.inStore(store)
                .withQuery(KeyQuery.<String, byte[]>withKey(key)).withPartitions(Set.of(partition));
        if (!standby) {
            request = request.requireActive();
        }
        QueryResult<byte[]> r = query(request).getPartitionResults().get(partition);
        if (r == null || r.isFailure()) {
            throw new ApiException(ApiError.UNAVAILABLE, r == null ? "partition " + partition + " is not here"
                    : "partition " + partition + ": " + r.getFailureReason() + " (" + r.getFailureMessage() + ")");
        }
        return r.getResult();
    }

    private <R> StateQueryResult<R> query(StateQueryRequest<R> request) {
        try {
            return streams.query(request);
        } catch (InvalidStateStoreException | IllegalStateException e) { // not started, stopping, store not ready
            throw new ApiException(ApiError.UNAVAILABLE, "not serving (" + streams.state() + "): "
                    + e.getClass().getSimpleName() + "; retry");
        }
    }

    /**
     * The models of this instance's active tasks with keys after {@code after} (null: from the first) that contain
     * {@code search} (ignoring case; null: all), in key order, at most {@code limit}, and the next page's
     * {@code after} if there are more.
     */
    ModelPage localPage(String after, int limit, String search) {
        String needle = search == null ? null : search.toLowerCase(java.util.Locale.ROOT);
        RangeQuery<String, byte[]> range = after == null ? RangeQuery.withNoBounds() : RangeQuery.withLowerBound(after);
        StateQueryResult<KeyValueIterator<String, byte[]>> result = query(StateQueryRequest.inStore(MixstreamTopology.STORE)
                .withQuery(range).requireActive());
        List<Map.Entry<String, byte[]>> found = new ArrayList<>();
        List<Integer> partitionOf = new ArrayList<>();
        for (Map.Entry<Integer, QueryResult<KeyValueIterator<String, byte[]>>> e : result.getPartitionResults().entrySet()) {
            if (e.getValue().isFailure()) {
                continue; // a task that moved away since the query began
            }
            int taken = 0;
            try (KeyValueIterator<String, byte[]> it = e.getValue().getResult()) {
                while (it.hasNext() && taken <= limit) {
                    var kv = it.next();
                    if (kv.value == null || after != null && kv.key.equals(after)
                            || needle != null && !kv.key.toLowerCase(java.util.Locale.ROOT).contains(needle)) {
                        continue;
                    }
                    found.add(Map.entry(kv.key, kv.value));
                    partitionOf.add(e.getKey());
                    taken++;
                }
            }
        }
        Integer[] order = new Integer[found.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> KEY_ORDER.compare(found.get(a).getKey(), found.get(b).getKey()));
        List<ModelListing> models = new ArrayList<>();
        for (int i = 0; i < Math.min(limit, order.length); i++) {
            Map.Entry<String, byte[]> e = found.get(order[i]);
            ModelSummary s = ModelStateCodec.summary(e.getValue());
            Long updatedAt = null;
            if (s.initialised()) {
                try {
                    updatedAt = updatedAt(get(MixstreamTopology.SNAPSHOT_STORE, e.getKey(), partitionOf.get(order[i]), false));
                } catch (ApiException moved) {
                    // the task moved away meanwhile: listed without its time
                }
            }
            models.add(new ModelListing(e.getKey(), s.components(), s.dimension(), s.pointsSeen(), s.refits(),
                    updatedAt, !s.initialised(), s.avgLogLikelihood(), s.anomalyRate()));
        }
        String next = order.length > limit ? models.get(limit - 1).key() : null;
        return new ModelPage(models, next, List.of());
    }

    /**
     * As {@link #localPage}, over every instance of the application: each answers for its active tasks, so each
     * model is listed once; the instances that do not answer are named in the page.
     */
    ModelPage allPages(String after, int limit, String search) {
        List<ModelListing> all = new ArrayList<>();
        List<String> unreachable = new ArrayList<>();
        boolean more = false;
        String query = "/models?limit=" + limit + (after == null ? "" : "&after=" + PeerClient.segment(after))
                + (search == null ? "" : "&q=" + PeerClient.segment(search));
        for (StreamsMetadata m : streams.metadataForAllStreamsClients()) {
            HostInfo h = m.hostInfo();
            ModelPage page;
            try {
                if (h.equals(self)) {
                    page = localPage(after, limit, search);
                } else {
                    PeerClient.Answer a = peers.get(h, query, "list");
                    if (a.status() != 200) {
                        throw ApiException.fromAnswer(a.status(), a.body());
                    }
                    page = SnapshotJson.mapper().readValue(a.body(), ModelPage.class);
                }
            } catch (IOException | ApiException e) {
                unreachable.add(name(h));
                continue;
            }
            all.addAll(page.models());
            more |= page.next() != null;
        }
        all.sort(Comparator.comparing(ModelListing::key, KEY_ORDER));
        List<ModelListing> models = all.size() > limit ? new ArrayList<>(all.subList(0, limit)) : all;
        String next = more || all.size() > limit ? models.get(models.size() - 1).key() : null;
        return new ModelPage(models, next, unreachable);
    }

    /** The {@code updated_at} of a snapshot's JSON (its third field; read without parsing the parameters). */
    static Long updatedAt(byte[] snapshot) {
        if (snapshot == null) {
            return null;
        }
        try (JsonParser p = SnapshotJson.mapper().getFactory().createParser(snapshot)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if ("updated_at".equals(field)) {
                    return value == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : null;
                }
                p.skipChildren();
            }
            return null;
        } catch (IOException e) {
            return null;
        }
    }
}
