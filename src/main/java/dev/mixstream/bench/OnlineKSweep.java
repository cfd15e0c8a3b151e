package dev.mixstream.bench;

import dev.mixstream.gmm.CovarianceType;
import dev.mixstream.gmm.GaussianMixture;
import dev.mixstream.gmm.MixtureConfig;
import dev.mixstream.gmm.OnlineMixture;
import dev.mixstream.gmm.ScoreSink;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The accuracy sweep of automatic K ({@code mixstream.components=auto}): seeded synthetic streams with a known number
 * of clusters, learned online one point at a time, and checked against the truth.
 *
 * <ul>
 *   <li><b>Stationary</b> ({@link #stationary}): true K in {1, 2, 3, 5, 8}, D in {2, 8}, clusters
 *       {@link Separation#WELL_SEPARATED well separated} or {@link Separation#OVERLAPPING overlapping}; after the
 *       stream, is the model's K the true K, and how far is its held-out log-likelihood per point below the true
 *       mixture's?</li>
 *   <li><b>Appear / vanish</b> ({@link #appearVanish}): a cluster joins the stream, later one leaves; how many points
 *       (in half-lives) until the model's K equals the new true K and stays there?</li>
 * </ul>
 * Clusters: covariances R diag(λ) Rᵀ with a random rotation R and eigenvalues λ uniform in [0.5, 1.5]; weights
 * uniform in [0.5, 1.5] before normalising; means drawn in a box sized so that every pair of means is at least the
 * separation's distance apart (well separated 8, overlapping 3.5, in units of a cluster's typical standard deviation
 * 1; at 3.5 two clusters overlap visibly and are still two modes).
 */
public final class OnlineKSweep {
    private OnlineKSweep() {
    }

    /** How far apart the true clusters are. */
    public enum Separation {
        WELL_SEPARATED(8.0), OVERLAPPING(3.5);

        /** Least distance between two means. */
        final double distance;

        Separation(double distance) {
            this.distance = distance;
        }

        public String label() {
            return this == WELL_SEPARATED ? "separated" : "overlapping";
        }
    }

    /** The outcome of one stationary stream. */
    public record StationaryRun(int trueK, int dimension, Separation separation, long seed, int finalK,
                                double heldOutGap, long reviews, double microsPerPoint) {
        /** Whether K came out right. */
        public boolean correct() {
            return finalK == trueK;
        }
    }

    /** The outcome of one appear / vanish stream: the lags of K, in half-lives (infinite when K never followed). */
    public record ChangeRun(int dimension, long seed, double appearLag, double vanishLag) {
    }

    /** Points a stationary stream of dimension D has: enough for K = 8 to be estimated well in 8 dimensions. */
    public static int streamLength(int dimension) {
        return dimension <= 2 ? 40_000 : 80_000;
    }

    /** The configuration the sweep learns with: automatic K up to 12, full covariances, no half-life. */
    public static MixtureConfig stationaryConfig(long seed) {
        return MixtureConfig.defaults(1).withHalfLife(Double.POSITIVE_INFINITY).withSeed(seed)
                .withMinWeight(MixtureConfig.defaultMinWeight(12)).withAutomaticComponents(12);
    }

    /** A true mixture: K clusters in D dimensions at the separation, drawn from {@code rng}. */
    public static GaussianMixture truth(int k, int d, Separation separation, SplittableRandom rng) {
        double[] w = new double[k];
        double[][] means = new double[k][];
        double[][][] covs = new double[k][][];
        // a box whose volume holds K balls of the separation's diameter with room to spare
        double side = separation.distance * Math.max(1.0, Math.pow(4.0 * k, 1.0 / d));
        for (int c = 0; c < k; c++) {
            w[c] = 0.5 + rng.nextDouble();
            covs[c] = randomCovariance(d, rng);
            for (int attempt = 0; ; attempt++) {
                double[] mu = new double[d];
                for (int i = 0; i < d; i++) {
                    mu[i] = side * (rng.nextDouble() - 0.5);
                }
                if (farEnough(mu, means, c, separation.distance)) {
                    means[c] = mu;
                    break;
                }
                if (attempt % 100 == 99) {
                    side *= 1.1;
                }
            }
        }
        return GaussianMixture.of(CovarianceType.FULL, w, means, covs);
    }

    private static boolean farEnough(double[] mu, double[][] means, int placed, double distance) {
        for (int c = 0; c < placed; c++) {
            double s = 0;
            for (int i = 0; i < mu.length; i++) {
                double t = mu[i] - means[c][i];
                s += t * t;
            }
            if (s < distance * distance) {
                return false;
            }
        }
        return true;
    }

    /** R diag(λ) Rᵀ, R a random rotation (Gram–Schmidt of a Gaussian matrix), λ uniform in [0.5, 1.5]. */
    static double[][] randomCovariance(int d, SplittableRandom rng) {
        double[][] q = new double[d][d];
        for (int a = 0; a < d; a++) {
            for (int i = 0; i < d; i++) {
                q[a][i] = rng.nextGaussian();
            }
            for (int b = 0; b < a; b++) {
                double dot = 0;
                for (int i = 0; i < d; i++) {
                    dot += q[a][i] * q[b][i];
                }
                for (int i = 0; i < d; i++) {
                    q[a][i] -= dot * q[b][i];
                }
            }
            double norm = 0;
            for (int i = 0; i < d; i++) {
                norm += q[a][i] * q[a][i];
            }
            norm = Math.sqrt(norm);
            for (int i = 0; i < d; i++) {
                q[a][i] /= norm;
            }
        }
        double[] lambda = new double[d];
        for (int a = 0; a < d; a++) {
            lambda[a] = 0.5 + rng.nextDouble();
        }
        double[][] cov = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double s = 0;
                for (int a = 0; a < d; a++) {
                    s += q[a][i] * lambda[a] * q[a][j];
                }
                cov[i][j] = s;
            }
        }
        return cov;
    }

    /**
     * One stationary stream: {@link #streamLength} points of a {@link #truth} mixture learned online with
     * {@link #stationaryConfig}; the held-out gap is mean log p_true(x) − mean log p_model(x) over 20 000 fresh points.
     */
    public static StationaryRun stationary(int k, int d, Separation separation, long seed) {
        SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 31L * k + d);
        GaussianMixture truth = truth(k, d, separation, rng);
        OnlineMixture model = new OnlineMixture(stationaryConfig(seed));
        ScoreSink ignore = s -> { };
        int n = streamLength(d);
        double[] x = new double[d];
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            truth.sample(rng, x);
            model.learn(x, ignore);
        }
        double micros = (System.nanoTime() - start) / 1e3 / n;
        double[][] heldOut = new double[20_000][d];
        for (double[] p : heldOut) {
            truth.sample(rng, p);
        }
        double gap = truth.meanLogLikelihood(heldOut) - model.parameters().meanLogLikelihood(heldOut);
        return new StationaryRun(k, d, separation, seed, model.components(), gap, model.reviews(), micros);
    }

    /** The true K of the stationary sweep. */
    public static final int[] TRUE_K = {1, 2, 3, 5, 8};
    /** The dimensions of the sweep. */
    public static final int[] DIMENSIONS = {2, 8};

    /** The held-out gap the target allows, in nats per point. */
    public static final double GAP_TARGET = 0.01;
    /** The share of seeds a case must get right. */
    public static final double SHARE_TARGET = 0.9;
    /** The lag the target allows after a cluster appears or vanishes, in half-lives. */
    public static final double LAG_TARGET = 2;

    /** One stationary case over its seeds. */
    public record StationaryCase(int trueK, int dimension, Separation separation, List<StationaryRun> runs) {
        /** Runs whose K is the true K. */
        public long rightK() {
            return runs.stream().filter(StationaryRun::correct).count();
        }

        /** Runs whose K is the true K and whose held-out gap is within {@link #GAP_TARGET}. */
        public long right() {
            return runs.stream().filter(r -> r.correct() && r.heldOutGap() <= GAP_TARGET).count();
        }

        /** Whether at least {@link #SHARE_TARGET} of the seeds are {@link #right}. */
        public boolean met() {
            return right() >= Math.ceil(SHARE_TARGET * runs.size() - 1e-9);
        }

        public double medianGap() {
            double[] g = runs.stream().mapToDouble(StationaryRun::heldOutGap).sorted().toArray();
            return g[g.length / 2];
        }

        public double worstGap() {
            return runs.stream().mapToDouble(StationaryRun::heldOutGap).max().orElse(Double.NaN);
        }

        public double microsPerPoint() {
            return runs.stream().mapToDouble(StationaryRun::microsPerPoint).average().orElse(Double.NaN);
        }

        /** The runs that missed, as "seed:K/gap". */
        public String misses() {
            StringBuilder b = new StringBuilder();
            for (StationaryRun r : runs) {
                if (!(r.correct() && r.heldOutGap() <= GAP_TARGET)) {
                    b.append(b.length() == 0 ? "" : " ").append(String.format(java.util.Locale.ROOT, "%d:K=%d/%.3f",
                            r.seed(), r.finalK(), r.heldOutGap()));
                }
            }
            return b.toString();
        }
    }

    /** Every stationary case for seeds 1 … seeds, the runs spread over {@code threads} threads; in case order. */
    public static List<StationaryCase> stationarySweep(int seeds, int threads) {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            List<StationaryCase> cases = new ArrayList<>();
            List<List<java.util.concurrent.Future<StationaryRun>>> futures = new ArrayList<>();
            for (int d : DIMENSIONS) {
                for (Separation s : Separation.values()) {
                    for (int k : TRUE_K) {
                        List<java.util.concurrent.Future<StationaryRun>> runs = new ArrayList<>();
                        for (long seed = 1; seed <= seeds; seed++) {
                            long sd = seed;
                            runs.add(pool.submit(() -> stationary(k, d, s, sd)));
                        }
                        futures.add(runs);
                    }
                }
            }
            for (List<java.util.concurrent.Future<StationaryRun>> runs : futures) {
                List<StationaryRun> done = new ArrayList<>();
                for (java.util.concurrent.Future<StationaryRun> f : runs) {
                    done.add(join(f));
                }
                StationaryRun first = done.get(0);
                cases.add(new StationaryCase(first.trueK(), first.dimension(), first.separation(), List.copyOf(done)));
            }
            return cases;
        } finally {
            pool.shutdownNow();
        }
    }

    /** The appear / vanish streams of one dimension over its seeds. */
    public record ChangeCase(int dimension, List<ChangeRun> runs) {
        /** Runs whose K followed the appearing cluster within {@link #LAG_TARGET}. */
        public long appearedInTime() {
            return runs.stream().filter(r -> r.appearLag() <= LAG_TARGET).count();
        }

        /** Runs whose K followed the vanishing cluster within {@link #LAG_TARGET}. */
        public long vanishedInTime() {
            return runs.stream().filter(r -> r.vanishLag() <= LAG_TARGET).count();
        }

        public boolean met() {
            double least = Math.ceil(SHARE_TARGET * runs.size() - 1e-9);
            return appearedInTime() >= least && vanishedInTime() >= least;
        }

        public double worstAppearLag() {
            return runs.stream().mapToDouble(ChangeRun::appearLag).max().orElse(Double.NaN);
        }

        public double worstVanishLag() {
            return runs.stream().mapToDouble(ChangeRun::vanishLag).max().orElse(Double.NaN);
        }
    }

    /** The appear / vanish streams of each dimension for seeds 1 … seeds, over {@code threads} threads. */
    public static List<ChangeCase> changeSweep(int seeds, int threads) {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            List<ChangeCase> cases = new ArrayList<>();
            for (int d : DIMENSIONS) {
                List<java.util.concurrent.Future<ChangeRun>> runs = new ArrayList<>();
                for (long seed = 1; seed <= seeds; seed++) {
                    long sd = seed;
                    runs.add(pool.submit(() -> appearVanish(d, sd)));
                }
                List<ChangeRun> done = new ArrayList<>();
                for (java.util.concurrent.Future<ChangeRun> f : runs) {
                    done.add(join(f));
                }
                cases.add(new ChangeCase(d, List.copyOf(done)));
            }
            return cases;
        } finally {
            pool.shutdownNow();
        }
    }

    private static <T> T join(java.util.concurrent.Future<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** The half-life of the appear / vanish streams, in points. */
    public static final double CHANGE_HALF_LIFE = 5_000;

    /**
     * One appear / vanish stream of well-separated clusters in D dimensions with {@link #CHANGE_HALF_LIFE}: three
     * clusters for 6 half-lives, then a fourth joins (all four equally likely) for 6 half-lives, then the first
     * leaves for 6 half-lives. A lag is the points from the change until the model's K equals the new true K for
     * good (to the end of that phase), in half-lives; infinite if it never does.
     */
    public static ChangeRun appearVanish(int d, long seed) {
        SplittableRandom rng = new SplittableRandom(seed * 0xC2B2AE3D27D4EB4FL + d);
        GaussianMixture four = truth(4, d, Separation.WELL_SEPARATED, rng);
        double[][] means = new double[4][];
        double[][][] covs = new double[4][][];
        for (int c = 0; c < 4; c++) {
            means[c] = four.mean(c);
            covs[c] = four.covariance(c);
        }
        GaussianMixture before = GaussianMixture.of(CovarianceType.FULL, new double[]{1, 1, 1},
                java.util.Arrays.copyOfRange(means, 0, 3), java.util.Arrays.copyOfRange(covs, 0, 3));
        GaussianMixture during = GaussianMixture.of(CovarianceType.FULL, new double[]{1, 1, 1, 1}, means, covs);
        GaussianMixture after = GaussianMixture.of(CovarianceType.FULL, new double[]{1, 1, 1},
                java.util.Arrays.copyOfRange(means, 1, 4), java.util.Arrays.copyOfRange(covs, 1, 4));
        MixtureConfig config = MixtureConfig.defaults(1).withHalfLife(CHANGE_HALF_LIFE).withSeed(seed)
                .withMinWeight(MixtureConfig.defaultMinWeight(12)).withAutomaticComponents(12);
        OnlineMixture model = new OnlineMixture(config);
        ScoreSink ignore = s -> { };
        int phase = (int) (6 * CHANGE_HALF_LIFE);
        double[] x = new double[d];
        double[] lags = new double[2];
        GaussianMixture[] phases = {before, during, after};
        int[] trueK = {3, 4, 3};
        for (int p = 0; p < 3; p++) {
            long lastWrong = -1;
            for (int i = 0; i < phase; i++) {
                phases[p].sample(rng, x);
                model.learn(x, ignore);
                if (model.components() != trueK[p]) {
                    lastWrong = i;
                }
            }
            if (p > 0) {
                lags[p - 1] = model.components() != trueK[p] ? Double.POSITIVE_INFINITY
                        : (lastWrong + 1) / CHANGE_HALF_LIFE;
            }
        }
        return new ChangeRun(d, seed, lags[0], lags[1]);
    }
}
