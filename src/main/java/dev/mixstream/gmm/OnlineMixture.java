package dev.mixstream.gmm;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The online estimator: stepwise EM over exponentially decayed sufficient statistics.
 *
 * <p>Life cycle of a model:
 * <ol>
 *   <li>The first point fixes the dimension D. The first W points ({@link MixtureConfig#warmupFor})
 *       are buffered.</li>
 *   <li>At the W-th point the model is initialised by batch EM on the buffer, the most likely of
 *       {@link #INIT_STARTS} k-means++ starts seeded from the configured seed, and every buffered point
 *       is scored under that model, in order.</li>
 *   <li>Each later point is scored under the current parameters (its responsibilities, hard
 *       assignment and log-likelihood), then its statistics s(x) = (γ, γx, γxxᵀ) are averaged
 *       into a mini-batch of m points, and each full batch takes one step
 *       S ← (1−η_n) S + η_n s̄, η_n = max((n + 2)^(−α), η_min), followed by the M-step.</li>
 *   <li>Drift: a {@link DriftWatch} fires when a component starves (its recent share of responsibility
 *       falls below {@code minWeight}) or the recent log-likelihood drops below the long-run average.
 *       The model then collects the next W points (still scoring and learning from each at once) and
 *       re-fits itself on them by EM, warm-started from its current parameters with each starving
 *       component re-placed at the worst-explained of those points, and compared with a few fresh
 *       k-means++ fits. Healthy components keep their index; the step size restarts as after the
 *       warm-up.</li>
 *   <li>Automatic K ({@link MixtureConfig#automaticComponents()}): the warm-up fits K = 1, 2, … and keeps the lowest
 *       BIC; afterwards a starving component dies at once, and every {@link #reviewInterval()} points the model
 *       collects {@link #collectionSize()} points and reviews its components on them ({@link ComponentReview}:
 *       merges, splits and births judged on held-out points), instead of the drift re-fit (which it still does when a
 *       drop of the log-likelihood started the collection and the review changed nothing). Components carry ids
 *       ({@link #componentId}) that stay with them for their life.</li>
 * </ol>
 * Anomalies: every point scored also gets an anomaly score from the model's
 * {@link LogLikelihoodReference}, which is recomputed from the parameters at initialisation, after each
 * re-fit and every {@link #referenceInterval} points; its flag follows the {@link AnomalyPolicy}, which may
 * keep flagged points out of the statistics and out of the average log-likelihood (they still reach the drift
 * watch, so a genuine jump of the data is followed by a re-fit). Warm-up points are all learned and scored against the initial model.
 * Every point given to {@link #learn} is scored exactly once, in input order.
 * The same points, configuration and seed give bit-identical parameters.
 *
 * <p>Not thread-safe; the per-point path allocates nothing once the model is initialised. Its binary
 * form is {@link ModelStateCodec}'s, which reads the package-private state fields below.
 */
public final class OnlineMixture {
    /** Coordinates beyond ±1e100 are rejected: their squares could overflow. */
    public static final double MAX_ABS_COORDINATE = 1e100;
    /** Fresh k-means++ fits a drift re-fit compares with its warm start. */
    static final int REFIT_FRESH_STARTS = 3;
    private static final long REFIT_SEED_STRIDE = 0x9E3779B97F4A7C15L;
    /** k-means++ + EM starts on the warm-up buffer; the most likely one initialises the model. */
    static final int INIT_STARTS = 3;
    private static final long INIT_SEED_STRIDE = 0xC2B2AE3D27D4EB4FL;

    final MixtureConfig config;
    /** ρ_min = 1 − 2^(−1/halfLife): the per-point forgetting rate of the average log-likelihood. */
    private final double pointForgetRate;
    /** Points scored from which 1 / scored &lt; the forget rate: the rate is then the forget rate, without a division. */
    private final long forgetRateFrom;
    // the configuration values the per-point path needs, computed once
    /** m. */
    private final int batchSize;
    /** 1/m, each point's share of a mini-batch. */
    private final double batchShare;
    /** α. */
    private final double stepExponent;
    /** η_min. */
    private final double minStep;
    /**
     * Steps from which η_n = η_min for certain: (n + 2)^(−α) ≤ 2^(−α) η_min &lt; η_min once n + 2 ≥ 2 η_min^(−1/α),
     * so the step size needs no {@code pow} there (the same value, bit for bit).
     */
    private final long minStepFrom;
    private final double regCovar;

    // the state (package-private for ModelStateCodec)
    int dimension = -1;
    int warmup;

    // warm-up phase
    double[][] buffer;
    byte[][] bufferTags;
    int buffered;
    /** The lowest buffer index {@link #retag}ged since {@link #takeEarliestRetag} (not part of the state). */
    private int earliestRetag = Integer.MAX_VALUE;

    // running phase
    DriftWatch drift;
    SufficientStatistics statistics;
    SufficientStatistics batch;
    int batchCount;
    GaussianMixture mixture;
    /** True while {@link #mixture} holds parameters given to {@link #loaded}, not yet re-computed by an M-step. */
    boolean pinned;
    private PointScore score;

    long pointsSeen;
    long pointsApplied;
    long steps;
    long refits;
    double effectiveCount;
    double avgLogLikelihood;
    long scored;

    // components (automatic K: their number changes at reviews)
    /** Each component's id: with automatic K stable for its life and never reused; with a fixed K, 0 … K−1. */
    int[] componentIds;
    /** The id the next new component gets. */
    int nextComponentId;
    /** Points since the last review of the components (automatic K). */
    long sinceReview;
    /** Reviews of the components so far, and what they did. */
    long reviews;
    /** Reviews in a row that changed nothing. */
    int quietReviews;
    long births;
    long splits;
    long merges;
    long deaths;

    // anomaly state
    LogLikelihoodReference reference;
    long pointsSinceReference;
    long pointsNotLearned;
    long anomalies;
    /** Recent fraction of flagged points, averaged with the model's own forgetting. */
    double anomalyRate;
    private AnomalyPolicy policy = AnomalyPolicy.DEFAULT;

    /** A model that has seen no point yet. */
    public OnlineMixture(MixtureConfig config) {
        this.config = config;
        this.pointForgetRate = config.withBatchSize(1).minStepSize();
        this.forgetRateFrom = pointForgetRate > 0 ? (long) Math.ceil(1 / pointForgetRate) + 1 : Long.MAX_VALUE;
        this.batchSize = config.batchSize();
        this.batchShare = 1.0 / batchSize;
        this.stepExponent = config.stepExponent();
        this.minStep = config.minStepSize();
        this.minStepFrom = minStep > 0 ? (long) Math.ceil(2 * Math.pow(minStep, -1 / stepExponent)) : Long.MAX_VALUE;
        this.regCovar = config.regCovar();
    }

    /** η for the next step: max((n + 2)^(−α), η_min). */
    private double stepSize() {
        return steps >= minStepFrom ? minStep : MixtureConfig.stepSize(steps, stepExponent, minStep);
    }

    public MixtureConfig config() {
        return config;
    }

    /** The anomaly policy in force (not part of the state; {@link AnomalyPolicy#DEFAULT} until set). */
    public AnomalyPolicy anomalyPolicy() {
        return policy;
    }

    /** Sets the anomaly policy for the points to come. */
    public void setAnomalyPolicy(AnomalyPolicy policy) {
        this.policy = java.util.Objects.requireNonNull(policy, "policy");
    }

    /**
     * Points between two refreshes of the anomaly reference: the half-life, within [2 048, 16 384] (16 384
     * without half-life). A refresh costs ≈ 4 096 E-steps, so its share of the per-point cost stays a few %.
     */
    public long referenceInterval() {
        return (long) Math.min(16_384, Math.max(2_048, config.halfLife()));
    }

    /** The model's own log-likelihood distribution, null before initialisation. */
    public LogLikelihoodReference reference() {
        return reference;
    }

    /** Points flagged so far. */
    public long anomalies() {
        return anomalies;
    }

    /** Recent fraction of flagged points (exponentially weighted with the model's forgetting rate). */
    public double anomalyRate() {
        return anomalyRate;
    }

    /** Flagged points kept out of the statistics by the policy (learn = false). */
    public long pointsNotLearned() {
        return pointsNotLearned;
    }

    /** D, or −1 before the first point. */
    public int dimension() {
        return dimension;
    }

    /** W for this model (0 before the first point when automatic). */
    public int warmup() {
        return dimension < 0 ? config.warmup() : warmup;
    }

    /** True once the warm-up is over and parameters exist. */
    public boolean isInitialised() {
        return mixture != null;
    }

    /** The current parameters; null before initialisation. Do not use from another thread. */
    public GaussianMixture parameters() {
        return mixture;
    }

    /** Points waiting in the warm-up buffer, in input order (0 once initialised). */
    public int buffered() {
        return mixture == null ? buffered : 0;
    }

    /** The tag of the i-th point in the warm-up buffer ({@code 0 ≤ i <} {@link #buffered()}). */
    public byte[] bufferedTag(int i) {
        java.util.Objects.checkIndex(i, buffered());
        return bufferTags[i];
    }

    /** A copy of the i-th point in the warm-up buffer. */
    public double[] bufferedPoint(int i) {
        java.util.Objects.checkIndex(i, buffered());
        return buffer[i].clone();
    }

    /**
     * Replaces the tag of the i-th point in the warm-up buffer: its score at initialisation carries the new one (the
     * caller's record of the point, e.g. that it was answered already). Nothing else changes.
     */
    public void retag(int i, byte[] tag) {
        java.util.Objects.checkIndex(i, buffered());
        bufferTags[i] = tag;
        earliestRetag = Math.min(earliestRetag, i);
    }

    /**
     * The lowest index of the warm-up buffer {@link #retag}ged since the last call, or {@link Integer#MAX_VALUE} if
     * none; and forgets it. Points are only ever appended to the buffer, so for a store that keeps the buffer in
     * pieces ({@link ModelStateCodec#encodeBlock}) this says which pieces written before have changed since.
     */
    public int takeEarliestRetag() {
        int i = earliestRetag;
        earliestRetag = Integer.MAX_VALUE;
        return i;
    }

    /** Points given to {@link #learn} so far. */
    public long pointsSeen() {
        return pointsSeen;
    }

    /** Points whose statistics are in the current parameters (warm-up included). */
    public long pointsApplied() {
        return pointsApplied;
    }

    /** Points waiting in the warm-up buffer or the current mini-batch. */
    public long pointsPending() {
        return pointsSeen - pointsApplied - pointsNotLearned;
    }

    /**
     * n_eff, the sum of the decay weights of all points absorbed, relative to the newest one
     * (= m / η of the last step); the number of points the current parameters are worth.
     */
    public double effectiveCount() {
        return effectiveCount;
    }

    /**
     * Prequential log-likelihood per point, averaged with the model's own forgetting, over the points learned
     * (every point, unless the anomaly policy keeps flagged ones out).
     */
    public double avgLogLikelihood() {
        return avgLogLikelihood;
    }

    /** Number of re-fits triggered by a starving component (drift) so far. */
    public long refits() {
        return refits;
    }

    /** The current K: the configured one, or with automatic K the model's own (0 before initialisation). */
    public int components() {
        if (mixture != null) {
            return mixture.components();
        }
        return config.automaticComponents() ? 0 : config.components();
    }

    /**
     * The id of component c ({@code 0 ≤ c <} {@link #components()}): with automatic K a component keeps its id for
     * its life and a new component gets a new one; with a fixed K the id is c.
     */
    public int componentId(int c) {
        java.util.Objects.checkIndex(c, components());
        return componentIds == null ? c : componentIds[c];
    }

    /** The component ids, in component order (a copy). */
    public int[] componentIds() {
        int k = components();
        int[] out = new int[k];
        for (int c = 0; c < k; c++) {
            out[c] = componentId(c);
        }
        return out;
    }

    /** Reviews of the components so far (automatic K; {@link ComponentReview}). */
    public long reviews() {
        return reviews;
    }

    /** Components born so far (automatic K), not counting the halves of splits. */
    public long births() {
        return births;
    }

    /** Components split in two so far (automatic K). */
    public long splits() {
        return splits;
    }

    /** Pairs of components merged so far (automatic K). */
    public long merges() {
        return merges;
    }

    /** Components that died (starved) so far (automatic K). */
    public long deaths() {
        return deaths;
    }

    /**
     * Points collected before a re-fit (W) or, with automatic K, before a review of the components:
     * max(W, 2 000, 400·(D+1)), which is 2 000 points in 2 dimensions and 3 600 in 8 (half to fit each candidate move,
     * half to judge it; with 2 250 in 8 dimensions, 8 overlapping clusters were found in only half of the streams), but
     * no more than 512 KiB of coordinates (65 536 / D points, at least 500): the sample is part of the model's state
     * while it is collected.
     */
    public int collectionSize() {
        if (!config.automaticComponents()) {
            return warmup;
        }
        int wanted = Math.max(Math.max(warmup, REVIEW_POINTS), REVIEW_POINTS_PER_DIMENSION * (dimension + 1));
        return Math.min(wanted, Math.max(REVIEW_POINTS_MIN, REVIEW_BYTES / (8 * dimension)));
    }

    /** The review sample's coordinates take at most this many bytes of the state (512 KiB). */
    static final int REVIEW_BYTES = 512 * 1024;
    /** The review sample's size however large D is. */
    static final int REVIEW_POINTS_MIN = 500;

    /** The review sample's least size. */
    static final int REVIEW_POINTS = 2000;

    /** The review sample's points per dimension (+1). */
    static final int REVIEW_POINTS_PER_DIMENSION = 400;

    /**
     * Points between two reviews of the components (automatic K): the review sample's size ({@link #collectionSize()})
     * after the warm-up and after a review that changed K, doubling with each review that changed nothing, up to half
     * the half-life or twice the sample, whichever is larger (4 times the sample without half-life). Each review then
     * collects its sample. Reviews are frequent while the components are being found, rare once they are settled.
     */
    public long reviewInterval() {
        long sample = collectionSize();
        long longest = config.hasNoHalfLife() ? 4L * sample : (long) Math.max(2L * sample, config.halfLife() / 2);
        return Math.min(longest, sample << Math.min(quietReviews, 20)); // doubles with each review that changed nothing
    }

    /** Stepwise-EM steps taken (the warm-up counts as W/m − 1 steps). */
    public long steps() {
        return steps;
    }

    /**
     * Checks that x can be learned by this model: D coordinates (any D on the first point), all
     * finite and within ±{@link #MAX_ABS_COORDINATE}.
     *
     * @return null when acceptable, otherwise the problem ({@link PointProblem#describe} words it)
     */
    public PointProblem check(double[] x) {
        return PointProblem.of(x, dimension);
    }

    /**
     * Learns from one point and scores it. During warm-up nothing is emitted until the W-th point,
     * which emits all W scores in order; afterwards each call emits exactly one.
     *
     * @param x    the point; copied if buffered, never kept otherwise
     * @param tag  opaque bytes returned with the point's score (kept through the warm-up and in
     *             the serialised state); may be null
     * @param sink receives the scores
     * @throws IllegalArgumentException if {@link #check} finds a problem; the model is unchanged
     */
    public void learn(double[] x, byte[] tag, ScoreSink sink) {
        PointProblem problem = check(x);
        if (problem != null) {
            throw new IllegalArgumentException(problem.describe(x == null ? new double[0] : x, dimension));
        }
        if (dimension < 0) {
            startWarmup(x.length);
        }
        long index = pointsSeen++;
        if (mixture == null) {
            buffer[buffered] = x.clone();
            bufferTags[buffered] = tag;
            buffered++;
            if (buffered == warmup) {
                initialise(sink);
            }
            return;
        }
        if (pointsSinceReference >= referenceInterval()) {
            refreshReference();
        }
        emit(x, tag, index, sink);
        pointsSinceReference++;
        double[] gamma = score.responsibilities;
        if (!score.learned) {
            pointsNotLearned++; // flagged and kept out by the policy: only the drift watch sees it
        } else if (batchSize == 1) {
            double eta = stepSize();
            statistics.step(x, gamma, eta); // S ← (1−η) S + η s(x), no batch in between
            stepTaken(eta);
        } else {
            batch.accumulate(x, gamma, batchShare); // s̄ += s(x)/m
            if (++batchCount == batchSize) {
                stepBatch();
            }
        }
        boolean collected = drift.observe(x, gamma, score.logLikelihood, score.learned, avgLogLikelihood,
                collectionSize(), config.minWeight());
        if (!config.automaticComponents()) {
            if (collected) {
                refit();
            }
        } else if (collected) {
            if (batchCount == 0) { // between two mini-batches, where the components may change
                reviewComponents();
            }
        } else if (drift.startedByStarving() && !drift.dropTriggered && batchCount == 0) {
            drift.clearCollection(); // a starving component dies at once: deaths need no sample
            ComponentReview.Outcome outcome = ComponentReview.deaths(mixture, componentIds, drift.recentShare,
                    config.minWeight());
            rebuild(outcome);
            deaths += outcome.deaths();
            refreshReference();
        } else if (!drift.collecting() && ++sinceReview >= reviewInterval()) {
            drift.collect(collectionSize());
        }
    }

    /**
     * Automatic K: the components are reviewed on the collected points ({@link ComponentReview}): starving ones die,
     * and the merges, splits and births that predict unseen sampled points better are made. When nothing changes and
     * the collection was started by a drop of the recent log-likelihood, the model re-fits itself as a fixed-K model
     * does.
     */
    private void reviewComponents() {
        double[][] points = drift.collected();
        boolean drop = drift.dropTriggered;
        ComponentReview.Outcome outcome = ComponentReview.review(points, mixture, componentIds, drift.recentShare,
                config.minWeight(), config.maxComponents(), regCovar);
        reviews++;
        sinceReview = 0;
        quietReviews = outcome.changed() ? 0 : quietReviews + 1;
        if (outcome.changed()) {
            rebuild(outcome);
            // the step size of a model that learned the sample's points: new components settle within a few samples'
            // worth of points instead of at the 1/n pace of a long history (the others keep their statistics)
            steps = Math.min(steps, Math.max(warmupSteps(), collectionSize() / batchSize - 1));
            births += outcome.births();
            splits += outcome.splits();
            merges += outcome.merges();
            deaths += outcome.deaths();
            refreshReference();
        } else if (drop) {
            refit();
        } else {
            drift.clearCollection();
        }
    }

    /**
     * The running state with the reviewed components: kept ones keep their statistics, a merge takes the merge of
     * both statistics, split halves share their parent's stored weight in the ratio of their fitted weights, and a
     * newborn component of fitted weight π gets π of the new total; fitted components' statistics are those of
     * their fitted parameters. New components get new ids. The drift watch goes on with each component's recent share
     * carried over the same way (a newborn's is its weight), its points since the last re-fit kept.
     */
    private void rebuild(ComponentReview.Outcome outcome) {
        double[] oldShares = drift.recentShare.clone();
        long sinceRefit = drift.sinceRefit;
        java.util.List<ComponentReview.Part> parts = outcome.parts();
        int k = parts.size();
        SufficientStatistics old = statistics;
        double alive = 0; // stored weight of the components that live on (in a part, merged or split)
        double birthShare = 0;
        double[] splitShare = new double[old.k];
        boolean[] counted = new boolean[old.k];
        for (ComponentReview.Part p : parts) {
            for (int source : new int[]{p.source(), p.mergedWith(), p.splitFrom()}) {
                if (source >= 0 && !counted[source]) {
                    counted[source] = true;
                    alive += old.weight[source];
                }
            }
            if (p.fitted() && p.splitFrom() < 0) {
                birthShare += p.weight();
            } else if (p.fitted()) {
                splitShare[p.splitFrom()] += p.weight();
            }
        }
        double total = alive / (1 - birthShare); // newborn components of weight π take π of the new total
        int[] ids = new int[k];
        double[] shares = new double[k];
        SufficientStatistics next = new SufficientStatistics(k, dimension, config.covarianceType());
        next.g = old.g;
        for (int c = 0; c < k; c++) {
            ComponentReview.Part p = parts.get(c);
            if (!p.fitted()) {
                next.copyComponent(c, old, p.source());
                shares[c] = oldShares[p.source()];
                if (p.mergedWith() >= 0) {
                    next.mergeComponent(c, old, p.mergedWith());
                    shares[c] += oldShares[p.mergedWith()];
                }
            } else if (p.splitFrom() >= 0) {
                double fraction = p.weight() / splitShare[p.splitFrom()];
                next.setComponent(c, old.weight[p.splitFrom()] * fraction, p.mean(), p.covariance(), regCovar);
                shares[c] = oldShares[p.splitFrom()] * fraction;
            } else {
                next.setComponent(c, total * p.weight(), p.mean(), p.covariance(), regCovar);
                shares[c] = p.weight();
            }
            ids[c] = p.id() >= 0 ? p.id() : nextComponentId++;
        }
        allocateRunning(k);
        statistics.copyFrom(next);
        statistics.maximise(mixture, regCovar);
        componentIds = ids;
        pinned = false;
        drift.carryOn(shares, avgLogLikelihood);
        drift.sinceRefit = sinceRefit;
    }

    /** Re-fits on the collected points by EM from {@link #warmStart}, or from a better fresh fit. */
    private void refit() {
        double[][] points = drift.collected();
        GaussianMixture start = warmStart(points);
        SufficientStatistics fitted = new SufficientStatistics(mixture.components(), dimension, config.covarianceType());
        BatchEm.iterate(points, start, fitted, config.regCovar(), config.initIterations(), 1e-6);
        keepBestOfFreshFits(points, start.meanLogLikelihood(points), fitted);
        statistics.copyFrom(fitted);
        statistics.maximise(mixture, regCovar);
        refits++;
        steps = warmupSteps();
        drift.restart(mixture, avgLogLikelihood);
        refreshReference();
    }

    private void refreshReference() {
        reference.refresh(mixture);
        pointsSinceReference = 0;
    }

    /**
     * The current parameters with each starving component moved to the collected point worst explained by
     * them: mean = that point, covariance = the points' per-dimension variance / K + reg_covar, weight 1/K
     * (then all weights renormalised).
     */
    private GaussianMixture warmStart(double[][] points) {
        int k = mixture.components();
        int d = dimension;
        GaussianMixture start = mixture.copy();
        double[] variance = perDimensionVariance(points);
        for (int c = 0; c < k; c++) {
            if (!drift.isStarving(c, config.minWeight())) {
                continue;
            }
            int worst = 0;
            double worstLl = Double.POSITIVE_INFINITY;
            for (int i = 0; i < points.length; i++) {
                double ll = start.logLikelihood(points[i]);
                if (ll < worstLl) {
                    worstLl = ll;
                    worst = i;
                }
            }
            System.arraycopy(points[worst], 0, start.meanArray(c), 0, d);
            double[] cov = start.covarianceArray(c);
            Arrays.fill(cov, 0.0);
            for (int i = 0; i < d; i++) {
                double v = variance[i] / k + config.regCovar();
                if (config.covarianceType() == CovarianceType.FULL) {
                    cov[i * d + i] = v;
                } else {
                    cov[i] = v;
                }
            }
            if (config.covarianceType() == CovarianceType.SPHERICAL) {
                double mean = 0;
                for (double v : cov) {
                    mean += v / d;
                }
                Arrays.fill(cov, mean);
            }
            start.refactor(c, config.regCovar());
            start.setWeight(c, 1.0 / k);
        }
        double total = 0;
        for (int c = 0; c < k; c++) {
            total += start.weight(c);
        }
        for (int c = 0; c < k; c++) {
            start.setWeight(c, start.weight(c) / total);
        }
        return start;
    }

    /** σ²_i = (1/n) Σ (x_i − x̄_i)², per dimension. */
    private double[] perDimensionVariance(double[][] points) {
        int d = dimension;
        double[] variance = new double[d];
        double[] centre = new double[d];
        for (double[] x : points) {
            for (int i = 0; i < d; i++) {
                centre[i] += x[i] / points.length;
            }
        }
        for (double[] x : points) {
            for (int i = 0; i < d; i++) {
                double t = x[i] - centre[i];
                variance[i] += t * t / points.length;
            }
        }
        return variance;
    }

    /**
     * The warm start can sit in a local optimum (two components on one cluster, one on two): compares it with
     * a few fresh k-means++ fits of the same points and keeps the most likely in {@code fitted}, its components
     * put in the order of the current ones so healthy components keep their index.
     */
    private void keepBestOfFreshFits(double[][] points, double warmLogLikelihood, SufficientStatistics fitted) {
        double bestLl = warmLogLikelihood;
        SplittableRandom rng = new SplittableRandom(config.seed() + REFIT_SEED_STRIDE * (refits + 1));
        for (int i = 0; i < REFIT_FRESH_STARTS; i++) {
            BatchEm.Fit fresh = BatchEm.fitOnce(points, fixedComponents(mixture.components()),
                    new BatchEm.Options(1, config.initIterations(), 1e-6), rng.split());
            if (fresh.meanLogLikelihood() > bestLl + 1e-9) {
                bestLl = fresh.meanLogLikelihood();
                fitted.copyPermuted(fresh.statistics(), matchComponents(fresh.mixture(), mixture));
            }
        }
    }

    /**
     * Greedy matching of {@code fresh}'s components to {@code current}'s by nearest means.
     *
     * @return for each fresh component the index it takes
     */
    private static int[] matchComponents(GaussianMixture fresh, GaussianMixture current) {
        int k = fresh.components();
        int[] target = new int[k];
        boolean[] freshUsed = new boolean[k];
        boolean[] currentUsed = new boolean[k];
        for (int step = 0; step < k; step++) {
            int bf = -1;
            int bc = -1;
            double best = Double.POSITIVE_INFINITY;
            for (int f = 0; f < k; f++) {
                for (int c = 0; c < k; c++) {
                    if (!freshUsed[f] && !currentUsed[c]) {
                        double dist = KMeansPlusPlus.squaredDistance(fresh.meanArray(f), current.meanArray(c));
                        if (bf < 0 || dist < best) {
                            best = dist;
                            bf = f;
                            bc = c;
                        }
                    }
                }
            }
            freshUsed[bf] = true;
            currentUsed[bc] = true;
            target[bf] = bc;
        }
        return target;
    }

    /** Learns from one point, ignoring tags. */
    public void learn(double[] x, ScoreSink sink) {
        learn(x, null, sink);
    }

    /**
     * Initialises now from whatever the warm-up buffer holds (at least one point), for callers that
     * know no more points will come (e.g. a file shorter than W). No-op once initialised.
     */
    public void initialiseNow(ScoreSink sink) {
        if (mixture == null && buffered > 0) {
            initialise(sink);
        }
    }

    private void startWarmup(int d) {
        dimension = d;
        warmup = config.warmupFor(d);
        buffer = new double[warmup][];
        bufferTags = new byte[warmup][];
    }

    /** The configuration with K components fixed (itself when K is fixed). */
    private MixtureConfig fixedComponents(int k) {
        return config.automaticComponents() ? config.withComponents(k) : config;
    }

    /**
     * Allocates the running phase's state for K components (before the warm-up's fit, when decoding a running model,
     * or when a review changed K).
     */
    void allocateRunning(int k) {
        statistics = new SufficientStatistics(k, dimension, config.covarianceType());
        if (batchSize == 1 && config.covarianceType() == CovarianceType.FULL) {
            statistics.trackFactors(new IncrementalFactors(k, dimension, regCovar)); // O(D²) per point instead of O(D³)
        }
        batch = batchSize == 1 ? null : new SufficientStatistics(k, dimension, config.covarianceType());
        mixture = new GaussianMixture(k, dimension, config.covarianceType());
        score = new PointScore(k);
        drift = new DriftWatch(k, DriftWatch.window(config, warmup));
        reference = new LogLikelihoodReference();
    }

    /**
     * The initial fit of K components on the warm-up points: the best of {@link #INIT_STARTS} k-means++ starts, then
     * split-and-merge moves.
     */
    private BatchEm.Fit initialFit(double[][] points, int k) {
        MixtureConfig fixed = fixedComponents(k);
        // best of INIT_STARTS k-means++ starts: a single start left a quarter to a third of the models tested with
        // a component on two clusters and two on one, a local optimum that no drift trigger fires on
        BatchEm.Options options = new BatchEm.Options(1, config.initIterations(), 1e-6);
        BatchEm.Fit fit = BatchEm.fitOnce(points, fixed, options, new SplittableRandom(config.seed()));
        SplittableRandom more = new SplittableRandom(config.seed() + INIT_SEED_STRIDE);
        for (int i = 1; i < INIT_STARTS; i++) {
            BatchEm.Fit other = BatchEm.fitOnce(points, fixed, options, more.split());
            if (other.meanLogLikelihood() > fit.meanLogLikelihood() + 1e-9) {
                fit = other;
            }
        }
        // and split-and-merge moves for the local optimum the restarts still leave (1 in 16 seeds of the 8-D test)
        return SplitMerge.improve(points, fit, regCovar, config.initIterations(), 1e-6);
    }

    /**
     * Automatic K: the initial fit of each K from 1 up, the one with the lowest BIC on the warm-up points kept. K goes
     * up to max_components, no further than the points place safely ({@link MixtureConfig#safeWarmup}), and stops
     * once two K in a row did worse than the best so far.
     */
    private BatchEm.Fit initialFitChoosingK(double[][] points) {
        int n = points.length;
        int safe = MixtureConfig.safeWarmup(1, config.covarianceType(), dimension);
        int largest = Math.max(1, Math.min(config.maxComponents(), n / safe));
        BatchEm.Fit best = null;
        double bestBic = Double.POSITIVE_INFINITY;
        int bestK = 0;
        for (int k = 1; k <= largest && k <= bestK + 2; k++) {
            BatchEm.Fit fit = initialFit(points, k);
            double bic = InformationCriterion.BIC.value(fit.meanLogLikelihood(), n,
                    InformationCriterion.parameters(k, dimension, config.covarianceType()));
            if (best == null || bic < bestBic) {
                best = fit;
                bestBic = bic;
                bestK = k;
            }
        }
        return best;
    }

    private void initialise(ScoreSink sink) {
        double[][] points = Arrays.copyOf(buffer, buffered);
        BatchEm.Fit fit = config.automaticComponents() ? initialFitChoosingK(points)
                : initialFit(points, config.components());
        int k = fit.mixture().components();
        allocateRunning(k);
        componentIds = identityIds(k);
        nextComponentId = k;
        statistics.copyFrom(fit.statistics());
        statistics.normalise();
        statistics.maximise(mixture, regCovar);
        pointsApplied = buffered;
        steps = warmupSteps();
        effectiveCount = buffered;
        refreshReference();
        long first = pointsSeen - buffered;
        for (int i = 0; i < buffered; i++) {
            emit(points[i], bufferTags[i], first + i, sink);
        }
        drift.restart(mixture, avgLogLikelihood);
        buffer = null;
        bufferTags = null;
        buffered = 0;
    }

    /**
     * The step count the warm-up stands for: W/m − 1, so that with α = 1 the next batch gets
     * η = m / (W + m), its exact share of a running average.
     */
    private long warmupSteps() {
        return Math.max(0, warmup / batchSize - 1);
    }

    private void emit(double[] x, byte[] tag, long index, ScoreSink sink) {
        double ll = mixture.score(x, score.responsibilities);
        scored++;
        double rate = scored >= forgetRateFrom ? pointForgetRate : Math.max(1.0 / scored, pointForgetRate);
        score.point = x;
        score.tag = tag;
        score.index = index;
        score.component = LogSumExp.argmax(score.responsibilities, score.responsibilities.length);
        score.componentIds = componentIds;
        score.logLikelihood = ll;
        score.modelVersion = pointsApplied;
        scoreAnomaly(x, rate);
        if (score.learned) { // points kept out by the anomaly policy are not the model's data: not in its average
            avgLogLikelihood += rate * (ll - avgLogLikelihood); // ℓ̄ ← (1−ρ) ℓ̄ + ρ ℓ
        }
        sink.accept(score);
    }

    /** The anomaly score, flag and features of the point just scored; updates the anomaly rate. */
    private void scoreAnomaly(double[] x, double rate) {
        boolean flagged = score.scoreAnomaly(x, mixture, reference, policy);
        // warm-up points (answered while the buffer still exists) are in the initial fit whatever the policy
        score.learned = !flagged || policy.learn() || buffer != null;
        if (flagged) {
            anomalies++;
        }
        anomalyRate += rate * ((flagged ? 1.0 : 0.0) - anomalyRate); // recent share of flagged points
    }

    private void stepBatch() {
        double eta = stepSize();
        statistics.blend(batch, eta); // S ← (1−η) S + η s̄
        batch.reset();
        batchCount = 0;
        stepTaken(eta);
    }

    private void stepTaken(double eta) {
        steps++;
        pointsApplied += batchSize;
        effectiveCount = batchSize / eta; // n_eff = m / η
        statistics.maximise(mixture, regCovar); // M-step
        pinned = false;
    }

    /**
     * A model that starts from given parameters (e.g. a snapshot fitted offline) instead of a warm-up: its next
     * point is scored by exactly these parameters, and learning continues from them. They stand for
     * n₀ = min(nEff, m / η_min) points — the snapshot's effective count, capped at the steady-state count of the
     * configured half-life (m / η_min; uncapped without one) — so its sufficient statistics are those of n₀
     * points with these parameters (W_k = π_k, m_k = μ_k, C_k = π_k (Σ_k − reg·I)), and its step count is the one
     * a warm-up of n₀ points stands for (n₀ / m − 1), so the next step has the step size of a model that learned
     * n₀ points. Its points seen, re-fits and anomaly counters start at 0.
     *
     * @param config     the model's configuration; its K and covariance type must be those of the parameters
     * @param parameters π, μ, Σ (copied)
     * @param nEff       the effective number of points behind the parameters (&gt; 0)
     * @param avgLogLikelihood the parameters' average log-likelihood per point (the drift watch's reference)
     * @throws IllegalArgumentException when K or the covariance type differ, or nEff is not positive
     */
    public static OnlineMixture loaded(MixtureConfig config, GaussianMixture parameters, double nEff,
                                       double avgLogLikelihood) {
        return loaded(config, parameters, null, nEff, avgLogLikelihood);
    }

    /**
     * {@link #loaded(MixtureConfig, GaussianMixture, double, double)} with the components' ids (e.g. a snapshot's
     * {@code component_ids}; null: 0 … K−1). With automatic K the parameters may have any K up to max_components, and
     * new components get ids above the largest given.
     *
     * @throws IllegalArgumentException also when the ids are not K distinct non-negative numbers
     */
    public static OnlineMixture loaded(MixtureConfig config, GaussianMixture parameters, int[] componentIds,
                                       double nEff, double avgLogLikelihood) {
        boolean fits = config.automaticComponents() ? parameters.components() <= config.maxComponents()
                : parameters.components() == config.components();
        if (!fits || parameters.covarianceType() != config.covarianceType()) {
            throw new IllegalArgumentException("the configuration has K=" + (config.automaticComponents()
                    ? "auto up to " + config.maxComponents() : Integer.toString(config.components())) + " "
                    + config.covarianceType().wireName() + ", the parameters K=" + parameters.components() + " "
                    + parameters.covarianceType().wireName());
        }
        if (componentIds != null && (componentIds.length != parameters.components()
                || Arrays.stream(componentIds).anyMatch(id -> id < 0)
                || Arrays.stream(componentIds).distinct().count() != componentIds.length)) {
            throw new IllegalArgumentException("the component ids must be " + parameters.components()
                    + " distinct numbers >= 0");
        }
        if (!config.automaticComponents() && componentIds != null
                && !Arrays.equals(componentIds, identityIds(componentIds.length))) {
            throw new IllegalArgumentException("a model with a fixed K has the component ids 0 … K−1");
        }
        if (!(nEff > 0) || !Double.isFinite(avgLogLikelihood)) {
            throw new IllegalArgumentException("n_eff must be > 0 and the average log-likelihood finite");
        }
        OnlineMixture m = new OnlineMixture(config);
        m.dimension = parameters.dimension();
        m.warmup = config.warmupFor(m.dimension);
        int k = parameters.components();
        m.allocateRunning(k);
        m.componentIds = componentIds == null ? identityIds(k) : componentIds.clone();
        m.nextComponentId = Arrays.stream(m.componentIds).max().orElse(-1) + 1;
        m.statistics.setFrom(parameters, m.regCovar);
        m.mixture = parameters.copy();
        m.pinned = true;
        double window = m.minStep > 0 ? m.batchSize / m.minStep : Double.POSITIVE_INFINITY;
        double n0 = Math.min(nEff, window);
        m.effectiveCount = n0;
        m.steps = Math.max(0, Math.round(n0 / m.batchSize) - 1);
        m.avgLogLikelihood = avgLogLikelihood;
        m.refreshReference();
        m.drift.restart(m.mixture, avgLogLikelihood);
        return m;
    }

    /** 0 … K−1. */
    static int[] identityIds(int k) {
        int[] ids = new int[k];
        for (int c = 0; c < k; c++) {
            ids[c] = c;
        }
        return ids;
    }

    /** Whether the parameters are still exactly those the model was {@link #loaded} with. */
    public boolean isPinned() {
        return pinned;
    }
}
