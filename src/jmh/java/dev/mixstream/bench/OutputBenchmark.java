package dev.mixstream.bench;

import dev.mixstream.gmm.AnomalyPolicy;
import dev.mixstream.gmm.FrozenMixture;
import dev.mixstream.gmm.PointScore;
import dev.mixstream.streams.PointMeta;
import dev.mixstream.streams.ResponsibilityWriter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The responsibilities record's cost: {@code scoreAndWrite} is a point scored by a {@link FrozenMixture} and its
 * record written by the stream's {@link ResponsibilityWriter} with x copied from the input's text, as the stream
 * does; {@code scoreOnly} is the score alone, so the difference is the writing. Microseconds per operation.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class OutputBenchmark {
    /** K x D. */
    @Param({"5x8"})
    public String shape;

    @Param({"full"})
    public String covariance;

    /** Means ~ N(0, spread² I) around unit clusters (4: separated, most responsibilities exactly 0 or 1). */
    @Param({"4"})
    public double spread;

    private static final int POOL = 1 << 14;
    private double[][] points;
    private byte[][] xTexts;
    private FrozenMixture frozen;
    private ResponsibilityWriter writer;
    private final PointMeta meta = new PointMeta("evt-1", 1_732_512_345_123L, 3, 4_000_000L);
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        points = EStepBenchmark.points(shape, POOL, spread);
        frozen = new FrozenMixture(EStepBenchmark.truth(shape, covariance, spread), AnomalyPolicy.DEFAULT);
        writer = new ResponsibilityWriter();
        xTexts = new byte[POOL][];
        for (int i = 0; i < POOL; i++) {
            xTexts[i] = java.util.Arrays.toString(points[i]).replace(" ", "")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        }
    }

    /** The point scored, and its record written. */
    @Benchmark
    public int scoreAndWrite() {
        int i = next++ & (POOL - 1);
        PointScore s = frozen.score(points[i]);
        return writer.write("sensor-1", s, meta, xTexts[i]).length;
    }

    /** The point scored alone (as {@link AnomalyBenchmark#frozenScore}, with this benchmark's points). */
    @Benchmark
    public double scoreOnly() {
        return frozen.score(points[next++ & (POOL - 1)]).anomalyScore();
    }
}
