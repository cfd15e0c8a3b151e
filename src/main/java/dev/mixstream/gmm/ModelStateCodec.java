package dev.mixstream.gmm;

import java.nio.ByteBuffer;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * The binary form of an {@link OnlineMixture}: its complete state, so that a decoded model continues
 * bit-identically (the state store's value format, read back on every restart and restore).
 *
 * <p>Version 5, big-endian (as {@link java.io.DataOutputStream} writes); version 4 is the same without
 * max_components and the components block, version 3 also without the factor block, version 2 also without the
 * loaded-parameters block, version 1 also without the anomaly block:
 * <pre>
 * int    magic "MXS1"            short version
 * config: int K (0: automatic), byte covariance-type code ({@link CovarianceType#code()}), double reg_covar,
 *         double half_life, double step_exponent, int batch_size, int warmup, int init_iterations,
 *         double min_weight, long seed, (version 5) int max_components
 * int D (−1 before the first point)  int W
 * long points_seen, points_applied, steps, refits, scored   double n_eff, avg_log_likelihood
 * byte initialised
 * warming up: int n, then n × (D doubles, int tag length (−1: none), tag bytes)
 * running:    (version 5) the components block: int K, K ints component ids, int next id, long points since
 *             the last review, long reviews, births, splits, merges, deaths, int reviews in a row that changed
 *             nothing, byte collection started by a drop;
 *             statistics (of K components), int pending-batch count, [batch statistics if count &gt; 0],
 *             K doubles r_k, long points since re-fit, double recent log-likelihood,
 *             int collected re-fit points (−1: not collecting), then that many × D doubles,
 *             then (version 3) the loaded-parameters block: byte pinned, and if 1, per component: double π,
 *             D doubles μ, the covariance as stored (FULL: lower triangle row by row, otherwise D doubles) —
 *             the parameters a model was {@link OnlineMixture#loaded} with, until its first M-step,
 *             then (version 4) the factor block: byte present, and if 1 (FULL, batch size 1, not pinned), per
 *             component: double W₀, int updates, and if updates &gt; 0 the Cholesky factor L (lower triangle
 *             row by row) — a factor {@link IncrementalFactors} moved by rank-one updates, which the statistics
 *             alone do not give (with 0 updates it is the statistics' own, recomputed as for any component),
 *             then (version ≥ 2) the anomaly block: long points since the reference's refresh,
 *             long points not learned, long anomalies, double anomaly rate,
 *             {@link LogLikelihoodReference#LEVELS} doubles, the reference's quantiles
 * statistics: double g, then per component: double weight, D doubles mean,
 *             scatter (FULL: lower triangle row by row, otherwise D doubles)
 * </pre>
 * <p>Version 6 is a <b>warming head</b>: the same header (as version 5), then, in place of the warming-up points,
 * <pre>
 * int B (points per block)  int b (blocks left out)  int n, then n × (D doubles, int tag length (−1: none), tag bytes)
 * </pre>
 * where the n points follow the first b·B points of the buffer, which are kept elsewhere in b <b>blocks</b>
 * ({@link #encodeBlock}: int B, then B points as above). {@link #encodeHead} writes it, for a store that keeps the
 * blocks under keys of their own, so that a warming model's state written at every commit holds fewer than B points
 * and a full block is written once ({@link #BLOCK_POINTS}); {@link #decode(byte[], IntFunction)} puts the buffer back
 * together.
 * <p>Version 7 is a <b>running head</b>: a running model's version-5 state whose anomaly block ends, in place of the
 * {@link LogLikelihoodReference#LEVELS} quantiles, with
 * <pre>
 * long stamp  (the quantiles' {@link #referenceStamp}: h ← 0x6D7873526566; per quantile h ← rotl(h ⊕ bits(q), 23) · φ64)
 * </pre>
 * and the quantiles are kept elsewhere in a <b>reference record</b> ({@link #encodeReference}: int LEVELS, then the
 * quantiles). The reference changes only when it is refreshed (every ≥ 2 048 points, at initialisation and re-fits),
 * so a store that keeps it under a key of its own writes it then, and a running model's state written at every commit
 * is 728 bytes shorter. {@link #decode(byte[], IntFunction, Supplier)} takes the record whose quantiles match the stamp;
 * without one (missing, or of another refresh) it recomputes the reference from the decoded parameters, as it does for
 * a version-1 state. {@link #encode} still writes every state, warming or running, as version 5.
 *
 * <p>Parameters are not stored (but for a loaded model before its first step, and the factors of the factor block):
 * decoding recomputes them from the statistics (a deterministic M-step). A version-3 state of a model with
 * incremental factors decodes with every factor recomputed from the statistics (a refactorisation, as at any
 * renormalisation).
 * A version-1 state has no anomaly reference: decoding one computes it from the decoded parameters and
 * starts the anomaly counters at zero (its learning continues bit-identically; its anomaly scores are
 * those of a reference refreshed at the moment of decoding).
 * Changing the layout means a new version whose decoder still reads every earlier one
 * ({@code ModelStateCodecTest} decodes states committed by each version).
 */
public final class ModelStateCodec {
    static final int MAGIC = 0x4D585331; // "MXS1"
    static final int VERSION = 5;
    /** A warming head: version 5's header, with the first b·B points of the buffer left out (in blocks). */
    static final int VERSION_6 = 6;
    /**
     * Points per warm-up block of {@link #encodeHead}: a warming model's head holds at most B − 1 points (≈ 2 KB at
     * D = 8 with short tags), and each block of B points is written once.
     */
    public static final int BLOCK_POINTS = 32;
    /** A running head: version 5 with the anomaly reference's quantiles replaced by their stamp (kept elsewhere). */
    static final int VERSION_7 = 7;
    /** Bytes of a reference record ({@link #encodeReference}). */
    static final int REFERENCE_BYTES = 4 + LogLikelihoodReference.LEVELS * 8;
    /** The fourth version, without max_components and the components block (still decoded). */
    static final int VERSION_4 = 4;
    /** The third version, without the factor block (still decoded). */
    static final int VERSION_3 = 3;
    /** The first version, without the anomaly block (still decoded). */
    static final int VERSION_1 = 1;
    /** The second version, without the loaded-parameters block (still decoded). */
    static final int VERSION_2 = 2;
    /** Bytes of the anomaly block (version 2, running models). */
    private static final int ANOMALY_BYTES = 3 * 8 + 8 + LogLikelihoodReference.LEVELS * 8;
    /** Bytes of the configuration block up to version 4. */
    private static final int CONFIG_BYTES_V4 = 4 + 1 + 8 + 8 + 8 + 4 + 4 + 4 + 8 + 8;
    /** Bytes of the configuration block. */
    private static final int CONFIG_BYTES = CONFIG_BYTES_V4 + 4;
    private static final int HEADER_BYTES = 4 + 2 + CONFIG_BYTES + 4 + 4 + 5 * 8 + 2 * 8 + 1;
    /** Bytes of the components block, but the ids. */
    private static final int COMPONENTS_BYTES = 4 + 4 + 6 * 8 + 4 + 1;

    private ModelStateCodec() {
    }

    /** The model's state, in one array of exactly {@link #encodedSize} bytes. */
    public static byte[] encode(OnlineMixture m) {
        ByteBuffer out = ByteBuffer.allocate(encodedSize(m));
        writeHeader(out, m, VERSION);
        if (m.mixture == null) {
            writeWarmup(out, m);
        } else {
            writeRunning(out, m, false);
        }
        if (out.hasRemaining()) {
            throw new IllegalStateException("encoded size miscomputed: " + out.remaining() + " bytes left");
        }
        return out.array();
    }

    /** Magic, version, the configuration block and the scalars up to the initialised flag. */
    private static void writeHeader(ByteBuffer out, OnlineMixture m, int version) {
        out.putInt(MAGIC);
        out.putShort((short) version);
        writeConfig(out, m.config);
        out.putInt(m.dimension);
        out.putInt(m.warmup);
        out.putLong(m.pointsSeen);
        out.putLong(m.pointsApplied);
        out.putLong(m.steps);
        out.putLong(m.refits);
        out.putLong(m.scored);
        out.putDouble(m.effectiveCount);
        out.putDouble(m.avgLogLikelihood);
        out.put((byte) (m.mixture != null ? 1 : 0));
    }

    /** The length of {@link #encode}'s result. */
    public static int encodedSize(OnlineMixture m) {
        int n = HEADER_BYTES;
        if (m.mixture == null) {
            n += 4 + pointsSize(m, 0, m.buffered);
        } else {
            n += COMPONENTS_BYTES + 4 * m.components();
            n += statisticsSize(m.statistics) + 4 + (m.batchCount > 0 ? statisticsSize(m.batch) : 0);
            n += 8 * m.drift.recentShare.length + 8 + 8 + 4 + m.drift.collectedCount * 8 * m.dimension;
            n += 1 + (m.pinned ? m.mixture.components() * 8 * (1 + m.dimension + covarianceValues(m.mixture)) : 0);
            n += 1 + factorBlockSize(m);
            n += ANOMALY_BYTES;
        }
        return n;
    }

    /** The fixed-size header of a state: its version, configuration block position, and the scalars after it. */
    private record Header(int version, int components, int dimension, int warmup, long pointsSeen,
                          long pointsApplied, long steps, long refits, long scored, double effectiveCount,
                          double avgLogLikelihood, boolean initialised) {
    }

    /**
     * Reads the header; with {@code config} non-null, hands it the configuration block (else skips it).
     *
     * @throws IllegalArgumentException if the bytes are not a model state of a known version
     */
    private static Header readHeader(ByteBuffer in, java.util.function.Consumer<ByteBuffer> config) {
        if (in.getInt() != MAGIC) {
            throw new IllegalArgumentException("not a mixstream model state");
        }
        int version = in.getShort();
        if (version != VERSION && version != VERSION_6 && version != VERSION_7 && version != VERSION_4
                && version != VERSION_3 && version != VERSION_2 && version != VERSION_1) {
            throw new IllegalArgumentException("unsupported model state version " + version);
        }
        int configStart = in.position();
        int components = in.getInt(configStart);
        if (config != null) {
            config.accept(in);
        } else {
            in.position(configStart + (version >= VERSION ? CONFIG_BYTES : CONFIG_BYTES_V4));
        }
        Header h = new Header(version, components, in.getInt(), in.getInt(), in.getLong(), in.getLong(), in.getLong(),
                in.getLong(), in.getLong(), in.getDouble(), in.getDouble(), in.get() != 0);
        if (version == VERSION_6 && h.initialised()) {
            throw new IllegalArgumentException("corrupt model state: a warming head of a running model");
        }
        if (version == VERSION_7 && !h.initialised()) {
            throw new IllegalArgumentException("corrupt model state: a running head of a warming model");
        }
        if (h.initialised() && version >= VERSION) { // the current K starts the components block
            return new Header(version, in.getInt(in.position()), h.dimension(), h.warmup(), h.pointsSeen(),
                    h.pointsApplied(), h.steps(), h.refits(), h.scored(), h.effectiveCount(), h.avgLogLikelihood(),
                    true);
        }
        return h;
    }

    /**
     * What a model's state says about it without decoding its parameters: reads the fixed-size header, and the
     * anomaly rate from the fixed-size anomaly block that ends a running model's version-2 state.
     *
     * @throws IllegalArgumentException if the bytes are not a model state of a known version
     */
    public static ModelSummary summary(byte[] bytes) {
        try {
            ByteBuffer in = ByteBuffer.wrap(bytes);
            Header h = readHeader(in, null);
            Double anomalyRate = null;
            if (h.initialised() && h.version() >= VERSION_2) {
                // anomaly block: long, long, long, double rate, then the quantiles (version 7: their stamp)
                int after = h.version() == VERSION_7 ? 8 : LogLikelihoodReference.LEVELS * 8;
                anomalyRate = in.getDouble(bytes.length - after - 8);
            }
            int d = h.dimension();
            return new ModelSummary(h.components(), d, d < 0 ? -1 : h.warmup(), h.pointsSeen(), h.refits(),
                    h.initialised(), h.initialised() ? h.avgLogLikelihood() : null, anomalyRate);
        } catch (java.nio.BufferUnderflowException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("truncated model state", e);
        }
    }

    /**
     * Decodes {@link #encode}'s bytes.
     *
     * @throws IllegalArgumentException if the bytes are not a model state of a known version
     */
    public static OnlineMixture decode(byte[] bytes) {
        return decode(bytes, null);
    }

    /**
     * Decodes {@link #encode}'s or {@link #encodeHead}'s bytes; a head's left-out points are read from
     * {@code blocks} (block i's bytes, as {@link #encodeBlock} wrote them). A block that is missing (null) is left out
     * of the buffer with its points, the later ones moving up: the model continues its warm-up without them (a store
     * whose head and blocks could be written apart, as at-least-once processing allows, then re-reads those points
     * from its input, whose offsets were not committed either).
     *
     * @param blocks the head's blocks, or null for a state that has none
     * @throws IllegalArgumentException if the bytes are not a model state of a known version, or a head's blocks are
     *                                  corrupt or not given
     */
    public static OnlineMixture decode(byte[] bytes, IntFunction<byte[]> blocks) {
        return decode(bytes, blocks, null);
    }

    /**
     * Decodes {@link #encode}'s, {@link #encodeHead}'s or {@link #encodeRunningHead}'s bytes: a warming head's
     * left-out points as {@link #decode(byte[], IntFunction)} reads them, and a running head's anomaly reference from
     * {@code reference} (the bytes {@link #encodeReference} wrote). A reference record that is missing (null), not one,
     * or of another refresh than the head's stamp says is not used: the reference is recomputed from the decoded
     * parameters (as for a version-1 state: its anomaly scores are those of a reference refreshed now, and so are the
     * points a policy that does not learn flagged points keeps out), which {@link #referenceStamp} then tells apart
     * from the head's {@link #stampOf}.
     *
     * @param blocks    the head's blocks, or null for a state that has none
     * @param reference the running head's reference record, or null for a state that has none
     * @throws IllegalArgumentException if the bytes are not a model state of a known version, or a head's blocks are
     *                                  corrupt or not given, or a running head's reference not given
     */
    public static OnlineMixture decode(byte[] bytes, IntFunction<byte[]> blocks, Supplier<byte[]> reference) {
        try {
            ByteBuffer in = ByteBuffer.wrap(bytes);
            MixtureConfig[] config = new MixtureConfig[1];
            int version = bytes.length >= 6 ? ByteBuffer.wrap(bytes).getShort(4) : 0;
            Header h = readHeader(in, b -> config[0] = readConfig(b, version));
            OnlineMixture m = new OnlineMixture(config[0]);
            m.pointsSeen = h.pointsSeen();
            m.pointsApplied = h.pointsApplied();
            m.steps = h.steps();
            m.refits = h.refits();
            m.scored = h.scored();
            m.effectiveCount = h.effectiveCount();
            m.avgLogLikelihood = h.avgLogLikelihood();
            if (h.dimension() >= 0) {
                m.dimension = h.dimension();
                m.warmup = h.warmup();
            }
            if (h.initialised()) {
                readRunning(in, m, h.version());
                if (h.version() >= VERSION_3) {
                    readPinned(in, m);
                }
                if (h.version() >= VERSION_4) {
                    readFactors(in, m);
                }
                if (h.version() == VERSION_1) {
                    m.reference.refresh(m.mixture);
                } else {
                    readAnomalies(in, m, h.version(), reference);
                }
            } else if (h.version() == VERSION_6) {
                readWarmingHead(in, m, blocks);
            } else {
                readWarmup(in, m);
            }
            if (in.hasRemaining()) {
                throw new IllegalArgumentException("corrupt model state: " + in.remaining() + " trailing bytes");
            }
            return m;
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("corrupt model state: " + e, e);
        }
    }

    /** Full blocks of B points at the start of a warming model's buffer (0 for a running one). */
    public static int fullBlocks(OnlineMixture m) {
        return m.mixture == null ? m.buffered / BLOCK_POINTS : 0;
    }

    /**
     * The model's state without its first {@link #fullBlocks} blocks of warm-up points (a version-6 warming head), or,
     * if it has none, {@link #encode}'s bytes.
     */
    public static byte[] encodeHead(OnlineMixture m) {
        int blocks = fullBlocks(m);
        if (blocks == 0) {
            return encode(m);
        }
        int from = blocks * BLOCK_POINTS;
        int n = HEADER_BYTES + 4 + 4 + 4 + pointsSize(m, from, m.buffered);
        ByteBuffer out = ByteBuffer.allocate(n);
        writeHeader(out, m, VERSION_6);
        out.putInt(BLOCK_POINTS);
        out.putInt(blocks);
        out.putInt(m.buffered - from);
        writePoints(out, m, from, m.buffered);
        return out.array();
    }

    /** Block {@code b} of the warm-up buffer ({@code b <} {@link #fullBlocks}): int B, then its B points. */
    public static byte[] encodeBlock(OnlineMixture m, int b) {
        java.util.Objects.checkIndex(b, fullBlocks(m));
        int from = b * BLOCK_POINTS;
        ByteBuffer out = ByteBuffer.allocate(4 + pointsSize(m, from, from + BLOCK_POINTS));
        out.putInt(BLOCK_POINTS);
        writePoints(out, m, from, from + BLOCK_POINTS);
        return out.array();
    }

    /**
     * The blocks a state's bytes leave out: b of a version-6 warming head, 0 for any other state.
     *
     * @throws IllegalArgumentException if the bytes are not a model state of a known version
     */
    public static int blocksOf(byte[] bytes) {
        try {
            ByteBuffer in = ByteBuffer.wrap(bytes);
            Header h = readHeader(in, null);
            return h.version() == VERSION_6 ? in.getInt(in.position() + 4) : 0;
        } catch (java.nio.BufferUnderflowException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("truncated model state", e);
        }
    }

    private static int pointsSize(OnlineMixture m, int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) {
            n += 8 * m.buffer[i].length + 4 + (m.bufferTags[i] == null ? 0 : m.bufferTags[i].length);
        }
        return n;
    }

    private static void writePoints(ByteBuffer out, OnlineMixture m, int from, int to) {
        for (int i = from; i < to; i++) {
            putAll(out, m.buffer[i]);
            writeTag(out, m.bufferTags[i]);
        }
    }

    /** A version-6 warming head's points: its blocks' (those given), then its own. */
    private static void readWarmingHead(ByteBuffer in, OnlineMixture m, IntFunction<byte[]> blocks) {
        int blockPoints = in.getInt();
        int count = in.getInt();
        int own = in.getInt();
        if (blockPoints < 1 || count < 1 || own < 0 || own >= blockPoints || m.dimension < 0
                || (long) blockPoints * count + own > m.warmup) {
            throw new IllegalArgumentException("corrupt model state: a warming head of " + count + " blocks of "
                    + blockPoints + " points and " + own + " more, warm-up " + m.warmup);
        }
        if (blocks == null) {
            throw new IllegalArgumentException("a warming head whose first " + count * blockPoints
                    + " points are in blocks: decode it with its blocks");
        }
        m.buffer = new double[m.warmup][];
        m.bufferTags = new byte[m.warmup][];
        m.buffered = 0;
        for (int b = 0; b < count; b++) {
            byte[] block = blocks.apply(b);
            if (block == null) {
                continue;
            }
            ByteBuffer bin = ByteBuffer.wrap(block);
            if (bin.getInt() != blockPoints) {
                throw new IllegalArgumentException("corrupt warm-up block " + b + ": not of " + blockPoints + " points");
            }
            readPoints(bin, m, blockPoints);
            if (bin.hasRemaining()) {
                throw new IllegalArgumentException("corrupt warm-up block " + b + ": " + bin.remaining()
                        + " trailing bytes");
            }
        }
        readPoints(in, m, own);
    }

    private static void readPoints(ByteBuffer in, OnlineMixture m, int n) {
        for (int i = 0; i < n; i++) {
            m.buffer[m.buffered] = getAll(in, m.dimension);
            m.bufferTags[m.buffered] = readTag(in);
            m.buffered++;
        }
    }

    private static void writeWarmup(ByteBuffer out, OnlineMixture m) {
        out.putInt(m.buffered);
        writePoints(out, m, 0, m.buffered);
    }

    private static void readWarmup(ByteBuffer in, OnlineMixture m) {
        if (m.dimension >= 0) {
            m.buffer = new double[m.warmup][];
            m.bufferTags = new byte[m.warmup][];
        }
        m.buffered = in.getInt();
        for (int i = 0; i < m.buffered; i++) {
            m.buffer[i] = getAll(in, m.dimension);
            m.bufferTags[i] = readTag(in);
        }
    }

    /** The running model's state after its header; with {@code stamp}, the reference's stamp ends it (version 7). */
    private static void writeRunning(ByteBuffer out, OnlineMixture m, boolean stamp) {
        int k = m.components();
        out.putInt(k);
        for (int c = 0; c < k; c++) {
            out.putInt(m.componentIds[c]);
        }
        out.putInt(m.nextComponentId);
        out.putLong(m.sinceReview);
        out.putLong(m.reviews);
        out.putLong(m.births);
        out.putLong(m.splits);
        out.putLong(m.merges);
        out.putLong(m.deaths);
        out.putInt(m.quietReviews);
        out.put((byte) (m.drift.dropTriggered ? 1 : 0));
        writeStatistics(out, m.statistics);
        out.putInt(m.batchCount);
        if (m.batchCount > 0) {
            writeStatistics(out, m.batch);
        }
        DriftWatch drift = m.drift;
        putAll(out, drift.recentShare);
        out.putLong(drift.sinceRefit);
        out.putDouble(drift.recentLogLikelihood);
        out.putInt(drift.collected == null ? -1 : drift.collectedCount);
        for (int i = 0; i < drift.collectedCount; i++) {
            putAll(out, drift.collected[i]);
        }
        writePinned(out, m);
        writeFactors(out, m);
        out.putLong(m.pointsSinceReference);
        out.putLong(m.pointsNotLearned);
        out.putLong(m.anomalies);
        out.putDouble(m.anomalyRate);
        if (stamp) {
            out.putLong(referenceStamp(m));
        } else {
            putAll(out, m.reference.quantiles);
        }
    }

    /** Covariance values stored per component: FULL the lower triangle, otherwise D. */
    private static int covarianceValues(GaussianMixture g) {
        int d = g.dimension();
        return g.covarianceType() == CovarianceType.FULL ? d * (d + 1) / 2 : d;
    }

    private static void writePinned(ByteBuffer out, OnlineMixture m) {
        out.put((byte) (m.pinned ? 1 : 0));
        if (!m.pinned) {
            return;
        }
        GaussianMixture g = m.mixture;
        int d = g.dimension();
        double[] pi = g.weights();
        for (int c = 0; c < g.components(); c++) {
            out.putDouble(pi[c]);
            putAll(out, g.meanArray(c));
            double[] cov = g.covarianceArray(c);
            if (g.covarianceType() == CovarianceType.FULL) {
                for (int i = 0; i < d; i++) {
                    for (int j = 0; j <= i; j++) {
                        out.putDouble(cov[i * d + j]);
                    }
                }
            } else {
                putAll(out, cov);
            }
        }
    }

    /** The loaded parameters replace those the decoder re-computed from the statistics. */
    private static void readPinned(ByteBuffer in, OnlineMixture m) {
        m.pinned = in.get() != 0;
        if (!m.pinned) {
            return;
        }
        GaussianMixture g = m.mixture;
        int d = g.dimension();
        for (int c = 0; c < g.components(); c++) {
            g.setWeight(c, in.getDouble());
            double[] mean = g.meanArray(c);
            for (int i = 0; i < d; i++) {
                mean[i] = in.getDouble();
            }
            double[] cov = g.covarianceArray(c);
            if (g.covarianceType() == CovarianceType.FULL) {
                for (int i = 0; i < d; i++) {
                    for (int j = 0; j <= i; j++) {
                        double v = in.getDouble();
                        cov[i * d + j] = v;
                        cov[j * d + i] = v;
                    }
                }
            } else {
                for (int i = 0; i < d; i++) {
                    cov[i] = in.getDouble();
                }
            }
            g.refactor(c, m.config.regCovar());
        }
        m.statistics.changedAll(); // the first M-step re-computes every component, as the loaded model's does
    }

    /** Whether the factor block holds factors: FULL with batch size 1 (rank-one updates), not pinned. */
    private static boolean writesFactors(OnlineMixture m) {
        return !m.pinned && m.statistics.incrementalFactors() != null;
    }

    private static int factorBlockSize(OnlineMixture m) {
        if (!writesFactors(m)) {
            return 0;
        }
        int[] updates = m.statistics.incrementalFactors().updates;
        int n = 0;
        for (int u : updates) {
            n += 8 + 4 + (u > 0 ? 8 * covarianceValues(m.mixture) : 0);
        }
        return n;
    }

    private static void writeFactors(ByteBuffer out, OnlineMixture m) {
        out.put((byte) (writesFactors(m) ? 1 : 0));
        if (!writesFactors(m)) {
            return;
        }
        IncrementalFactors f = m.statistics.incrementalFactors();
        int d = m.dimension;
        for (int c = 0; c < m.mixture.components(); c++) {
            out.putDouble(f.floorWeight[c]);
            out.putInt(f.updates[c]);
            if (f.updates[c] == 0) {
                continue;
            }
            double[] l = m.mixture.factorArray(c);
            for (int i = 0; i < d; i++) {
                for (int j = 0; j <= i; j++) {
                    out.putDouble(l[i * d + j]);
                }
            }
        }
    }

    /** The factors as the encoded model had them, in place of those the decoder computed from the statistics. */
    private static void readFactors(ByteBuffer in, OnlineMixture m) {
        if (in.get() == 0) {
            return;
        }
        IncrementalFactors f = m.statistics.incrementalFactors();
        if (f == null || m.pinned) {
            throw new IllegalArgumentException("corrupt model state: factors for a model that does not keep them");
        }
        int d = m.dimension;
        for (int c = 0; c < m.mixture.components(); c++) {
            f.floorWeight[c] = in.getDouble();
            f.updates[c] = in.getInt();
            if (f.updates[c] == 0) {
                continue; // the factor the decoder computed from the statistics, as the model had it
            }
            double[] l = m.mixture.factorArray(c);
            for (int i = 0; i < d; i++) {
                for (int j = 0; j <= i; j++) {
                    l[i * d + j] = in.getDouble();
                }
            }
            if (!m.mixture.factorWritten(c)) {
                throw new IllegalArgumentException("corrupt model state: factor " + c + " is not positive definite");
            }
        }
    }

    private static void readAnomalies(ByteBuffer in, OnlineMixture m, int version, Supplier<byte[]> reference) {
        m.pointsSinceReference = in.getLong();
        m.pointsNotLearned = in.getLong();
        m.anomalies = in.getLong();
        m.anomalyRate = in.getDouble();
        double[] q = m.reference.quantiles;
        m.reference.quantilesChanged();
        if (version != VERSION_7) {
            for (int i = 0; i < q.length; i++) {
                q[i] = in.getDouble();
            }
            return;
        }
        long stamp = in.getLong();
        if (reference == null) {
            throw new IllegalArgumentException("a running head whose anomaly reference is kept apart: decode it with "
                    + "its reference");
        }
        byte[] record = reference.get();
        if (record != null && record.length == REFERENCE_BYTES
                && ByteBuffer.wrap(record).getInt() == LogLikelihoodReference.LEVELS) {
            ByteBuffer rin = ByteBuffer.wrap(record, 4, record.length - 4);
            for (int i = 0; i < q.length; i++) {
                q[i] = rin.getDouble();
            }
            if (referenceStamp(m) == stamp) {
                return;
            }
        }
        m.reference.refresh(m.mixture); // missing or of another refresh: recomputed from the parameters, as in version 1
    }

    /**
     * A running model's state without its anomaly reference's quantiles (a version-7 running head, 728 bytes shorter
     * than {@link #encode}'s), for a store that keeps them apart ({@link #encodeReference}), written only when they
     * change: when {@link #referenceStamp} differs from the stamp the store wrote last.
     *
     * @throws IllegalArgumentException if the model is not running
     */
    public static byte[] encodeRunningHead(OnlineMixture m) {
        if (m.mixture == null) {
            throw new IllegalArgumentException("a running head of a model in its warm-up");
        }
        ByteBuffer out = ByteBuffer.allocate(encodedSize(m) - LogLikelihoodReference.LEVELS * 8 + 8);
        writeHeader(out, m, VERSION_7);
        writeRunning(out, m, true);
        if (out.hasRemaining()) {
            throw new IllegalStateException("encoded size miscomputed: " + out.remaining() + " bytes left");
        }
        return out.array();
    }

    /** The reference record of a running model: int {@link LogLikelihoodReference#LEVELS}, then the quantiles. */
    public static byte[] encodeReference(OnlineMixture m) {
        if (m.mixture == null) {
            throw new IllegalArgumentException("the anomaly reference of a model in its warm-up");
        }
        ByteBuffer out = ByteBuffer.allocate(REFERENCE_BYTES);
        out.putInt(LogLikelihoodReference.LEVELS);
        putAll(out, m.reference.quantiles);
        return out.array();
    }

    /**
     * The running model's reference stamp: a 64-bit checksum of its quantiles' bits, what a version-7 head holds in
     * their place (0 for a model in its warm-up).
     */
    public static long referenceStamp(OnlineMixture m) {
        return m.mixture == null ? 0 : m.reference.stamp();
    }

    /**
     * The stamp of the reference a version-7 running head was written with (its last 8 bytes).
     *
     * @throws IllegalArgumentException if the bytes are not a version-7 running head
     */
    public static long stampOf(byte[] head) {
        if (!keepsReferenceApart(head)) {
            throw new IllegalArgumentException("not a running head");
        }
        return ByteBuffer.wrap(head).getLong(head.length - 8);
    }

    /** Whether the bytes are a version-7 running head, whose anomaly reference is kept apart. */
    public static boolean keepsReferenceApart(byte[] bytes) {
        return bytes.length > HEADER_BYTES && ByteBuffer.wrap(bytes).getInt(0) == MAGIC
                && ByteBuffer.wrap(bytes).getShort(4) == VERSION_7;
    }

    private static void readRunning(ByteBuffer in, OnlineMixture m, int version) {
        boolean dropTriggered = false;
        if (version >= VERSION) {
            int k = in.getInt();
            if (k < 1 || k > m.config.componentLimit()) {
                throw new IllegalArgumentException("corrupt model state: " + k + " components");
            }
            m.allocateRunning(k);
            m.componentIds = new int[k];
            for (int c = 0; c < k; c++) {
                m.componentIds[c] = in.getInt();
            }
            m.nextComponentId = in.getInt();
            m.sinceReview = in.getLong();
            m.reviews = in.getLong();
            m.births = in.getLong();
            m.splits = in.getLong();
            m.merges = in.getLong();
            m.deaths = in.getLong();
            m.quietReviews = in.getInt();
            dropTriggered = in.get() != 0;
        } else {
            int k = m.config.components();
            m.allocateRunning(k);
            m.componentIds = OnlineMixture.identityIds(k);
            m.nextComponentId = k;
        }
        readStatistics(in, m.statistics);
        m.batchCount = in.getInt();
        if (m.batchCount > 0) {
            readStatistics(in, m.batch);
        }
        DriftWatch drift = m.drift;
        for (int c = 0; c < drift.recentShare.length; c++) {
            drift.recentShare[c] = in.getDouble();
        }
        drift.sinceRefit = in.getLong();
        drift.recentLogLikelihood = in.getDouble();
        int collected = in.getInt();
        if (collected >= 0) {
            drift.collected = new double[m.collectionSize()][];
            drift.collectedCount = collected;
            for (int i = 0; i < collected; i++) {
                drift.collected[i] = getAll(in, m.dimension);
            }
            drift.dropTriggered = dropTriggered;
        }
        m.statistics.maximise(m.mixture, m.config.regCovar());
    }

    private static int statisticsSize(SufficientStatistics s) {
        int scatterValues = s.type == CovarianceType.FULL ? s.d * (s.d + 1) / 2 : s.d;
        return 8 + s.k * 8 * (1 + s.d + scatterValues);
    }

    private static void writeStatistics(ByteBuffer out, SufficientStatistics s) {
        out.putDouble(s.g);
        for (int c = 0; c < s.k; c++) {
            out.putDouble(s.weight[c]);
            putAll(out, s.mean[c]);
            double[] scatter = s.scatter[c];
            if (s.type == CovarianceType.FULL) {
                for (int i = 0; i < s.d; i++) {
                    for (int j = 0; j <= i; j++) {
                        out.putDouble(scatter[i * s.d + j]);
                    }
                }
            } else {
                putAll(out, scatter);
            }
        }
    }

    private static void readStatistics(ByteBuffer in, SufficientStatistics s) {
        s.g = in.getDouble();
        s.changedAll();
        int d = s.d;
        for (int c = 0; c < s.k; c++) {
            s.weight[c] = in.getDouble();
            for (int i = 0; i < d; i++) {
                s.mean[c][i] = in.getDouble();
            }
            double[] scatter = s.scatter[c];
            java.util.Arrays.fill(scatter, 0.0);
            if (s.type == CovarianceType.FULL) {
                for (int i = 0; i < d; i++) {
                    for (int j = 0; j <= i; j++) {
                        scatter[i * d + j] = in.getDouble();
                    }
                }
            } else {
                for (int i = 0; i < d; i++) {
                    scatter[i] = in.getDouble();
                }
            }
        }
    }

    private static void writeConfig(ByteBuffer out, MixtureConfig c) {
        out.putInt(c.components());
        out.put((byte) c.covarianceType().code());
        out.putDouble(c.regCovar());
        out.putDouble(c.halfLife());
        out.putDouble(c.stepExponent());
        out.putInt(c.batchSize());
        out.putInt(c.warmup());
        out.putInt(c.initIterations());
        out.putDouble(c.minWeight());
        out.putLong(c.seed());
        out.putInt(c.maxComponents());
    }

    private static MixtureConfig readConfig(ByteBuffer in, int version) {
        return new MixtureConfig(in.getInt(), CovarianceType.ofCode(in.get()), in.getDouble(),
                in.getDouble(), in.getDouble(), in.getInt(), in.getInt(), in.getInt(), in.getDouble(),
                in.getLong(), version >= VERSION ? in.getInt() : 0);
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
}
