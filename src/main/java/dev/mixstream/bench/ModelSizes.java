package dev.mixstream.bench;

import dev.mixstream.gmm.ModelStateCodec;
import dev.mixstream.gmm.CovarianceType;
import dev.mixstream.gmm.MixtureConfig;
import dev.mixstream.gmm.OnlineMixture;

/**
 * Bytes one model takes in the state store (its {@link ModelStateCodec} form): while warming up
 * (the buffer of W − 1 points, just before initialisation; what the models store writes at a commit is a head of at
 * most B − 1 of them, {@link ModelStateCodec#encodeHead}, and each full block of B once) and once running, W points
 * after its initialisation (statistics, drift tracking, and for FULL covariances with batch size 1 the Cholesky
 * factors that rank-one updates moved; no pending mini-batch, no re-fit in progress), of which the models store writes
 * at a commit a running head ({@link ModelStateCodec#encodeRunningHead}) and at a refresh of the anomaly reference its
 * record ({@link ModelStateCodec#encodeReference}).
 */
public final class ModelSizes {
    /** One row of the table. */
    public record Size(int components, int dimension, String covarianceType, int warmup, int warmupBytes,
                       int runningBytes, int largestHeadBytes, int blockBytes, int runningHeadBytes,
                       int referenceBytes) {
    }

    private ModelSizes() {
    }

    /** Measures a model of K components in D dimensions with the default configuration otherwise. */
    public static Size measure(int components, int dimension, CovarianceType type) {
        MixtureConfig config = MixtureConfig.defaults(components, type);
        OnlineMixture model = new OnlineMixture(config);
        int warmup = config.warmupFor(dimension);
        double[] x = new double[dimension];
        java.util.SplittableRandom rng = new java.util.SplittableRandom(7);
        int warmupBytes = 0;
        int largestHead = 0;
        int blockBytes = 0;
        for (int i = 0; i < 2 * warmup; i++) {
            if (i == warmup - 1) {
                warmupBytes = ModelStateCodec.encode(model).length;
            }
            int b = ModelStateCodec.BLOCK_POINTS;
            if (i < warmup && (i % b == b - 1 || i == warmup - 1)) { // the most points after a block
                largestHead = Math.max(largestHead, ModelStateCodec.encodeHead(model).length);
            }
            if (i < warmup && blockBytes == 0 && ModelStateCodec.fullBlocks(model) > 0) {
                blockBytes = ModelStateCodec.encodeBlock(model, 0).length;
            }
            for (int j = 0; j < dimension; j++) {
                x[j] = rng.nextGaussian() + (i % components) * 6; // K well-separated clusters
            }
            model.learn(x, s -> { });
        }
        if (!model.isInitialised()) {
            throw new IllegalStateException("model did not initialise after its warm-up");
        }
        return new Size(components, dimension, type.name().toLowerCase(java.util.Locale.ROOT), warmup, warmupBytes,
                ModelStateCodec.encode(model).length, largestHead, blockBytes,
                ModelStateCodec.encodeRunningHead(model).length, ModelStateCodec.encodeReference(model).length);
    }
}
