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
    // the configuration values the per-point path needs, computed once
    /** m. */
    private final int batchSize;
    /** 1/m, each point's share of a mini-batch. */
    private final double batchShare;
    /** α. */
    private final double stepExponent;
    /** η_min. */
    private final double minStep;
    private final double regCovar;

    // the state (package-private for ModelStateCodec)
    int dimension = -1;
    int warmup;

    // warm-up phase
    double[][] buffer;
    byte[][] bufferTags;
    int buffered;

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
        this.batchSize = config.batchSize();
        this.batchShare = 1.0 / batchSize;
        this.stepExponent = config.stepExponent();
        this.minStep = config.minStepSize();
        this.regCovar = config.regCovar();
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
            double eta = MixtureConfig.stepSize(steps, stepExponent, minStep);
            statistics.step(x, gamma, eta); // S ← (1−η) S + η s(x), no batch in between
            stepTaken(eta);
        } else {
            batch.accumulate(x, gamma, batchShare); // s̄ += s(x)/m
            if (++batchCount == batchSize) {
                stepBatch();
            }
        }
        if (drift.observe(x, gamma, score.logLikelihood, score.learned, avgLogLikelihood, warmup,
                config.minWeight())) {
            refit();
        }
    }

    /** Re-fits on the collected points by EM from {@link #warmStart}, or from a better fresh fit. */
    private void refit() {
        double[][] points = drift.collected();
        GaussianMixture start = warmStart(points);
        SufficientStatistics fitted = new SufficientStatistics(config.components(), dimension, config.covarianceType());
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
        int k = config.components();
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
            BatchEm.Fit fresh = BatchEm.fitOnce(points, config,
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

    /** Allocates the running phase's state (before the warm-up's fit, or when decoding a running model). */
    void allocateRunning() {
        int k = config.components();
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

    private void initialise(ScoreSink sink) {
        double[][] points = Arrays.copyOf(buffer, buffered);
        // best of INIT_STARTS k-means++ starts: a single start left a quarter to a third of the models tested with
        // a component on two clusters and two on one, a local optimum that no drift trigger fires on
        BatchEm.Options options = new BatchEm.Options(1, config.initIterations(), 1e-6);
        BatchEm.Fit fit = BatchEm.fitOnce(points, config, options, new SplittableRandom(config.seed()));
        SplittableRandom more = new SplittableRandom(config.seed() + INIT_SEED_STRIDE);
        for (int i = 1; i < INIT_STARTS; i++) {
            BatchEm.Fit other = BatchEm.fitOnce(points, config, options, more.split());
            if (other.meanLogLikelihood() > fit.meanLogLikelihood() + 1e-9) {
                fit = other;
            }
        }
        // and split-and-merge moves for the local optimum the restarts still leave (1 in 16 seeds of the 8-D test)
        fit = SplitMerge.improve(points, fit, regCovar, config.initIterations(), 1e-6);
        allocateRunning();
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
        double rate = Math.max(1.0 / scored, pointForgetRate);
        score.point = x;
        score.tag = tag;
        score.index = index;
        score.component = LogSumExp.argmax(score.responsibilities, config.components());
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
        double eta = MixtureConfig.stepSize(steps, stepExponent, minStep);
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
        if (parameters.components() != config.components() || parameters.covarianceType() != config.covarianceType()) {
            throw new IllegalArgumentException("the configuration has K=" + config.components() + " "
                    + config.covarianceType().wireName() + ", the parameters K=" + parameters.components() + " "
                    + parameters.covarianceType().wireName());
        }
        if (!(nEff > 0) || !Double.isFinite(avgLogLikelihood)) {
            throw new IllegalArgumentException("n_eff must be > 0 and the average log-likelihood finite");
        }
        OnlineMixture m = new OnlineMixture(config);
        m.dimension = parameters.dimension();
        m.warmup = config.warmupFor(m.dimension);
        m.allocateRunning();
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

    /** Whether the parameters are still exactly those the model was {@link #loaded} with. */
    public boolean isPinned() {
        return pinned;
    }
}
