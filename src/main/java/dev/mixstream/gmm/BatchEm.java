package dev.mixstream.gmm;

import java.util.SplittableRandom;

/**
 * Classic batch EM over an in-memory data set with the same parameterisation as the online
 * engine: k-means++ initialisation, {@code nInit} restarts keeping the best, stopping when the
 * mean log-likelihood changes by less than {@code tol} or after {@code maxIter} iterations.
 * The reference that online results are judged against, and the warm-up initialiser.
 */
public final class BatchEm {
    /** Weight share under which a component is considered dead during batch EM and re-seeded. */
    static final double DEAD_SHARE = 1e-8;
    private static final int LLOYD_ITERATIONS = 10;

    private BatchEm() {
    }

    /**
     * Options of a batch fit, named as in scikit-learn.
     *
     * @param nInit   number of initialisations; the best final log-likelihood wins
     * @param maxIter maximum EM iterations per initialisation
     * @param tol     convergence threshold on the change of mean log-likelihood per point
     */
    public record Options(int nInit, int maxIter, double tol) {
        public Options {
            if (nInit < 1) {
                throw new IllegalArgumentException("n_init must be >= 1, got " + nInit);
            }
            if (maxIter < 1) {
                throw new IllegalArgumentException("max_iter must be >= 1, got " + maxIter);
            }
            if (!(tol >= 0)) {
                throw new IllegalArgumentException("tol must be >= 0, got " + tol);
            }
        }

        /** scikit-learn's defaults: n_init 1, max_iter 100, tol 1e-3. */
        public static Options defaults() {
            return new Options(1, 100, 1e-3);
        }
    }

    /**
     * The outcome of a batch fit.
     *
     * @param mixture           the fitted parameters
     * @param meanLogLikelihood mean log p(x) of the data under {@code mixture}
     * @param iterations        EM iterations of the winning initialisation
     * @param converged         whether it met {@code tol} before {@code maxIter}
     */
    public record Result(GaussianMixture mixture, double meanLogLikelihood, int iterations, boolean converged) {
    }

    /** Fits a mixture with {@code config}'s K, covariance type, reg_covar and seed. */
    public static Result fit(double[][] points, MixtureConfig config, Options options) {
        Fit best = null;
        SplittableRandom rng = new SplittableRandom(config.seed());
        for (int init = 0; init < options.nInit(); init++) {
            Fit f = fitOnce(points, config, options, rng.split());
            if (best == null || f.meanLogLikelihood > best.meanLogLikelihood) {
                best = f;
            }
        }
        best = SplitMerge.improve(points, best, config.regCovar(), options.maxIter(), options.tol());
        return new Result(best.mixture, best.meanLogLikelihood, best.iterations, best.converged);
    }

    /** One fit from one k-means++ start; also hands back its last statistics (for the online engine). */
    static Fit fitOnce(double[][] points, MixtureConfig config, Options options, SplittableRandom rng) {
        int n = points.length;
        if (n == 0) {
            throw new IllegalArgumentException("no points to fit");
        }
        int k = config.components();
        int d = points[0].length;
        CovarianceType type = config.covarianceType();
        SufficientStatistics stats = new SufficientStatistics(k, d, type);
        GaussianMixture mixture = new GaussianMixture(k, d, type);
        double[] responsibilities = new double[k];
        // initial M-step from the hard k-means++ / Lloyd assignment
        int[] labels = KMeansPlusPlus.assign(points, k, rng, LLOYD_ITERATIONS);
        for (int i = 0; i < n; i++) {
            java.util.Arrays.fill(responsibilities, 0.0);
            responsibilities[labels[i]] = 1.0;
            stats.accumulate(points[i], responsibilities, 1.0);
        }
        DeadComponentSplit.reseedStarving(stats, DEAD_SHARE);
        stats.normalise();
        stats.maximise(mixture, config.regCovar());

        Loop loop = iterate(points, mixture, stats, config.regCovar(), options.maxIter(), options.tol());
        return new Fit(mixture, stats, mixture.meanLogLikelihood(points), loop.iterations, loop.converged);
    }

    /**
     * EM iterations from the current {@code mixture}: E-step (responsibilities and statistics of every
     * point), dead components re-seeded, M-step, until the mean log-likelihood changes by less than
     * {@code tol}. Leaves the normalised statistics in {@code stats} and their M-step in {@code mixture}.
     */
    static Loop iterate(double[][] points, GaussianMixture mixture, SufficientStatistics stats, double regCovar,
                        int maxIter, double tol) {
        double[] responsibilities = new double[mixture.components()];
        double previous = Double.NEGATIVE_INFINITY;
        int iter = 0;
        while (iter < maxIter) {
            iter++;
            stats.reset();
            double total = 0;
            for (double[] x : points) {
                total += mixture.score(x, responsibilities); // E-step
                stats.accumulate(x, responsibilities, 1.0);
            }
            double current = total / points.length;
            DeadComponentSplit.reseedStarving(stats, DEAD_SHARE);
            stats.normalise();
            stats.maximise(mixture, regCovar); // M-step
            if (Math.abs(current - previous) < tol) {
                return new Loop(iter, true);
            }
            previous = current;
        }
        return new Loop(iter, false);
    }

    /** How an EM loop ended. */
    record Loop(int iterations, boolean converged) {
    }

    /** A finished fit with the normalised statistics its parameters were computed from. */
    record Fit(GaussianMixture mixture, SufficientStatistics statistics, double meanLogLikelihood,
               int iterations, boolean converged) {
    }
}
