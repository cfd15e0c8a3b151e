package dev.mixstream.bench;

import dev.mixstream.gmm.AnomalyPolicy;
import dev.mixstream.gmm.FrozenMixture;
import dev.mixstream.gmm.GaussianMixture;
import dev.mixstream.gmm.LogLikelihoodReference;
import dev.mixstream.gmm.PointScore;
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
 * The two costs of anomaly scoring: {@code refresh}, recomputing a model's {@link LogLikelihoodReference} from its
 * parameters (≈ 4096 E-steps and a sort; once every max(2048, min(halfLife, 16384)) points, at initialisation and
 * after each re-fit), and {@code frozenScore}, one point scored by a {@link FrozenMixture} (the E-step plus the
 * anomaly score, flag and features), to set against {@link EStepBenchmark#score}. Microseconds per operation.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AnomalyBenchmark {
    /** K x D. */
    @Param({"3x2", "5x8", "10x32", "16x64"})
    public String shape;

    @Param({"full"})
    public String covariance;

    /** Spread of the cluster means (unit covariances): 4 well separated, 1 overlapping. */
    @Param({"4"})
    public double spread;

    private static final int POOL = 1 << 14;
    private double[][] points;
    private GaussianMixture mixture;
    private LogLikelihoodReference reference;
    private FrozenMixture frozen;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        points = EStepBenchmark.points(shape, POOL, spread);
        mixture = EStepBenchmark.truth(shape, covariance, spread);
        reference = new LogLikelihoodReference();
        frozen = new FrozenMixture(mixture, AnomalyPolicy.DEFAULT);
    }

    /** The model's reference recomputed from its parameters. */
    @Benchmark
    public LogLikelihoodReference refresh() {
        reference.refresh(mixture);
        return reference;
    }

    /** One point scored by a frozen model: responsibilities, log-likelihood and the anomaly fields. */
    @Benchmark
    public double frozenScore() {
        PointScore s = frozen.score(points[next++ & (POOL - 1)]);
        return s.anomalyScore();
    }
}
