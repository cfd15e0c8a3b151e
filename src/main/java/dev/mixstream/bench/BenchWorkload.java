package dev.mixstream.bench;

import dev.mixstream.gmm.CovarianceType;
import dev.mixstream.gmm.GaussianMixture;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * The benchmark's synthetic points: one fixed mixture of K equally weighted unit-covariance Gaussians in
 * D dimensions (means about 6 apart, no two closer than 5), keys {@code model-0 … model-(n−1)} in round-robin,
 * values {@code {"x":[...],"ts":<epoch ms>}} so that every output can be traced back to its send time.
 * Deterministic for a seed (apart from {@code ts}).
 */
public final class BenchWorkload {
    /** Smallest distance between two generating means (in units of their standard deviation). */
    static final double MIN_SEPARATION = 5;

    private final GaussianMixture truth;
    private final int keys;
    private final SplittableRandom rng;
    private final double[] x;
    private final StringBuilder text = new StringBuilder(256);
    private long sent;

    public BenchWorkload(int components, int dimension, int keys, long seed) {
        if (components < 1 || dimension < 1 || keys < 1) {
            throw new IllegalArgumentException("need components, dimension and keys >= 1");
        }
        this.keys = keys;
        this.rng = new SplittableRandom(seed);
        double[] weights = new double[components];
        double[][] means = new double[components][dimension];
        double[][][] covariances = new double[components][dimension][dimension];
        // means ~ N(0, σ²I) with E|μ_a − μ_b|² = 2Dσ² = 36, redrawn (and spread wider after many tries) until
        // every pair is at least MIN_SEPARATION apart: K clusters an estimator with K components can resolve
        double spread = 6 / Math.sqrt(2.0 * dimension);
        for (int attempt = 1; ; attempt++) {
            for (int c = 0; c < components; c++) {
                for (int i = 0; i < dimension; i++) {
                    means[c][i] = spread * rng.nextGaussian();
                }
            }
            if (minSeparation(means) >= MIN_SEPARATION) {
                break;
            }
            if (attempt % 100 == 0) {
                spread *= 1.1;
            }
        }
        for (int c = 0; c < components; c++) {
            weights[c] = 1;
            for (int i = 0; i < dimension; i++) {
                covariances[c][i][i] = 1;
            }
        }
        this.truth = GaussianMixture.of(CovarianceType.FULL, weights, means, covariances);
        this.x = new double[dimension];
    }

    /** The generating mixture. */
    public GaussianMixture truth() {
        return truth;
    }

    private static double minSeparation(double[][] means) {
        double min = Double.POSITIVE_INFINITY;
        for (int a = 0; a < means.length; a++) {
            for (int b = a + 1; b < means.length; b++) {
                double sq = 0;
                for (int i = 0; i < means[a].length; i++) {
                    double t = means[a][i] - means[b][i];
                    sq += t * t;
                }
                min = Math.min(min, Math.sqrt(sq));
            }
        }
        return min;
    }

    /** The key of the next record (round-robin over the keys). */
    public String nextKey() {
        return "model-" + (sent % keys);
    }

    /** The value of the next record, stamped with {@code timestampMs}; advances to the next record. */
    public byte[] nextValue(long timestampMs) {
        truth.sample(rng, x);
        text.setLength(0);
        text.append("{\"x\":[");
        for (int i = 0; i < x.length; i++) {
            if (i > 0) {
                text.append(',');
            }
            text.append((float) x[i]); // ~8 significant digits, like typical sensor data
        }
        text.append("],\"ts\":").append(timestampMs).append('}');
        sent++;
        return text.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** Records produced so far. */
    public long sent() {
        return sent;
    }
}
