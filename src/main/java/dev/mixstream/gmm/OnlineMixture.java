package dev.mixstream.gmm;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The online estimator: stepwise EM over exponentially decayed sufficient statistics.
 *
 * <p>Life cycle of a model:
 * <ol>
 *   <li>The first point fixes the dimension D. The first W points ({@link MixtureConfig#warmupFor})
 *       are buffered.</li>
 *   <li>At the W-th point the model is initialised by batch EM on the buffer (k-means++ seeded
 *       with the configured seed) and every buffered point is scored under that model, in order.</li>
 *   <li>Each later point is scored under the current parameters (its responsibilities, hard
 *       assignment and log-likelihood), then its statistics s(x) = (γ, γx, γxxᵀ) are averaged
 *       into a mini-batch of m points, and each full batch takes one step
 *       S ← (1−η_n) S + η_n s̄, η_n = max((n + 2)^(−α), η_min), followed by the M-step.</li>
 *   <li>After each step, a component whose weight fell under {@code minWeight} is re-seeded by
 *       splitting the heaviest component along its main axis, so a drifting stream cannot leave
 *       components starving at places the data have left.</li>
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

    private final MixtureConfig config;
    /** ρ_min = 1 − 2^(−1/halfLife): the per-point forgetting rate of the average log-likelihood. */
    private final double pointForgetRate;
    private int dimension = -1;
    private int warmup;

    // warm-up phase
    private double[][] buffer;
    private byte[][] bufferTags;
    private int buffered;

    // running phase
    private SufficientStatistics statistics;
    private SufficientStatistics batch;
    private int batchCount;
    private GaussianMixture mixture;
    private PointScore score;

    private long pointsSeen;
    private long pointsApplied;
    private long steps;
    private long reseeds;
    private double effectiveCount;
    private double avgLogLikelihood;
    private long scored;

    /** A model that has seen no point yet. */
    public OnlineMixture(MixtureConfig config) {
        this.config = config;
        this.pointForgetRate = config.withBatchSize(1).minStepSize();
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

    /** Number of starving components re-seeded so far. */
    public long reseeds() {
        return reseeds;
    }

    /** Stepwise-EM steps taken (the warm-up counts as W/m steps). */
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
        batch.accumulate(x, score.responsibilities, 1.0 / config.batchSize()); // s̄ += s(x)/m
        if (++batchCount == config.batchSize()) {
            step();
        }
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
        batch = new SufficientStatistics(k, dimension, config.covarianceType());
        mixture = new GaussianMixture(k, dimension, config.covarianceType());
        score = new PointScore(k);
    }

    private void initialise(ScoreSink sink) {
        double[][] points = Arrays.copyOf(buffer, buffered);
        BatchEm.Fit fit = BatchEm.fitOnce(points, config,
                new BatchEm.Options(1, config.initIterations(), 1e-6), new SplittableRandom(config.seed()));
        allocateRunning();
        statistics.copyFrom(fit.statistics());
        statistics.normalise();
        statistics.maximise(mixture, config.regCovar());
        pointsApplied = buffered;
        steps = Math.max(1, buffered / config.batchSize());
        effectiveCount = buffered;
        long first = pointsSeen - buffered;
        for (int i = 0; i < buffered; i++) {
            emit(points[i], bufferTags[i], first + i, sink);
        }
        buffer = null;
        bufferTags = null;
        buffered = 0;
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

    private void step() {
        double eta = config.stepSize(steps);
        statistics.blend(batch, eta); // S ← (1−η) S + η s̄
        batch.reset();
        batchCount = 0;
        steps++;
        pointsApplied += config.batchSize();
        effectiveCount = config.batchSize() / eta; // n_eff = m / η
        int reseeded = statistics.reseedStarving(config.minWeight());
        if (reseeded > 0) {
            reseeds += reseeded;
            statistics.normalise();
        }
        statistics.maximise(mixture, config.regCovar()); // M-step
    }

    // ---- serialisation ----------------------------------------------------------------------------

    /**
     * The complete state in a compact versioned binary form: configuration, counters, the warm-up
     * buffer (with tags) or the statistics and pending mini-batch. Parameters are recomputed from the
     * statistics on decoding, which is deterministic, so a decoded model continues bit-identically.
     */
    public byte[] toBytes() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(FORMAT_MAGIC);
            out.writeShort(FORMAT_VERSION);
            writeConfig(out, config);
            out.writeInt(dimension);
            out.writeInt(warmup);
            out.writeLong(pointsSeen);
            out.writeLong(pointsApplied);
            out.writeLong(steps);
            out.writeLong(reseeds);
            out.writeLong(scored);
            out.writeDouble(effectiveCount);
            out.writeDouble(avgLogLikelihood);
            out.writeBoolean(mixture != null);
            if (mixture == null) {
                out.writeInt(buffered);
                for (int i = 0; i < buffered; i++) {
                    for (double v : buffer[i]) {
                        out.writeDouble(v);
                    }
                    writeTag(out, bufferTags[i]);
                }
            } else {
                statistics.write(out);
                out.writeInt(batchCount);
                if (batchCount > 0) {
                    batch.write(out);
                }
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Decodes {@link #toBytes()}.
     *
     * @throws IllegalArgumentException if the bytes are not a model state of a known version
     */
    public static OnlineMixture fromBytes(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            if (in.readInt() != FORMAT_MAGIC) {
                throw new IllegalArgumentException("not a mixstream model state");
            }
            int version = in.readShort();
            if (version != FORMAT_VERSION) {
                throw new IllegalArgumentException("unsupported model state version " + version);
            }
            OnlineMixture m = new OnlineMixture(readConfig(in));
            int d = in.readInt();
            int w = in.readInt();
            m.pointsSeen = in.readLong();
            m.pointsApplied = in.readLong();
            m.steps = in.readLong();
            m.reseeds = in.readLong();
            m.scored = in.readLong();
            m.effectiveCount = in.readDouble();
            m.avgLogLikelihood = in.readDouble();
            boolean initialised = in.readBoolean();
            if (d >= 0) {
                m.dimension = d;
                m.warmup = w;
            }
            if (!initialised) {
                if (d >= 0) {
                    m.buffer = new double[w][];
                    m.bufferTags = new byte[w][];
                }
                m.buffered = in.readInt();
                for (int i = 0; i < m.buffered; i++) {
                    double[] x = new double[d];
                    for (int j = 0; j < d; j++) {
                        x[j] = in.readDouble();
                    }
                    m.buffer[i] = x;
                    m.bufferTags[i] = readTag(in);
                }
            } else {
                m.allocateRunning();
                m.statistics.read(in);
                m.batchCount = in.readInt();
                if (m.batchCount > 0) {
                    m.batch.read(in);
                }
                m.statistics.maximise(m.mixture, m.config.regCovar());
            }
            return m;
        } catch (IOException | RuntimeException e) {
            if (e instanceof IllegalArgumentException iae) {
                throw iae;
            }
            throw new IllegalArgumentException("corrupt model state: " + e, e);
        }
    }

    private static void writeTag(DataOutputStream out, byte[] tag) throws IOException {
        if (tag == null) {
            out.writeInt(-1);
        } else {
            out.writeInt(tag.length);
            out.write(tag);
        }
    }

    private static byte[] readTag(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            return null;
        }
        byte[] tag = new byte[n];
        in.readFully(tag);
        return tag;
    }

    private static void writeConfig(DataOutputStream out, MixtureConfig c) throws IOException {
        out.writeInt(c.components());
        out.writeByte(c.covarianceType().ordinal());
        out.writeDouble(c.regCovar());
        out.writeDouble(c.halfLife());
        out.writeDouble(c.stepExponent());
        out.writeInt(c.batchSize());
        out.writeInt(c.warmup());
        out.writeInt(c.initIterations());
        out.writeDouble(c.minWeight());
        out.writeLong(c.seed());
    }

    private static MixtureConfig readConfig(DataInputStream in) throws IOException {
        return new MixtureConfig(in.readInt(), CovarianceType.values()[in.readByte()], in.readDouble(),
                in.readDouble(), in.readDouble(), in.readInt(), in.readInt(), in.readInt(), in.readDouble(),
                in.readLong());
    }
}
