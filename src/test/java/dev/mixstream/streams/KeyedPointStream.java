package dev.mixstream.streams;

import dev.mixstream.gmm.MixtureConfig;
import dev.mixstream.gmm.OnlineMixture;
import dev.mixstream.snapshot.MixtureSnapshot;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Test data for crash tests: a deterministic stream of keyed point records ({@code {"x":[..],"id":"k3-17"}},
 * keys interleaved, two clusters per key, one key jumping to new clusters halfway so its model re-fits),
 * with unique bad records mixed in, and what an uninterrupted run of the engine makes of it
 * ({@link #uninterrupted}): the reference for exactly-once checks.
 */
final class KeyedPointStream {
    /** One input record; {@code expectedReason} is null for a valid point. */
    record Input(String key, String id, byte[] value, String expectedReason) {
        boolean valid() {
            return expectedReason == null;
        }
    }

    /** The score an uninterrupted run gives a point. */
    record Score(double[] responsibilities, int[] componentIds, int component, double logLikelihood,
                 long modelVersion) {
    }

    /** What an uninterrupted run produces for one key: scores by id, snapshots by points_seen. */
    record KeyResult(Map<String, Score> scores, Map<Long, MixtureSnapshot> snapshots) {
    }

    /** Bad values (unique bytes) and the dead-letter reason each must get. */
    private static final String[][] BAD = {
        {"{\"id\":\"bad-0\",\"x\":[1.0,", "malformed_json"},
        {"{\"id\":\"bad-1\",\"x\":\"oops\"}", "not_a_vector"},
        {"{\"id\":\"bad-2\",\"x\":[NaN,1.0]}", "non_finite"},
        {"{\"id\":\"bad-3\",\"x\":[]}", "empty"},
        {"{\"id\":\"bad-4\",\"x\":[1.0,2.0,3.0]}", "wrong_dimension"},
        {"{\"id\":\"bad-5\",\"x\":[1e300,0.0]}", "out_of_range"},
        {"{\"id\":\"bad-6\"}", "not_a_vector"},
        {"{\"id\":\"bad-7\",\"x\":[1.0,2.0]} trailing", "malformed_json"},
    };

    /** How many bad records a stream has. */
    static final int BAD_COUNT = BAD.length;

    private final List<Input> inputs;
    private final List<String> keys;

    private KeyedPointStream(List<String> keys, List<Input> inputs) {
        this.keys = keys;
        this.inputs = inputs;
    }

    /**
     * {@code keys.size() × perKey} points, keys round-robin, plus {@link #BAD_COUNT} bad records spread
     * evenly (all on keys that already had points, so wrong_dimension is decidable).
     */
    private static int[] ids(dev.mixstream.gmm.PointScore s) {
        int[] ids = new int[s.responsibilities().length];
        for (int c = 0; c < ids.length; c++) {
            ids[c] = s.componentId(c);
        }
        return ids;
    }

    static KeyedPointStream generate(List<String> keys, int perKey, long seed) {
        return generate(keys, perKey, seed, false);
    }

    /**
     * As {@link #generate(List, int, long)}; with {@code appearing}, every key's two clusters are joined by a copy of
     * them at +15, +15 after a third of its points (a third of the points from then on), so that models with automatic
     * K gain components mid-stream.
     */
    static KeyedPointStream generate(List<String> keys, int perKey, long seed, boolean appearing) {
        SplittableRandom rng = new SplittableRandom(seed);
        int total = keys.size() * perKey;
        int badEvery = total / (BAD.length + 1);
        List<Input> inputs = new ArrayList<>(total + BAD.length);
        int bad = 0;
        for (int i = 0; i < total; i++) {
            int keyIndex = i % keys.size();
            int n = i / keys.size();
            String key = keys.get(keyIndex);
            double shift = keyIndex == keys.size() - 1 && n >= perKey / 2 ? 25 : keyIndex; // last key drifts
            double side = rng.nextBoolean() ? -3 : 3;
            double third = appearing && n >= perKey / 3 && rng.nextInt(3) == 0 ? 15 : 0;
            String id = key + "-" + n;
            String value = String.format(Locale.ROOT, "{\"x\":[%.6f,%.6f],\"id\":\"%s\",\"ts\":%d}",
                    shift + third + side + rng.nextGaussian(), shift + third - side / 2 + 0.5 * rng.nextGaussian(),
                    id, 1_700_000_000_000L + i);
            inputs.add(new Input(key, id, value.getBytes(StandardCharsets.UTF_8), null));
            if (i > 0 && i % badEvery == 0 && bad < BAD.length) {
                inputs.add(new Input(key, "bad-" + bad, BAD[bad][0].getBytes(StandardCharsets.UTF_8), BAD[bad][1]));
                bad++;
            }
        }
        return new KeyedPointStream(List.copyOf(keys), Collections.unmodifiableList(inputs));
    }

    List<String> keys() {
        return keys;
    }

    /** All records in production order. */
    List<Input> inputs() {
        return inputs;
    }

    List<Input> valid() {
        return inputs.stream().filter(Input::valid).toList();
    }

    List<Input> bad() {
        return inputs.stream().filter(in -> !in.valid()).toList();
    }

    /** The valid ids of each key, in order. */
    Map<String, List<String>> validIdsByKey() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        keys.forEach(k -> m.put(k, new ArrayList<>()));
        valid().forEach(in -> m.get(in.key()).add(in.id()));
        return m;
    }

    /**
     * Runs {@link OnlineMixture} directly over each key's points in order (parsed by the application's own
     * {@link PointParser}, so the doubles are the same), recording every score and the snapshot the
     * application publishes at initialisation and every {@code snapshotEvery} points.
     */
    Map<String, KeyResult> uninterrupted(MixtureConfig config, long snapshotEvery) {
        return uninterrupted(config, snapshotEvery, Map.of());
    }

    /**
     * As {@link #uninterrupted(MixtureConfig, long)}, with the keys of {@code loaded} starting from those models (as
     * after a {@code load} command, which publishes the loaded model's snapshot at 0 points) instead of a warm-up.
     * The given models are learned on: pass copies.
     */
    Map<String, KeyResult> uninterrupted(MixtureConfig config, long snapshotEvery, Map<String, OnlineMixture> loaded) {
        PointParser parser = new PointParser(Integer.MAX_VALUE, 4096);
        Map<String, KeyResult> results = new TreeMap<>();
        Map<String, OnlineMixture> models = new LinkedHashMap<>(loaded);
        loaded.forEach((key, m) -> results.computeIfAbsent(key, k -> new KeyResult(new LinkedHashMap<>(), new TreeMap<>()))
                .snapshots().put(0L, MixtureSnapshot.of(m)));
        for (Input in : valid()) {
            OnlineMixture m = models.computeIfAbsent(in.key(), k -> new OnlineMixture(config));
            KeyResult r = results.computeIfAbsent(in.key(), k -> new KeyResult(new LinkedHashMap<>(), new TreeMap<>()));
            double[] x;
            try {
                x = parser.parse(in.value()).x();
            } catch (Rejection e) {
                throw new IllegalStateException("generated point does not parse: " + in.id(), e);
            }
            boolean wasInitialised = m.isInitialised();
            m.learn(x, in.id().getBytes(StandardCharsets.UTF_8), s -> r.scores().put(
                    new String(s.tag(), StandardCharsets.UTF_8),
                    new Score(s.responsibilities().clone(), ids(s), s.componentIdOfAssignment(), s.logLikelihood(),
                            s.modelVersion())));
            // the same rule as MixtureProcessor
            if (m.isInitialised() && (!wasInitialised || snapshotEvery > 0 && m.pointsSeen() % snapshotEvery == 0)) {
                r.snapshots().put(m.pointsSeen(), MixtureSnapshot.of(m));
            }
        }
        return results;
    }
}
