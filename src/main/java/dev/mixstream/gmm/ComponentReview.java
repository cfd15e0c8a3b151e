package dev.mixstream.gmm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Online choice of K: a review of a running model's components on a sample of recent points, which lets a component
 * die, two merge, one split in two, or a new one be born.
 *
 * <ol>
 *   <li><b>Deaths.</b> A component whose recent share of responsibility r_k ({@link DriftWatch}) is below min_weight
 *       dies: the data left it. (The one with the largest share always survives.)</li>
 *   <li><b>Moves.</b> The sample is split in two halves (even and odd points). Each candidate move is fitted on the
 *       first half by partial EM (Ueda et al. 2000): only the components the move creates are re-estimated, the
 *       others keep the parameters the stream taught them, their weights scaled to make room. The move is then judged
 *       on the other half, which it has not seen: its gain G in log-likelihood there, scaled to the whole sample.
 *       A split or birth is made when G exceeds both {@link #ADD_MARGIN} nat per parameter it adds (p = D + D(D+1)/2
 *       + 1 for a full component: 6 in 2 dimensions, 45 in 8) and {@link #SIGNIFICANCE} standard errors of G (the
 *       spread of the per-point gains): a significant gain, not a lucky half. A merge is not fitted at all: the
 *       moment-matched merge of the two components as the stream taught them is judged on the whole sample, and made
 *       when it loses less than {@link #REMOVE_MARGIN} nat per parameter it removes (G &gt; −p: the pair is not worth
 *       its parameters). The dead band between the two keeps a component from being split and merged back in turn;
 *       judging on unseen points keeps the noise of the fit out of the gain (a split fitted to noise loses on the
 *       other half). Without the standard-error test, a split of one 2-D Gaussian passed the 6-nat margin in about
 *       1 review in 30; with a merge re-fitted on half the sample and made only when G ≥ 0, two components sharing
 *       one cluster stayed apart (the re-fit's own noise outweighed what the pair lost).
 *       The candidates:
 *       <ul>
 *         <li>merge the {@link #MERGE_CANDIDATES} closest pairs (means apart by the fewest standard deviations,
 *             δ² = ‖μ_i − μ_j‖² / (σ̄_i² + σ̄_j²)) into their moment-matched merge;</li>
 *         <li>split the {@link #SPLIT_CANDIDATES} components whose points look most like two clusters along their
 *             principal axis ({@link SplitMerge#kurtosisDeficit}), from halves ± ½√λ along it (K &lt; max); the two
 *             halves are fitted sharing one covariance ({@link #pool}), then each with its own, and the version that
 *             predicts the judging half better is judged;</li>
 *         <li>a birth at the worst-explained sampled point, with the components' average covariance (K &lt; max);</li>
 *         <li>merge the closest pair and split the likeliest two-cluster component at once (K unchanged: no
 *             parameters' margin, but the standard errors): the local optimum where one component covers two clusters
 *             while two share one.</li>
 *       </ul>
 *       The best move is made, its components re-fitted on the whole sample, and the search repeats on the components
 *       no move has touched yet, at most {@link #MAX_MOVES} moves per review. A move whose new components would hold
 *       fewer than D+1 points of the fitting half (full; 2 otherwise) or less than min_weight of it is refused.</li>
 * </ol>
 * The outcome is a list of {@link Part}s, from which {@link OnlineMixture} builds its new statistics: kept components
 * keep theirs, a merge is the exact merge of the two components' statistics, and split halves and newborn components
 * take the parameters fitted on the sample (a split's halves share their parent's mass).
 *
 * <p>Deterministic: no randomness, ties broken by component order. Cost: per split, birth or same-K candidate at most
 * {@link #PARTIAL_ITERATIONS} E-steps of its components over half the sample (twice for a split: shared, then own
 * covariances), per merge one pass over the sample.
 */
final class ComponentReview {
    /** Closest pairs tried for a merge per round. */
    static final int MERGE_CANDIDATES = 3;
    /** Components tried for a split per round. */
    static final int SPLIT_CANDIDATES = 3;
    /** Moves applied per review, at most. */
    static final int MAX_MOVES = 3;
    /** A split or birth must gain at least this many nats per parameter it adds (judged on the second half, scaled). */
    static final double ADD_MARGIN = 1;
    /** A merge may lose less than this many nats per parameter it removes (judged on the whole sample). */
    static final double REMOVE_MARGIN = 1;
    /** Standard errors (of the gain on the judging half) by which a split, birth or swap must win. */
    static final double SIGNIFICANCE = 3;
    /** Partial EM stops when the log-likelihood changes by less than this per point (0.1 nat per 1 000 points). */
    static final double CONVERGED = 1e-4;
    /** Partial-EM iterations per candidate, at most. */
    static final int PARTIAL_ITERATIONS = 20;

    private ComponentReview() {
    }

    /** What a move does. */
    enum Move {
        MERGE, SPLIT, BIRTH, SWAP
    }

    /**
     * One component after the review.
     *
     * @param id         its component id, or −1 for a new component (the model gives it the next id)
     * @param source     the index, in the reviewed model, of the component whose statistics it keeps (merged with
     *                   {@code mergedWith}'s when that is ≥ 0); −1 when its parameters were fitted on the sample
     * @param mergedWith the index of the component merged into {@code source}, or −1
     * @param splitFrom  for a fitted part, the index of the component it is half of (−1: a birth)
     * @param weight     its weight π in the reviewed parameters (a split's halves share their parent's mass in this
     *                   ratio; a birth's statistics get this share of the model)
     * @param mean       μ (fitted parts)
     * @param covariance Σ in the covariance type's storage (fitted parts)
     */
    record Part(int id, int source, int mergedWith, int splitFrom, double weight, double[] mean,
                double[] covariance) {
        boolean fitted() {
            return source < 0;
        }
    }

    /** The components after the review, and how many of each kind of change made them. */
    record Outcome(List<Part> parts, int deaths, int merges, int splits, int births) {
        boolean changed() {
            return deaths + merges + splits + births > 0;
        }
    }

    /** A part of the review in progress: its parameters, and whether a move made it (it takes no other move). */
    private static final class Working {
        final int id;
        final int source;
        final int mergedWith;
        final int splitFrom;
        double weight;
        final double[] mean;
        final double[] covariance;
        final boolean touched;

        Working(int id, int source, int mergedWith, int splitFrom, double weight, double[] mean, double[] covariance,
                boolean touched) {
            this.id = id;
            this.source = source;
            this.mergedWith = mergedWith;
            this.splitFrom = splitFrom;
            this.weight = weight;
            this.mean = mean;
            this.covariance = covariance;
            this.touched = touched;
        }
    }

    /** A candidate move fitted on the sample. */
    private record Trial(Move move, int[] removed, GaussianMixture fitted, double[] weights, double criterionChange,
                         double scaleOfOthers, int tied) {
    }

    /**
     * Reviews the model's components on the sampled points.
     *
     * @param points        the sample (n × D)
     * @param current       the model's parameters
     * @param ids           the components' ids
     * @param recentShare   each component's recent share of responsibility
     * @param minWeight     the starvation threshold
     * @param maxComponents the largest K allowed
     * @param regCovar      the covariance floor
     */
    static Outcome review(double[][] points, GaussianMixture current, int[] ids, double[] recentShare,
                          double minWeight, int maxComponents, double regCovar) {
        int k = current.components();
        int d = current.dimension();
        CovarianceType type = current.covarianceType();
        List<Working> parts = survivors(current, ids, recentShare, minWeight);
        int deaths = k - parts.size();
        int merges = 0;
        int splits = 0;
        int births = 0;
        for (int round = 0; round < MAX_MOVES; round++) {
            Trial best = bestMove(points, parts, type, d, minWeight, maxComponents, regCovar);
            if (best == null) {
                break;
            }
            apply(parts, best);
            switch (best.move()) {
                case MERGE -> merges++;
                case SPLIT -> splits++;
                case BIRTH -> births++;
                case SWAP -> {
                    merges++;
                    splits++;
                }
            }
        }
        return outcome(parts, deaths, merges, splits, births);
    }

    /** The deaths alone (step 1), which need no sample: the drift watch found a starving component. */
    static Outcome deaths(GaussianMixture current, int[] ids, double[] recentShare, double minWeight) {
        List<Working> parts = survivors(current, ids, recentShare, minWeight);
        return outcome(parts, current.components() - parts.size(), 0, 0, 0);
    }

    private static Outcome outcome(List<Working> parts, int deaths, int merges, int splits, int births) {
        List<Part> out = new ArrayList<>(parts.size());
        for (Working w : parts) {
            out.add(new Part(w.id, w.source, w.mergedWith, w.splitFrom, w.weight, w.mean, w.covariance));
        }
        return new Outcome(List.copyOf(out), deaths, merges, splits, births);
    }

    /** The components that do not starve (the one with the largest recent share at least), weights renormalised. */
    private static List<Working> survivors(GaussianMixture current, int[] ids, double[] recentShare, double minWeight) {
        int k = current.components();
        List<Working> parts = new ArrayList<>();
        int survivor = LogSumExp.argmax(recentShare, k);
        double mass = 0;
        for (int c = 0; c < k; c++) {
            if (c == survivor || recentShare[c] >= minWeight) {
                mass += current.weight(c);
            }
        }
        for (int c = 0; c < k; c++) {
            if (c == survivor || recentShare[c] >= minWeight) {
                parts.add(new Working(ids[c], c, -1, -1, current.weight(c) / mass, current.mean(c),
                        current.covarianceArray(c).clone(), false));
            }
        }
        return parts;
    }

    /** Points with their log π_c N(x | c) under the current components, and log p(x). */
    private static final class Sample {
        final double[][] points;
        final double[][] logp;
        final double[] total;
        final double logLikelihood;

        Sample(double[][] points, GaussianMixture g) {
            int k = g.components();
            this.points = points;
            this.logp = new double[points.length][k];
            this.total = new double[points.length];
            double sum = 0;
            for (int i = 0; i < points.length; i++) {
                for (int c = 0; c < k; c++) {
                    logp[i][c] = Math.log(g.weight(c)) + g.logDensity(c, points[i]); // log π_c N(x_i | μ_c, Σ_c)
                }
                total[i] = LogSumExp.logSumExp(logp[i], k);
                sum += total[i];
            }
            this.logLikelihood = sum;
        }

        /** log Σ_{c not removed} π_c N(x_i | c) for every point. */
        double[] others(boolean[] removed) {
            int k = removed.length;
            double[] out = new double[points.length];
            double[] buffer = new double[k];
            for (int i = 0; i < points.length; i++) {
                int j = 0;
                for (int c = 0; c < k; c++) {
                    if (!removed[c]) {
                        buffer[j++] = logp[i][c];
                    }
                }
                out[i] = j == 0 ? Double.NEGATIVE_INFINITY : LogSumExp.logSumExp(buffer, j);
            }
            return out;
        }
    }

    /** The candidate that lowers the criterion most, if any lowers it. */
    private static Trial bestMove(double[][] points, List<Working> parts, CovarianceType type, int d,
                                  double minWeight, int maxComponents, double regCovar) {
        int k = parts.size();
        int n = points.length;
        GaussianMixture g = mixtureOf(parts, type, d, regCovar);
        // fitted on the even points, judged on the odd ones
        double[][] even = new double[(n + 1) / 2][];
        double[][] odd = new double[n / 2][];
        for (int i = 0; i < n; i++) {
            (i % 2 == 0 ? even : odd)[i / 2] = points[i];
        }
        Sample fit = new Sample(even, g);
        Sample test = new Sample(odd, g);
        Sample all = new Sample(points, g);
        double perComponent = InformationCriterion.parameters(2, d, type) - InformationCriterion.parameters(1, d, type);
        double minPoints = Math.max(minWeight * even.length, type == CovarianceType.FULL ? d + 1.0 : 2.0);
        Trial best = null;
        int[] closestPair = null;
        // merges: the closest untouched pairs
        if (k > 1) {
            List<int[]> pairs = new ArrayList<>();
            List<Double> distance = new ArrayList<>();
            for (int a = 0; a < k; a++) {
                for (int b = a + 1; b < k; b++) {
                    if (!parts.get(a).touched && !parts.get(b).touched) {
                        pairs.add(new int[]{a, b});
                        distance.add(KMeansPlusPlus.squaredDistance(g.meanArray(a), g.meanArray(b))
                                / (SplitMerge.meanVariance(g, a) + SplitMerge.meanVariance(g, b)));
                    }
                }
            }
            Integer[] order = sortedIndices(distance, false);
            closestPair = order.length > 0 ? pairs.get(order[0]) : null;
            for (int o = 0; o < Math.min(MERGE_CANDIDATES, order.length); o++) {
                int[] pair = pairs.get(order[o]);
                GaussianMixture start = subset(g, pair, type, d, regCovar);
                SplitMerge.mergeInto(start, 0, 1, regCovar);
                GaussianMixture one = subset(start, new int[]{0}, type, d, regCovar);
                // the moment-matched merge of what the stream taught both, judged on the whole sample: nothing of it
                // is fitted to the sample, so no half is needed to judge it without bias
                Trial t = judge(Move.MERGE, all, n, removedMask(pair, k), pair, one,
                        new double[]{g.weight(pair[0]) + g.weight(pair[1])}, 0, -REMOVE_MARGIN * perComponent, -1);
                best = better(best, t);
            }
        }
        // the untouched components that look most like two clusters, likeliest first
        double[][] gamma = new double[n][k];
        double[] weightTotal = new double[k];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < k; c++) {
                gamma[i][c] = Math.exp(all.logp[i][c] - all.total[i]);
                weightTotal[c] += gamma[i][c];
            }
        }
        List<Integer> candidates = new ArrayList<>();
        List<Double> deficit = new ArrayList<>();
        for (int c = 0; c < k; c++) {
            if (!parts.get(c).touched) {
                candidates.add(c);
                deficit.add(SplitMerge.kurtosisDeficit(points, gamma, c, weightTotal[c], g));
            }
        }
        Integer[] order = sortedIndices(deficit, true);
        int[] splitOrder = new int[Math.min(SPLIT_CANDIDATES, order.length)];
        for (int o = 0; o < splitOrder.length; o++) {
            splitOrder[o] = candidates.get(order[o]);
        }
        if (k < maxComponents) {
            // splits
            for (int s : splitOrder) {
                GaussianMixture start = subset(g, new int[]{s, s}, type, d, regCovar);
                SplitMerge.splitInto(start, 0, 1, regCovar);
                Trial t = partialEm(Move.SPLIT, fit, test, n, g, new int[]{s}, start,
                        new double[]{g.weight(s) / 2, g.weight(s) / 2}, ADD_MARGIN * perComponent, minPoints, 0,
                        regCovar);
                best = better(best, t);
            }
            // a birth at the worst-explained point
            int worst = 0;
            for (int i = 1; i < fit.points.length; i++) {
                if (fit.total[i] < fit.total[worst]) {
                    worst = i;
                }
            }
            GaussianMixture start = subset(g, new int[]{0}, type, d, regCovar);
            double[] cov = start.covarianceArray(0);
            Arrays.fill(cov, 0);
            for (int c = 0; c < k; c++) {
                double[] cc = g.covarianceArray(c);
                for (int a = 0; a < cov.length; a++) {
                    cov[a] += g.weight(c) * cc[a]; // Σ̄ = Σ_c π_c Σ_c
                }
            }
            start.refactor(0, regCovar);
            System.arraycopy(fit.points[worst], 0, start.meanArray(0), 0, d);
            Trial t = partialEm(Move.BIRTH, fit, test, n, g, new int[0], start,
                    new double[]{1.0 / (k + 1)}, ADD_MARGIN * perComponent, minPoints, -1, regCovar);
            best = better(best, t);
        }
        // merge-and-split at the same K (Ueda's move): the closest pair merged, the likeliest two-cluster component
        // split, for one component covering two clusters while two share one
        if (k >= 3 && closestPair != null) {
            for (int s : splitOrder) {
                if (s == closestPair[0] || s == closestPair[1]) {
                    continue;
                }
                GaussianMixture start = subset(g, new int[]{closestPair[0], closestPair[1], s, s}, type, d, regCovar);
                SplitMerge.mergeInto(start, 0, 1, regCovar);
                SplitMerge.splitInto(start, 2, 3, regCovar);
                GaussianMixture three = subset(start, new int[]{0, 2, 3}, type, d, regCovar);
                Trial t = partialEm(Move.SWAP, fit, test, n, g, new int[]{closestPair[0], closestPair[1], s}, three,
                        new double[]{start.weight(0), start.weight(2), start.weight(3)}, 0, minPoints, 1, regCovar);
                best = better(best, t);
                break;
            }
        }
        if (best == null || best.criterionChange() >= 0) {
            return null;
        }
        if (best.move() == Move.MERGE) {
            return best; // nothing fitted: the merge of the two components' statistics
        }
        // the move is made: its components re-fitted on the whole sample, from where the fitting half left them
        GaussianMixture fitted = best.fitted().copy();
        double[] weights = best.weights().clone();
        double logScale = fitPartial(all, removedMask(best.removed(), k), keptMass(g, best.removed()), fitted, weights,
                2 * minPoints, best.tied(), regCovar);
        return Double.isNaN(logScale) ? best : new Trial(best.move(), best.removed(), fitted, weights,
                best.criterionChange(), Math.exp(logScale), best.tied());
    }

    private static Trial better(Trial best, Trial t) {
        return t != null && (best == null || t.criterionChange() < best.criterionChange()) ? t : best;
    }

    /** Indices of the values in increasing (or, with {@code descending}, decreasing) order; stable. */
    private static Integer[] sortedIndices(List<Double> values, boolean descending) {
        Integer[] order = new Integer[values.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (x, y) -> descending ? Double.compare(values.get(y), values.get(x))
                : Double.compare(values.get(x), values.get(y)));
        return order;
    }

    /**
     * Partial EM on the fitting half: the components of {@code moving} are re-estimated while the others keep their
     * parameters, their weights all scaled by the same factor so that the weights sum to 1; then the move is judged on
     * the other half: the criterion's change is −(n / n_test) Δlog L_test + Δp.
     *
     * @param removed   the current components the move replaces
     * @param weights   the moving components' starting weights (updated)
     * @param paramDiff the parameters the move adds (negative: removes)
     * @return the trial, or null when a moving component ends with fewer than {@code minPoints} fitting points
     */
    private static Trial partialEm(Move move, Sample fit, Sample test, int n, GaussianMixture g, int[] removed,
                                   GaussianMixture moving, double[] weights, double paramDiff, double minPoints,
                                   int tied, double regCovar) {
        boolean[] gone = removedMask(removed, g.components());
        double keptMass = keptMass(g, removed);
        double logScale = fitPartial(fit, gone, keptMass, moving, weights, minPoints, tied, regCovar);
        if (Double.isNaN(logScale)) {
            return null;
        }
        if (tied >= 0) {
            // and the halves with their own covariances, fitted on from there: kept if they predict the judging half
            // better (two clusters of different shapes)
            GaussianMixture untied = moving.copy();
            double[] untiedWeights = weights.clone();
            double untiedScale = fitPartial(fit, gone, keptMass, untied, untiedWeights, minPoints, -1, regCovar);
            if (!Double.isNaN(untiedScale)) {
                Trial shared = judge(move, test, n, gone, removed, moving, weights, logScale, paramDiff, tied);
                Trial own = judge(move, test, n, gone, removed, untied, untiedWeights, untiedScale, paramDiff, -1);
                return own != null && (shared == null || own.criterionChange() < shared.criterionChange())
                        ? own : shared;
            }
        }
        return judge(move, test, n, gone, removed, moving, weights, logScale, paramDiff, tied);
    }

    private static Trial judge(Move move, Sample test, int n, boolean[] gone, int[] removed, GaussianMixture moving,
                               double[] weights, double logScale, double paramDiff, int tied) {
        double[] testOthers = test.others(gone);
        double[] gamma = new double[moving.components()];
        int nt = test.points.length;
        double sum = 0;
        double sumOfSquares = 0;
        for (int i = 0; i < nt; i++) {
            double gain = logLikelihood(test.points[i], testOthers[i] + logScale, moving, weights, gamma)
                    - test.total[i]; // δ_i = log p_move(x_i) − log p(x_i)
            sum += gain;
            sumOfSquares += gain * gain;
        }
        if (!Double.isFinite(sumOfSquares)) {
            return null;
        }
        double spread = Math.sqrt(Math.max(0, sumOfSquares - sum * sum / nt)); // sd(Σ δ_i) = √(n_t var δ)
        double scale = (double) n / nt;
        // G = the gain scaled to the sample; a move that adds components (or swaps them) must win by its parameters'
        // margin and by z standard errors of G: −G + max(Δp, z·sd(G)) < 0; a merge must not lose: −G + Δp < 0, Δp = 0
        double change = move == Move.MERGE ? -scale * sum + paramDiff
                : -scale * sum + Math.max(paramDiff, scale * SIGNIFICANCE * spread);
        return new Trial(move, removed, moving, weights, change, Math.exp(logScale), tied);
    }

    private static boolean[] removedMask(int[] removed, int k) {
        boolean[] gone = new boolean[k];
        for (int c : removed) {
            gone[c] = true;
        }
        return gone;
    }

    /** The weight the components a move keeps have together. */
    private static double keptMass(GaussianMixture g, int[] removed) {
        double removedMass = 0;
        for (int c : removed) {
            removedMass += g.weight(c);
        }
        return 1 - removedMass;
    }

    /**
     * Partial EM on a sample: the moving components (weights and parameters, updated in place) are re-estimated while
     * the kept ones keep their parameters and their weights are scaled to make room.
     *
     * @return the log of the kept components' weight scale at the end, or NaN when a moving component ends with fewer
     *         than {@code minPoints} points
     */
    private static double fitPartial(Sample sample, boolean[] gone, double keptMass, GaussianMixture moving,
                                     double[] weights, double minPoints, int tied, double regCovar) {
        int m = moving.components();
        double[] others = sample.others(gone);
        SufficientStatistics stats = new SufficientStatistics(m, moving.dimension(), moving.covarianceType());
        double[] gamma = new double[m];
        double previous = Double.NEGATIVE_INFINITY;
        for (int iteration = 0; ; iteration++) {
            double logScale = logScaleOfOthers(weights, keptMass);
            if (Double.isNaN(logScale)) {
                return Double.NaN;
            }
            stats.reset();
            double ll = 0;
            for (int i = 0; i < sample.points.length; i++) {
                ll += logLikelihood(sample.points[i], others[i] + logScale, moving, weights, gamma);
                stats.accumulate(sample.points[i], gamma, 1.0);
            }
            for (int c = 0; c < m; c++) {
                if (!(stats.weight[c] >= minPoints)) {
                    return Double.NaN;
                }
            }
            if (iteration == PARTIAL_ITERATIONS || Math.abs(ll - previous) < CONVERGED * sample.points.length) {
                return logScale;
            }
            previous = ll;
            for (int c = 0; c < m; c++) {
                weights[c] = stats.weight[c] / sample.points.length; // π_c = N_c / n
            }
            stats.maximise(moving, regCovar); // μ_c, Σ_c from the points' responsibilities
            if (tied >= 0) {
                pool(moving, tied, stats.weight[tied], stats.weight[tied + 1], regCovar);
            }
        }
    }

    /**
     * Split halves share one covariance while they are fitted on the sample, Σ = (N_a Σ_a + N_b Σ_b) / (N_a + N_b): a
     * pair of full covariances from the few points of a small cluster's halves (80 points for 44 parameters each in 8
     * dimensions) is too noisy to judge the split by; the stream then fits each half's own.
     */
    private static void pool(GaussianMixture moving, int a, double wa, double wb, double regCovar) {
        double[] ca = moving.covarianceArray(a);
        double[] cb = moving.covarianceArray(a + 1);
        double fa = wa / (wa + wb);
        double fb = wb / (wa + wb);
        for (int i = 0; i < ca.length; i++) {
            ca[i] = fa * ca[i] + fb * cb[i];
        }
        System.arraycopy(ca, 0, cb, 0, ca.length);
        moving.refactor(a, regCovar);
        moving.refactor(a + 1, regCovar);
    }

    /** log of the factor the kept components' weights are scaled by: (1 − Σ moving weights) / kept mass; NaN if none. */
    private static double logScaleOfOthers(double[] weights, double keptMass) {
        double movingMass = 0;
        for (double w : weights) {
            movingMass += w;
        }
        if (keptMass <= 0) {
            return Double.NEGATIVE_INFINITY;
        }
        return movingMass < 1 ? Math.log((1 - movingMass) / keptMass) : Double.NaN;
    }

    /**
     * log p(x) with the moving components beside the others (whose log Σ π_c N(x | c), already scaled, is given), by
     * log-sum-exp; the moving components' responsibilities into {@code gamma}.
     */
    private static double logLikelihood(double[] x, double othersLog, GaussianMixture moving, double[] weights,
                                        double[] gamma) {
        int m = moving.components();
        double max = othersLog;
        for (int c = 0; c < m; c++) {
            gamma[c] = Math.log(weights[c]) + moving.logDensity(c, x);
            max = Math.max(max, gamma[c]);
        }
        double sum = Math.exp(othersLog - max);
        for (int c = 0; c < m; c++) {
            sum += Math.exp(gamma[c] - max);
        }
        double lse = max + Math.log(sum);
        for (int c = 0; c < m; c++) {
            gamma[c] = Math.exp(gamma[c] - lse);
        }
        return lse;
    }

    /**
     * The parts after the move: the others' weights scaled; a merge in the place of the heavier of its pair (the
     * lighter one out), the half of a split that keeps the parent's id in the parent's place; new components last. So
     * a component keeps its position as long as the components before it live.
     */
    private static void apply(List<Working> parts, Trial t) {
        List<Working> removed = new ArrayList<>();
        for (int c : t.removed()) {
            removed.add(parts.get(c));
        }
        for (Working w : parts) {
            if (!removed.contains(w)) {
                w.weight *= t.scaleOfOthers();
            }
        }
        GaussianMixture f = t.fitted();
        double[] pi = t.weights();
        switch (t.move()) {
            case MERGE -> addMerged(parts, removed.get(0), removed.get(1), f, 0, pi);
            case SPLIT -> addHalves(parts, removed.get(0), f, 0, pi);
            case BIRTH -> parts.add(new Working(-1, -1, -1, -1, pi[0], f.mean(0), f.covarianceArray(0).clone(),
                    true));
            case SWAP -> {
                addMerged(parts, removed.get(0), removed.get(1), f, 0, pi);
                addHalves(parts, removed.get(2), f, 1, pi);
            }
        }
    }

    /** The merge of a and b (fitted component {@code at}) in the heavier one's place, with its id; the lighter out. */
    private static void addMerged(List<Working> parts, Working a, Working b, GaussianMixture f, int at, double[] pi) {
        Working heavier = b.weight > a.weight ? b : a;
        Working lighter = heavier == a ? b : a;
        parts.set(parts.indexOf(heavier), new Working(heavier.id, heavier.source, lighter.source, -1, pi[at],
                f.mean(at), f.covarianceArray(at).clone(), true));
        parts.remove(lighter);
    }

    /**
     * The halves of parent (fitted components {@code at}, {@code at + 1}): the nearer one keeps the parent's id and
     * place, the other is new and goes last.
     */
    private static void addHalves(List<Working> parts, Working parent, GaussianMixture f, int at, double[] pi) {
        int kept = nearer(f, at, at + 1, parent.mean);
        int other = kept == at ? at + 1 : at;
        parts.set(parts.indexOf(parent), new Working(parent.id, -1, -1, parent.source, pi[kept], f.mean(kept),
                f.covarianceArray(kept).clone(), true));
        parts.add(new Working(-1, -1, -1, parent.source, pi[other], f.mean(other), f.covarianceArray(other).clone(),
                true));
    }

    /**
     * Of two split halves a and b, the one whose mean is nearer the parent's: it goes on as the parent (keeps its id).
     * The parent's mean comes from its long history, so when a new cluster appears beside an old one, the half on
     * the old cluster keeps the id even if the sample holds more of the new one.
     */
    private static int nearer(GaussianMixture halves, int a, int b, double[] parentMean) {
        return KMeansPlusPlus.squaredDistance(halves.meanArray(b), parentMean)
                < KMeansPlusPlus.squaredDistance(halves.meanArray(a), parentMean) ? b : a;
    }

    /** The parts as a mixture (their weights as they are, summing to 1). */
    private static GaussianMixture mixtureOf(List<Working> parts, CovarianceType type, int d, double regCovar) {
        GaussianMixture g = new GaussianMixture(parts.size(), d, type);
        for (int c = 0; c < parts.size(); c++) {
            Working w = parts.get(c);
            g.setWeight(c, w.weight);
            System.arraycopy(w.mean, 0, g.meanArray(c), 0, d);
            System.arraycopy(w.covariance, 0, g.covarianceArray(c), 0, w.covariance.length);
            g.refactor(c, regCovar);
        }
        return g;
    }

    /** A mixture of the given components of g (repeats allowed), their weights as in g. */
    private static GaussianMixture subset(GaussianMixture g, int[] components, CovarianceType type, int d,
                                          double regCovar) {
        GaussianMixture s = new GaussianMixture(components.length, d, type);
        for (int c = 0; c < components.length; c++) {
            s.setWeight(c, g.weight(components[c]));
            System.arraycopy(g.meanArray(components[c]), 0, s.meanArray(c), 0, d);
            double[] cov = g.covarianceArray(components[c]);
            System.arraycopy(cov, 0, s.covarianceArray(c), 0, cov.length);
            s.refactor(c, regCovar);
        }
        return s;
    }
}
