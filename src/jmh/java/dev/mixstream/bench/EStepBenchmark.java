package dev.mixstream.bench;

import dev.mixstream.gmm.CovarianceType;
import dev.mixstream.gmm.GaussianMixture;
import dev.mixstream.gmm.SyntheticData;
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

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Points per second of the E-step alone (log N(x|μ_k,Σ_k) for every k by forward substitution with the
 * cached Cholesky factors, responsibilities by log-sum-exp): the O(K·D²) floor that
 * {@link EngineBenchmark}'s score + update is compared with. One operation = one point.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class EStepBenchmark {
    /** K x D. */
    @Param({"3x2", "5x8", "10x32", "16x64"})
    public String shape;

    @Param({"full"})
    public String covariance;

    /**
     * Standard deviation of the cluster means (the clusters have unit covariance): 4 separates them (the pruned
     * E-step skips most far components), 1 makes them overlap (it skips few).
     */
    @Param({"4"})
    public double spread;

    private static final int POOL = 1 << 14;
    private double[][] points;
    private GaussianMixture mixture;
    private double[] responsibilities;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        points = points(shape, POOL, spread);
        mixture = truth(shape, covariance, spread);
        responsibilities = new double[mixture.components()];
    }

    /** {@code size} points of the K×D ("5x8") unit-cluster truth, seeded. */
    static double[][] points(String shape, int size) {
        return points(shape, size, 4);
    }

    /** {@code size} points of the K×D unit-cluster truth with means of this spread, seeded. */
    static double[][] points(String shape, int size, double spread) {
        String[] kd = shape.split("x");
        int d = Integer.parseInt(kd[1]);
        SplittableRandom rng = new SplittableRandom(1);
        GaussianMixture truth = SyntheticData.unitClusters(CovarianceType.FULL, Integer.parseInt(kd[0]), d, spread, rng);
        double[][] points = new double[size][d];
        for (double[] x : points) {
            truth.sample(rng, x);
        }
        return points;
    }

    /** The truth of {@link #points}, as the benchmarked covariance type (same seed: same means). */
    static GaussianMixture truth(String shape, String covariance) {
        return truth(shape, covariance, 4);
    }

    /** The truth of {@link #points} with means of this spread, as the benchmarked covariance type. */
    static GaussianMixture truth(String shape, String covariance, double spread) {
        String[] kd = shape.split("x");
        return SyntheticData.unitClusters(CovarianceType.parse(covariance), Integer.parseInt(kd[0]),
                Integer.parseInt(kd[1]), spread, new SplittableRandom(1));
    }

    /** Responsibilities and log-likelihood of one point. */
    @Benchmark
    public double score() {
        return mixture.score(points[next++ & (POOL - 1)], responsibilities);
    }
}
