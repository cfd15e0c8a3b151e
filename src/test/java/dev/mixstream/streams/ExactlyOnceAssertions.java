package dev.mixstream.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixstream.snapshot.MixtureSnapshot;
import dev.mixstream.snapshot.SnapshotJson;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The exactly-once checks of crash tests: the committed outputs of a run that was interrupted (application
 * killed, broker restarted, ...) must be exactly those of an uninterrupted run of the engine over the same
 * input, bit for bit.
 */
final class ExactlyOnceAssertions {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ExactlyOnceAssertions() {
    }

    /**
     * Asserts, on everything {@code out} read:
     * <ul>
     *   <li>every valid input has exactly one responsibilities record, and each key's records come in the
     *       key's input order (so: no loss, no duplicate, order kept);</li>
     *   <li>each of them equals the uninterrupted run's score exactly (responsibilities, component,
     *       log-likelihood, model version);</li>
     *   <li>every bad record has exactly one dead letter, with the right reason;</li>
     *   <li>each key has exactly one snapshot per publication point (initialisation and every
     *       {@code snapshotEvery} points), each bit-identical to the uninterrupted run's model at that point,
     *       the last one at the key's full point count.</li>
     * </ul>
     */
    static void assertExactlyOnce(KeyedPointStream stream, MixstreamSettings settings, OutputCollector out) {
        assertExactlyOnce(stream, settings, out.responsibilities(), out.snapshots(), out.deadLetters());
    }

    /** As {@link #assertExactlyOnce(KeyedPointStream, MixstreamSettings, OutputCollector)}, on record lists. */
    static void assertExactlyOnce(KeyedPointStream stream, MixstreamSettings settings,
                                  List<ConsumerRecord<String, byte[]>> responsibilities,
                                  List<ConsumerRecord<String, byte[]>> snapshots,
                                  List<ConsumerRecord<String, byte[]>> deadLetters) {
        assertExactlyOnce(stream, stream.uninterrupted(settings.mixture(), settings.snapshotEveryPoints()),
                responsibilities, snapshots, deadLetters);
    }

    /** As above, against a given reference (e.g. one where some keys start from loaded models). */
    static void assertExactlyOnce(KeyedPointStream stream, Map<String, KeyedPointStream.KeyResult> expected,
                                  List<ConsumerRecord<String, byte[]>> responsibilities,
                                  List<ConsumerRecord<String, byte[]>> snapshots,
                                  List<ConsumerRecord<String, byte[]>> deadLetters) {
        assertResponsibilities(stream, expected, responsibilities);
        assertDeadLetters(stream, deadLetters);
        assertSnapshots(stream, expected, snapshots);
    }

    private static void assertResponsibilities(KeyedPointStream stream,
                                               Map<String, KeyedPointStream.KeyResult> expected,
                                               List<ConsumerRecord<String, byte[]>> records) {
        Map<String, List<String>> idsByKey = new LinkedHashMap<>();
        stream.keys().forEach(k -> idsByKey.put(k, new ArrayList<>()));
        Map<String, List<String>> origins = new LinkedHashMap<>();
        int compared = 0;
        for (ConsumerRecord<String, byte[]> r : records) {
            JsonNode n = tree(r.value());
            String key = r.key();
            assertTrue(idsByKey.containsKey(key), "unexpected key " + key);
            assertEquals(key, n.get("model").asText(), "model field = record key");
            String id = n.get("id").asText();
            idsByKey.get(key).add(id);
            origins.computeIfAbsent(id, k -> new ArrayList<>()).add("input " + n.get("partition").asInt() + "@"
                    + n.get("offset").asLong() + " -> output " + r.partition() + "@" + r.offset());
            KeyedPointStream.Score want = expected.get(key).scores().get(id);
            assertNotNull(want, "output for an id the key never had: " + id);
            String where = "responsibilities of " + id;
            assertArrayEquals(want.responsibilities(), doubles(n.get("responsibilities")), where);
            assertEquals(want.component(), n.get("component").asInt(), where);
            int[] ids = new int[n.get("component_ids").size()];
            for (int c = 0; c < ids.length; c++) {
                ids[c] = n.get("component_ids").get(c).asInt();
            }
            assertArrayEquals(want.componentIds(), ids, "component_ids of " + id);
            assertEquals(want.logLikelihood(), n.get("log_likelihood").asDouble(), where);
            assertEquals(want.modelVersion(), n.get("model_version").asLong(), where);
            compared++;
        }
        List<String> repeated = origins.entrySet().stream().filter(e -> e.getValue().size() > 1)
                .map(e -> e.getKey() + " " + e.getValue()).toList();
        assertTrue(repeated.isEmpty(), repeated.size() + " ids have more than one output, e.g. "
                + repeated.subList(0, Math.min(10, repeated.size())));
        Map<String, List<String>> wantIds = stream.validIdsByKey();
        for (String key : stream.keys()) {
            List<String> got = idsByKey.get(key);
            List<String> want = wantIds.get(key);
            assertEquals(want.size(), got.size(), "outputs of key " + key + " (one per valid input)");
            assertEquals(want, got, "outputs of key " + key + " in input order, none lost or repeated");
        }
        assertEquals(stream.valid().size(), compared, "responsibilities records");
    }

    private static void assertDeadLetters(KeyedPointStream stream, List<ConsumerRecord<String, byte[]>> records) {
        Map<String, String> reasonByValue = new HashMap<>();
        stream.bad().forEach(in -> reasonByValue.put(new String(in.value(), StandardCharsets.UTF_8), in.expectedReason()));
        Map<String, Integer> seen = new TreeMap<>();
        for (ConsumerRecord<String, byte[]> r : records) {
            String value = new String(r.value(), StandardCharsets.UTF_8);
            assertTrue(reasonByValue.containsKey(value), "dead letter for a value never sent as bad: " + value);
            seen.merge(value, 1, Integer::sum);
            String reason = new String(r.headers().lastHeader(DeadLetters.REASON).value(), StandardCharsets.UTF_8);
            assertEquals(reasonByValue.get(value), reason, "reason of dead letter " + value);
        }
        for (String value : reasonByValue.keySet()) {
            assertEquals(1, seen.getOrDefault(value, 0), "dead letters of " + value);
        }
        assertEquals(stream.bad().size(), records.size(), "dead letters");
    }

    private static void assertSnapshots(KeyedPointStream stream, Map<String, KeyedPointStream.KeyResult> expected,
                                        List<ConsumerRecord<String, byte[]>> records) {
        Map<String, Map<Long, List<MixtureSnapshot>>> got = new TreeMap<>();
        for (ConsumerRecord<String, byte[]> r : records) {
            MixtureSnapshot s = SnapshotJson.fromBytes(r.value());
            assertEquals(r.key(), s.model(), "snapshot key = model");
            got.computeIfAbsent(s.model(), k -> new TreeMap<>())
                    .computeIfAbsent(s.pointsSeen(), k -> new ArrayList<>()).add(s);
        }
        Map<String, List<String>> ids = stream.validIdsByKey();
        assertEquals(expected.keySet(), got.keySet(), "models with snapshots");
        for (String key : stream.keys()) {
            Map<Long, MixtureSnapshot> want = expected.get(key).snapshots();
            Map<Long, List<MixtureSnapshot>> have = got.get(key);
            assertEquals(want.keySet(), have.keySet(), "points_seen of the snapshots of " + key);
            long last = ((TreeMap<Long, MixtureSnapshot>) want).lastKey();
            assertEquals(ids.get(key).size(), last, "the last snapshot of " + key + " covers all its points");
            for (Map.Entry<Long, MixtureSnapshot> e : want.entrySet()) {
                List<MixtureSnapshot> list = have.get(e.getKey());
                assertEquals(1, list.size(), "snapshots of " + key + " at " + e.getKey() + " points");
                assertSameModel(e.getValue(), list.get(0), key + " at " + e.getKey() + " points");
            }
        }
    }

    /** Bit-exact equality of the published parameters and statistics. */
    static void assertSameModel(MixtureSnapshot want, MixtureSnapshot got, String where) {
        assertEquals(want.pointsSeen(), got.pointsSeen(), where);
        assertEquals(want.components(), got.components(), where);
        assertEquals(want.dimension(), got.dimension(), where);
        assertEquals(want.covarianceType(), got.covarianceType(), where);
        assertArrayEquals(want.weights(), got.weights(), "weights of " + where);
        assertArrayEquals(want.means(), got.means(), "means of " + where);
        assertArrayEquals(want.covariances(), got.covariances(), "covariances of " + where);
        assertEquals(want.nEff(), got.nEff(), "n_eff of " + where);
        assertEquals(want.avgLogLikelihood(), got.avgLogLikelihood(), "avg_log_likelihood of " + where);
        assertEquals(want.refits(), got.refits(), "refits of " + where);
        assertEquals(want.config(), got.config(), "config of " + where);
        assertArrayEquals(want.componentIds(), got.componentIds(), "component_ids of " + where);
    }

    private static JsonNode tree(byte[] json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static double[] doubles(JsonNode array) {
        double[] d = new double[array.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = array.get(i).asDouble();
        }
        return d;
    }
}
