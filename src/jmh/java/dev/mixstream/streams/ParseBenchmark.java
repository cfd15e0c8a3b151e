package dev.mixstream.streams;

import dev.mixstream.bench.BenchWorkload;
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

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * A point record's parse: through {@link PointScanner} first ({@code scanner}, the stream's parser) or by Jackson
 * alone ({@code jackson}, as before the scanner), on the pipeline benchmark's records ({@code bench}: 8-D floats of
 * about 8 digits, and a ts) or on records as Python's {@code json.dumps} writes them ({@code python}: 17-digit
 * doubles, an id, a ts and two more fields). Microseconds per record.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ParseBenchmark {
    @Param({"scanner", "jackson"})
    public String parser;

    @Param({"bench", "python"})
    public String records;

    private static final int POOL = 1 << 12;
    private byte[][] values;
    private PointParser pointParser;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        values = new byte[POOL][];
        BenchWorkload workload = new BenchWorkload(5, 8, 16, 1);
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < POOL; i++) {
            if (records.equals("bench")) {
                values[i] = workload.nextValue(1_732_512_345_123L + i);
            } else {
                StringBuilder b = new StringBuilder("{\"x\": [");
                for (int d = 0; d < 8; d++) {
                    b.append(d > 0 ? ", " : "").append(random.nextGaussian() * 3); // repr: up to 17 digits
                }
                b.append("], \"id\": \"evt-").append(i).append("\", \"ts\": ").append(1_732_512_345_123L + i)
                        .append(", \"source\": \"sensor-7\", \"ok\": true}");
                values[i] = b.toString().getBytes(StandardCharsets.UTF_8);
            }
        }
        pointParser = new PointParser(1 << 20, 64, parser.equals("scanner"));
    }

    @Benchmark
    public double parse() throws Rejection {
        return pointParser.parse(values[next++ & (POOL - 1)]).x()[0];
    }
}
