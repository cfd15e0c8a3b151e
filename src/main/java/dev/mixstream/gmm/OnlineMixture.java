package dev.mixstream.gmm;

import java.nio.ByteBuffer;
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
 *   <li>Starvation and drift: each component's share of recent responsibility r_k is tracked over a
 *       window of L = max(W, halfLife / 10) points. When some r_k falls below {@code minWeight} (the
 *       data left that component), the model collects the next W points (still scoring and learning
 *       from each at once) and then re-fits itself on them by EM, warm-started from its current
 *       parameters with each starving component re-placed at the worst-explained of those points.
 *       Healthy components keep their index; the step size restarts as after the warm-up.</li>
 * </ol>
 * Every point given to {@link #learn} is scored exactly once, in input order.
 * The same points, configuration and seed give bit-identical parameters.
 *
 * <p>Not thread-safe; the per-point path allocates nothing once the model is initialised.
 */
public final class OnlineMixture {
    /** Coordinates beyond ±1e100 are rejected: their squares could overflow. */
    public static final double MAX_ABS_COORDINATE = 1e100;
    static final int FORMAT_MAGIC = 0x4D585331; // "MXS1"
    static final int FORMAT_VERSION = 1;
    /**
     * A re-fit also starts when the recent average log-likelihood per point falls this many nats below
     * the long-run average: the data moved away from the model faster than the half-life can follow.
     */
    public static final double DRIFT_LOG_LIKELIHOOD_DROP = 1.0;
    /** Fresh k-means++ fits a drift re-fit compares with its warm start. */
    static final int REFIT_FRESH_STARTS = 3;
    private static final long REFIT_SEED_STRIDE = 0x9E3779B97F4A7C15L;
    /** k-means++ + EM starts on the warm-up buffer; the most likely one initialises the model. */
    static final int INIT_STARTS = 3;
    private static final long INIT_SEED_STRIDE = 0xC2B2AE3D27D4EB4FL;

    private final MixtureConfig config;
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
    private int dimension = -1;
    private int warmup;

    // warm-up phase
    private double[][] buffer;
    private byte[][] bufferTags;
    private int buffered;

    // running phase
    /** r_k, each component's share of recent responsibility: r ← r + ρ (γ − r), ρ = 1 / L. */
    private double[] recentShare;
    private double recentRate;
    /** Log-likelihood per point averaged over the same recent window. */
    private double recentLogLikelihood;
    /** Points scored since the last (re-)initialisation; starvation is judged only after L of them. */
    private long sinceRefit;
    /** Non-null while collecting the W points of a re-fit. */
    private double[][] refitBuffer;
    private int refitCount;
    private SufficientStatistics statistics;
    private SufficientStatistics batch;
    private int batchCount;
    private GaussianMixture mixture;
    private PointScore score;

    private long pointsSeen;
    private long pointsApplied;
    private long steps;
    private long refits;
    private double effectiveCount;
    private double avgLogLikelihood;
    private long scored;

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
        return pointsSeen - pointsApplied;
    }

    /**
     * n_eff, the sum of the decay weights of all points absorbed, relative to the newest one
     * (= m / η of the last step); the number of points the current parameters are worth.
     */
    public double effectiveCount() {
        return effectiveCount;
    }

    /** Prequential log-likelihood per point, averaged with the model's own forgetting. */
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
     * @return null when acceptable, otherwise the reason
     */
    public String rejectReason(double[] x) {
        if (x == null || x.length == 0) {
            return "empty";
        }
        if (dimension >= 0 && x.length != dimension) {
            return "wrong_dimension";
        }
        for (double v : x) {
            if (!Double.isFinite(v)) {
                return "non_finite";
            }
            if (Math.abs(v) > MAX_ABS_COORDINATE) {
                return "out_of_range";
            }
        }
        return null;
    }

    /**
     * Learns from one point and scores it. During warm-up nothing is emitted until the W-th point,
     * which emits all W scores in order; afterwards each call emits exactly one.
     *
     * @param x    the point; copied if buffered, never kept otherwise
     * @param tag  opaque bytes returned with the point's score (kept through the warm-up and in
     *             the serialised state); may be null
     * @param sink receives the scores
     * @throws IllegalArgumentException if {@link #rejectReason} is not null; the model is unchanged
     */
    public void learn(double[] x, byte[] tag, ScoreSink sink) {
        String reason = rejectReason(x);
        if (reason != null) {
            throw new IllegalArgumentException(reason + ": point of dimension " + (x == null ? 0 : x.length)
                    + (dimension >= 0 ? " for a model of dimension " + dimension : ""));
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
        emit(x, tag, index, sink);
        double[] gamma = score.responsibilities;
        if (batchSize == 1) {
            double eta = MixtureConfig.stepSize(steps, stepExponent, minStep);
            statistics.step(x, gamma, eta); // S ← (1−η) S + η s(x), no batch in between
            stepTaken(eta);
        } else {
            batch.accumulate(x, gamma, batchShare); // s̄ += s(x)/m
            if (++batchCount == batchSize) {
                stepBatch();
            }
        }
        watchForDrift(x, gamma, score.logLikelihood);
    }

    private void watchForDrift(double[] x, double[] gamma, double logLikelihood) {
        int k = config.components();
        for (int c = 0; c < k; c++) {
            recentShare[c] += recentRate * (gamma[c] - recentShare[c]); // r_k ← r_k + ρ (γ_k − r_k)
        }
        recentLogLikelihood += recentRate * (logLikelihood - recentLogLikelihood); // ℓ_recent ← ℓ_recent + ρ (ℓ − ℓ_recent)
        sinceRefit++;
        if (refitBuffer != null) {
            refitBuffer[refitCount++] = x.clone();
            if (refitCount == refitBuffer.length) {
                refit();
            }
        } else if (sinceRefit * recentRate >= 1 && (starvingCount() > 0 && k > 1
                || recentLogLikelihood < avgLogLikelihood - DRIFT_LOG_LIKELIHOOD_DROP)) {
            refitBuffer = new double[warmup][];
            refitCount = 0;
        }
    }

    private int starvingCount() {
        int n = 0;
        for (double r : recentShare) {
            if (r < config.minWeight()) {
                n++;
            }
        }
        return n;
    }

    /**
     * Re-fits on the collected points: starting from the current parameters, each starving component
     * is moved to the collected point worst explained by the model so far (mean = that point,
     * covariance = the points' per-dimension variance / K, weight 1/K), then EM runs on the points.
     */
    private void refit() {
        int k = config.components();
        int d = dimension;
        double[][] points = refitBuffer;
        GaussianMixture start = mixture.copy();
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
        for (int c = 0; c < k; c++) {
            if (recentShare[c] >= config.minWeight()) {
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
            java.util.Arrays.fill(cov, 0.0);
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
                java.util.Arrays.fill(cov, mean);
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
        SufficientStatistics fitted = new SufficientStatistics(k, d, config.covarianceType());
        BatchEm.iterate(points, start, fitted, config.regCovar(), config.initIterations(), 1e-6);
        // The warm start can sit in a local optimum (two components on one cluster, one on two); compare it
        // with a few fresh k-means++ fits of the same points and keep the most likely, its components put in
        // the order of the current ones so healthy components keep their index.
        double bestLl = start.meanLogLikelihood(points);
        SplittableRandom rng = new SplittableRandom(config.seed() + REFIT_SEED_STRIDE * (refits + 1));
        for (int i = 0; i < REFIT_FRESH_STARTS; i++) {
            BatchEm.Fit fresh = BatchEm.fitOnce(points, config,
                    new BatchEm.Options(1, config.initIterations(), 1e-6), rng.split());
            if (fresh.meanLogLikelihood() > bestLl + 1e-9) {
                bestLl = fresh.meanLogLikelihood();
                fitted.copyPermuted(fresh.statistics(), matchComponents(fresh.mixture(), mixture));
            }
        }
        statistics.copyFrom(fitted);
        statistics.maximise(mixture, regCovar);
        refits++;
        steps = warmupSteps();
        restartStarvationTracking();
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

    private void restartStarvationTracking() {
        for (int c = 0; c < config.components(); c++) {
            recentShare[c] = mixture.weight(c);
        }
        sinceRefit = 0;
        recentLogLikelihood = avgLogLikelihood;
        refitBuffer = null;
        refitCount = 0;
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

    private void allocateRunning() {
        int k = config.components();
        statistics = new SufficientStatistics(k, dimension, config.covarianceType());
        batch = batchSize == 1 ? null : new SufficientStatistics(k, dimension, config.covarianceType());
        mixture = new GaussianMixture(k, dimension, config.covarianceType());
        score = new PointScore(k);
        recentShare = new double[k];
        double window = config.hasNoHalfLife() ? warmup : Math.max(warmup, config.halfLife() / 10);
        recentRate = 1.0 / window;
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
        allocateRunning();
        statistics.copyFrom(fit.statistics());
        statistics.normalise();
        statistics.maximise(mixture, regCovar);
        pointsApplied = buffered;
        steps = warmupSteps();
        effectiveCount = buffered;
        long first = pointsSeen - buffered;
        for (int i = 0; i < buffered; i++) {
            emit(points[i], bufferTags[i], first + i, sink);
        }
        restartStarvationTracking();
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
        avgLogLikelihood += rate * (ll - avgLogLikelihood); // ℓ̄ ← (1−ρ) ℓ̄ + ρ ℓ
        score.point = x;
        score.tag = tag;
        score.index = index;
        score.component = LogSumExp.argmax(score.responsibilities, config.components());
        score.logLikelihood = ll;
        score.modelVersion = pointsApplied;
        sink.accept(score);
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
    }

    // ---- serialisation ----------------------------------------------------------------------------

    /**
     * The complete state in a compact versioned binary form: configuration, counters, the warm-up
     * buffer (with tags) or the statistics and pending mini-batch. Parameters are recomputed from the
     * statistics on decoding, which is deterministic, so a decoded model continues bit-identically.
     * Big-endian, laid out as {@link java.io.DataOutputStream} would write it; written into one array
     * of the exact size (this runs for every record in the stream processor).
     */
    public byte[] toBytes() {
        ByteBuffer out = ByteBuffer.allocate(serializedSize());
        out.putInt(FORMAT_MAGIC);
        out.putShort((short) FORMAT_VERSION);
        writeConfig(out, config);
        out.putInt(dimension);
        out.putInt(warmup);
        out.putLong(pointsSeen);
        out.putLong(pointsApplied);
        out.putLong(steps);
        out.putLong(refits);
        out.putLong(scored);
        out.putDouble(effectiveCount);
        out.putDouble(avgLogLikelihood);
        out.put((byte) (mixture != null ? 1 : 0));
        if (mixture == null) {
            out.putInt(buffered);
            for (int i = 0; i < buffered; i++) {
                putAll(out, buffer[i]);
                writeTag(out, bufferTags[i]);
            }
        } else {
            statistics.write(out);
            out.putInt(batchCount);
            if (batchCount > 0) {
                batch.write(out);
            }
            putAll(out, recentShare);
            out.putLong(sinceRefit);
            out.putDouble(recentLogLikelihood);
            out.putInt(refitBuffer == null ? -1 : refitCount);
            for (int i = 0; i < refitCount; i++) {
                putAll(out, refitBuffer[i]);
            }
        }
        if (out.hasRemaining()) {
            throw new IllegalStateException("serialised size miscomputed: " + out.remaining() + " bytes left");
        }
        return out.array();
    }

    /** The length of {@link #toBytes()}. */
    public int serializedSize() {
        int n = 4 + 2 + CONFIG_BYTES + 4 + 4 + 5 * 8 + 2 * 8 + 1;
        if (mixture == null) {
            n += 4;
            for (int i = 0; i < buffered; i++) {
                n += 8 * buffer[i].length + 4 + (bufferTags[i] == null ? 0 : bufferTags[i].length);
            }
        } else {
            n += statistics.serializedSize() + 4 + (batchCount > 0 ? batch.serializedSize() : 0);
            n += 8 * recentShare.length + 8 + 8 + 4 + refitCount * 8 * dimension;
        }
        return n;
    }

    private static void putAll(ByteBuffer out, double[] values) {
        for (double v : values) {
            out.putDouble(v);
        }
    }

    private static double[] getAll(ByteBuffer in, int n) {
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = in.getDouble();
        }
        return values;
    }

    /**
     * Decodes {@link #toBytes()}.
     *
     * @throws IllegalArgumentException if the bytes are not a model state of a known version
     */
    public static OnlineMixture fromBytes(byte[] bytes) {
        try {
            ByteBuffer in = ByteBuffer.wrap(bytes);
            if (in.getInt() != FORMAT_MAGIC) {
                throw new IllegalArgumentException("not a mixstream model state");
            }
            int version = in.getShort();
            if (version != FORMAT_VERSION) {
                throw new IllegalArgumentException("unsupported model state version " + version);
            }
            OnlineMixture m = new OnlineMixture(readConfig(in));
            int d = in.getInt();
            int w = in.getInt();
            m.pointsSeen = in.getLong();
            m.pointsApplied = in.getLong();
            m.steps = in.getLong();
            m.refits = in.getLong();
            m.scored = in.getLong();
            m.effectiveCount = in.getDouble();
            m.avgLogLikelihood = in.getDouble();
            boolean initialised = in.get() != 0;
            if (d >= 0) {
                m.dimension = d;
                m.warmup = w;
            }
            if (!initialised) {
                if (d >= 0) {
                    m.buffer = new double[w][];
                    m.bufferTags = new byte[w][];
                }
                m.buffered = in.getInt();
                for (int i = 0; i < m.buffered; i++) {
                    m.buffer[i] = getAll(in, d);
                    m.bufferTags[i] = readTag(in);
                }
            } else {
                m.allocateRunning();
                m.statistics.read(in);
                m.batchCount = in.getInt();
                if (m.batchCount > 0) {
                    m.batch.read(in);
                }
                for (int c = 0; c < m.recentShare.length; c++) {
                    m.recentShare[c] = in.getDouble();
                }
                m.sinceRefit = in.getLong();
                m.recentLogLikelihood = in.getDouble();
                int collected = in.getInt();
                if (collected >= 0) {
                    m.refitBuffer = new double[w][];
                    m.refitCount = collected;
                    for (int i = 0; i < collected; i++) {
                        m.refitBuffer[i] = getAll(in, d);
                    }
                }
                m.statistics.maximise(m.mixture, m.config.regCovar());
            }
            if (in.hasRemaining()) {
                throw new IllegalArgumentException("corrupt model state: " + in.remaining() + " trailing bytes");
            }
            return m;
        } catch (RuntimeException e) {
            if (e instanceof IllegalArgumentException iae) {
                throw iae;
            }
            throw new IllegalArgumentException("corrupt model state: " + e, e);
        }
    }

    private static void writeTag(ByteBuffer out, byte[] tag) {
        if (tag == null) {
            out.putInt(-1);
        } else {
            out.putInt(tag.length);
            out.put(tag);
        }
    }

    private static byte[] readTag(ByteBuffer in) {
        int n = in.getInt();
        if (n < 0) {
            return null;
        }
        byte[] tag = new byte[n];
        in.get(tag);
        return tag;
    }

    /** Bytes of {@link #writeConfig}. */
    private static final int CONFIG_BYTES = 4 + 1 + 8 + 8 + 8 + 4 + 4 + 4 + 8 + 8;

    private static void writeConfig(ByteBuffer out, MixtureConfig c) {
        out.putInt(c.components());
        out.put((byte) c.covarianceType().ordinal());
        out.putDouble(c.regCovar());
        out.putDouble(c.halfLife());
        out.putDouble(c.stepExponent());
        out.putInt(c.batchSize());
        out.putInt(c.warmup());
        out.putInt(c.initIterations());
        out.putDouble(c.minWeight());
        out.putLong(c.seed());
    }

    private static MixtureConfig readConfig(ByteBuffer in) {
        return new MixtureConfig(in.getInt(), CovarianceType.values()[in.get()], in.getDouble(),
                in.getDouble(), in.getDouble(), in.getInt(), in.getInt(), in.getInt(), in.getDouble(),
                in.getLong());
    }
}
