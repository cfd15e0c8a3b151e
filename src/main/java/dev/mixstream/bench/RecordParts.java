package dev.mixstream.bench;

import dev.mixstream.gmm.FrozenMixture;
import dev.mixstream.gmm.OnlineMixture;
import dev.mixstream.gmm.PointScore;
import dev.mixstream.gmm.ScoreSink;
import dev.mixstream.streams.MixstreamSettings;
import dev.mixstream.streams.PointMeta;
import dev.mixstream.streams.PointParser;
import dev.mixstream.streams.Rejection;
import dev.mixstream.streams.ResponsibilityWriter;

import java.util.HashMap;
import java.util.Map;

/**
 * What the estimator does for one record beyond what a pass-through does, part by part, measured in this process
 * on the benchmark's own records (the same generator, keys and settings), one thread, no Kafka: parsing the input
 * JSON, the engine's score-and-learn, and writing the responsibilities record (with its metadata tag). Added to the
 * pass-through's CPU per record they make the "sum of parts": the least the estimator could cost per record if the
 * pipeline added nothing of its own (it does add: bigger output records for the producer and the broker, the store,
 * snapshots), which shows how close to that limit the pipeline is.
 *
 * @param parseMicros  µs per record to parse its JSON value
 * @param engineMicros µs per record for {@link OnlineMixture#learn} (steady state, past every model's warm-up)
 * @param writeMicros  µs per record to encode its tag and write its responsibilities record
 */
public record RecordParts(double parseMicros, double engineMicros, double writeMicros) {
    /** Records per timed pass. */
    static final int RECORDS = 200_000;
    /** Timed passes of each part; the fastest counts (the others met more of the machine's noise). */
    static final int PASSES = 3;

    /** µs per record for the three parts together. */
    public double totalMicros() {
        return parseMicros + engineMicros + writeMicros;
    }

    /**
     * Measures the parts for the benchmark's workload and the estimator's settings. With more keys than the
     * {@link #RECORDS} records can take past their warm-up (4 W points each), fewer keys are used: the parts are
     * per-record costs of models past their warm-up.
     */
    public static RecordParts measure(int components, int dimension, int keys, long seed, MixstreamSettings settings) {
        int warmup = settings.mixture().warmupFor(dimension);
        BenchWorkload workload = new BenchWorkload(components, dimension,
                Math.max(1, Math.min(keys, RECORDS / (4 * warmup))), seed);
        int n = RECORDS;
        String[] models = new String[n];
        byte[][] values = new byte[n][];
        for (int i = 0; i < n; i++) {
            models[i] = workload.nextKey();
            values[i] = workload.nextValue(1_700_000_000_000L + i);
        }
        PointParser parser = new PointParser(settings.maxValueBytes(), settings.maxDimension());
        PointParser.ParsedPoint[] points = new PointParser.ParsedPoint[n];
        double parse = best(() -> {
            for (int i = 0; i < n; i++) {
                points[i] = parse(parser, values[i]);
            }
        });

        Map<String, OnlineMixture> byKey = new HashMap<>();
        for (int i = 0; i < n; i++) { // warm-ups, initialisations and the JIT, not timed
            byKey.computeIfAbsent(models[i], k -> new OnlineMixture(settings.mixtureFor(k)))
                    .learn(points[i].x(), null, ScoreSink.IGNORE);
        }
        byte[] tag = new PointMeta(null, 1L, 0, 0L, 0L).encode();
        double engine = best(() -> {
            for (int i = 0; i < n; i++) {
                byKey.get(models[i]).learn(points[i].x(), tag, ScoreSink.IGNORE);
            }
        });

        ResponsibilityWriter writer = new ResponsibilityWriter(settings.output());
        Map<String, FrozenMixture> frozen = new HashMap<>();
        byKey.forEach((k, m) -> frozen.put(k, new FrozenMixture(m.parameters(), settings.anomaly())));
        long[] sink = {0}; // the loops' results go to the heap: no loop can be optimised away
        double scoreOnly = best(() -> {
            for (int i = 0; i < n; i++) {
                sink[0] += frozen.get(models[i]).score(points[i].x()).component();
            }
        });
        double scoreAndWrite = best(() -> {
            for (int i = 0; i < n; i++) {
                PointScore s = frozen.get(models[i]).score(points[i].x());
                PointMeta meta = new PointMeta(points[i].id(), points[i].ts(), 0, i, 1_700_000_000_000L + i);
                sink[0] += meta.encode().length;
                sink[0] += writer.write(models[i], s, meta, points[i].xJson()).length;
            }
        });
        return new RecordParts(parse, engine, Math.max(0, scoreAndWrite - scoreOnly));
    }

    private static PointParser.ParsedPoint parse(PointParser parser, byte[] value) {
        try {
            return parser.parse(value);
        } catch (Rejection e) {
            throw new IllegalStateException("the benchmark's own record was refused: " + e.detail(), e);
        }
    }

    /** µs per record of the fastest of {@link #PASSES} runs of a pass over {@link #RECORDS} records. */
    private static double best(Runnable pass) {
        double best = Double.POSITIVE_INFINITY;
        for (int p = 0; p < PASSES; p++) {
            long start = System.nanoTime();
            pass.run();
            best = Math.min(best, (System.nanoTime() - start) / 1e3 / RECORDS);
        }
        return best;
    }
}
