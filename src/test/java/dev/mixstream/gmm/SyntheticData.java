package dev.mixstream.gmm;

import java.util.SplittableRandom;

/** Seeded synthetic mixtures and samples for tests (and the JMH benchmarks in {@code src/jmh}). */
public final class SyntheticData {
    private SyntheticData() {
    }

    /** Three well-separated 2-D components (spacing 6, unit-ish covariances). */
    static GaussianMixture separated2d() {
        return GaussianMixture.of(CovarianceType.FULL, new double[]{0.5, 0.3, 0.2},
                new double[][]{{0, 0}, {6, 0}, {0, 6}},
                new double[][][]{{{1, 0.3}, {0.3, 1}}, {{0.5, 0}, {0, 2}}, {{1, -0.5}, {-0.5, 1}}});
    }

    /**
     * K equally weighted components in D dimensions with identity covariances (as {@code type}) and means
     * drawn from N(0, spread² I), drawing from {@code rng} (which then goes on, e.g. to sample the points).
     */
    public static GaussianMixture unitClusters(CovarianceType type, int k, int d, double spread,
                                               SplittableRandom rng) {
        double[] w = new double[k];
        double[][] means = new double[k][d];
        double[][][] covs = new double[k][d][d];
        for (int c = 0; c < k; c++) {
            w[c] = 1;
            for (int i = 0; i < d; i++) {
                means[c][i] = spread * rng.nextGaussian();
                covs[c][i][i] = 1;
            }
        }
        return GaussianMixture.of(type, w, means, covs);
    }

    /**
     * K components in D dimensions with random full covariances Σ = A Aᵀ / D + 0.2 I and means drawn
     * from N(0, spread² I): with spread 2 the components overlap.
     */
    static GaussianMixture randomFull(int k, int d, double spread, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] w = new double[k];
        double[][] means = new double[k][d];
        double[][][] covs = new double[k][d][d];
        for (int c = 0; c < k; c++) {
            w[c] = 0.5 + rng.nextDouble();
            for (int i = 0; i < d; i++) {
                means[c][i] = spread * rng.nextGaussian();
            }
            double[][] a = new double[d][d];
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    a[i][j] = rng.nextGaussian();
                }
            }
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    double s = 0;
                    for (int t = 0; t < d; t++) {
                        s += a[i][t] * a[j][t];
                    }
                    covs[c][i][j] = s / d + (i == j ? 0.2 : 0);
                }
            }
        }
        return GaussianMixture.of(CovarianceType.FULL, w, means, covs);
    }

    /**
     * K components in D dimensions of the given covariance type, unequal weights (0.5 to 1.5 before
     * normalising), means from N(0, spread² I) and random covariances: FULL Σ = A Aᵀ / D + 0.2 I, DIAG
     * variances uniform in [0.2, 3], SPHERICAL one variance uniform in [0.2, 3]. Component 0 is then made
     * concentric with component 1 at three times its scale (a wide component under a narrow one, as a heavy
     * tail is often fitted), so that the model's tail is shaped by overlapping components.
     */
    static GaussianMixture randomOverlapping(CovarianceType type, int k, int d, double spread, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] w = new double[k];
        double[][] means = new double[k][d];
        double[][][] covs = new double[k][d][d];
        for (int c = 0; c < k; c++) {
            w[c] = 0.5 + rng.nextDouble();
            for (int i = 0; i < d; i++) {
                means[c][i] = spread * rng.nextGaussian();
            }
            if (type == CovarianceType.FULL) {
                double[][] a = new double[d][d];
                for (int i = 0; i < d; i++) {
                    for (int j = 0; j < d; j++) {
                        a[i][j] = rng.nextGaussian();
                    }
                }
                for (int i = 0; i < d; i++) {
                    for (int j = 0; j < d; j++) {
                        double s = 0;
                        for (int t = 0; t < d; t++) {
                            s += a[i][t] * a[j][t];
                        }
                        covs[c][i][j] = s / d + (i == j ? 0.2 : 0);
                    }
                }
            } else {
                double v = 0.2 + 2.8 * rng.nextDouble();
                for (int i = 0; i < d; i++) {
                    covs[c][i][i] = type == CovarianceType.DIAG ? 0.2 + 2.8 * rng.nextDouble() : v;
                }
            }
        }
        if (k > 1) {
            means[0] = means[1].clone();
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    covs[0][i][j] = 9 * covs[1][i][j];
                }
            }
        }
        return GaussianMixture.of(type, w, means, covs);
    }

    /** The same mixture with every mean moved by {@code shift} (added to each coordinate). */
    static GaussianMixture shifted(GaussianMixture g, double shift) {
        int k = g.components();
        double[][] means = new double[k][];
        double[][][] covs = new double[k][][];
        for (int c = 0; c < k; c++) {
            means[c] = g.mean(c);
            for (int i = 0; i < means[c].length; i++) {
                means[c][i] += shift;
            }
            covs[c] = g.covariance(c);
        }
        return GaussianMixture.of(g.covarianceType(), g.weights(), means, covs);
    }

    static double[][] sample(GaussianMixture g, int n, SplittableRandom rng) {
        double[][] out = new double[n][g.dimension()];
        for (double[] x : out) {
            g.sample(rng, x);
        }
        return out;
    }
}
