package dev.mixstream.gmm;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Model states written by each format version (directories {@code model-state-v1} … {@code -v5}; {@code -v6} holds
 * only the warming head and blocks of the fixtures that have full blocks, version 6 being a head's layout, and
 * {@code -v7} only the running heads and reference records of the running fixtures),
 * committed under {@code src/test/resources} so that every later version is tested against bytes that a real
 * earlier version wrote. Each fixture is a named, deterministic history of points; {@link #main} wrote the
 * files (run it only to add the fixtures of a new format version; never to refresh an existing one).
 */
enum ModelStateFixtures {
    /** Still in its warm-up: 40 of 100 points buffered, with tags. */
    WARMUP_FULL(MixtureConfig.defaults(3, CovarianceType.FULL), 40, false, false),
    /** Running, with 3 points pending in a mini-batch of 4. */
    RUNNING_DIAG_PENDING_BATCH(MixtureConfig.defaults(3, CovarianceType.DIAG).withBatchSize(4), 1_003, false, true),
    /** Collecting the points of a drift re-fit (the data moved by 50 after 1,500 points). */
    REFITTING_SPHERICAL(MixtureConfig.defaults(3, CovarianceType.SPHERICAL).withHalfLife(500), 1_560, true, true),
    /** Running, full covariances, no half-life. */
    RUNNING_FULL_NO_HALF_LIFE(MixtureConfig.defaults(2, CovarianceType.FULL).withHalfLife(Double.POSITIVE_INFINITY), 700, false, true);


    final MixtureConfig config;
    final int points;
    final boolean drifts;
    /**
     * Today's engine replays the fixture's history to a state that differs from the committed ones in the last bits
     * (and only there), for either of two reasons. The history has points more than 2⁶⁴ times less likely under some
     * component than under the nearest one: today's pruned E-step gives those terms γ = 0 where the engine that wrote
     * the committed states (all versions) gave them ≈ 1e-19. Or the model is running and so has an anomaly reference:
     * since the refresh takes a sample's own component's term from ‖z‖² instead of a substitution (the release after
     * version 7), the reference's quantiles differ in their last bits from those the committed states hold.
     * Checked both ways by ModelStateCodecTest: exactly the fixtures without it replay to the committed bytes.
     */
    final boolean replayMoved;

    ModelStateFixtures(MixtureConfig config, int points, boolean drifts, boolean replayMoved) {
        this.config = config;
        this.points = points;
        this.drifts = drifts;
        this.replayMoved = replayMoved;
    }

    /** The i-th point of this fixture's history (and of its continuation, for i ≥ points). */
    double[][] history(int n) {
        GaussianMixture before = SyntheticData.separated2d();
        GaussianMixture after = SyntheticData.shifted(before, 50);
        SplittableRandom rng = new SplittableRandom(ordinal() + 11);
        double[][] xs = new double[n][];
        for (int i = 0; i < n; i++) {
            xs[i] = new double[2];
            (drifts && i >= 1_500 ? after : before).sample(rng, xs[i]);
        }
        return xs;
    }

    static byte[] tag(int i) {
        return ("p" + i).getBytes(StandardCharsets.UTF_8);
    }

    /** The model after this fixture's history, built by the code under test. */
    OnlineMixture replay(ScoreSink sink) {
        OnlineMixture m = new OnlineMixture(config);
        double[][] xs = history(points);
        for (int i = 0; i < xs.length; i++) {
            m.learn(xs[i], tag(i), sink);
        }
        return m;
    }

    String fileName() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + ".bin";
    }

    /** The bytes committed by the given format version. */
    byte[] committed(int version) {
        return resource("model-state-v" + version + "/" + fileName());
    }

    /** The warming head committed by the given format version (6 on), for a fixture whose buffer has full blocks. */
    byte[] committedHead(int version) {
        return resource("model-state-v" + version + "/" + baseName() + ".head.bin");
    }

    /** Warm-up block b committed with {@link #committedHead}. */
    byte[] committedBlock(int version, int b) {
        return resource("model-state-v" + version + "/" + baseName() + ".block-" + b + ".bin");
    }

    /** The running head committed by the given format version (7 on), for a running fixture. */
    byte[] committedRunningHead(int version) {
        return resource("model-state-v" + version + "/" + baseName() + ".running-head.bin");
    }

    /** The anomaly reference record committed with {@link #committedRunningHead}. */
    byte[] committedReference(int version) {
        return resource("model-state-v" + version + "/" + baseName() + ".reference.bin");
    }

    private String baseName() {
        return fileName().substring(0, fileName().length() - ".bin".length());
    }

    private static byte[] resource(String path) {
        try (InputStream in = ModelStateFixtures.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("fixture missing: " + path);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes the fixtures of the current format into the given directory: every fixture's state ({@code encode}), for
     * a warming one with full blocks its head and blocks ({@code encodeHead}, {@code encodeBlock}; version 6 on), and for
     * a running one its running head and reference record ({@code encodeRunningHead}, {@code encodeReference}; version
     * 7 on).
     */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        for (ModelStateFixtures f : values()) {
            OnlineMixture m = f.replay(ScoreSink.IGNORE);
            Files.write(dir.resolve(f.fileName()), ModelStateCodec.encode(m));
            if (m.isInitialised()) { // split from the committed version-5 state (a replay with pruned terms moved)
                OnlineMixture committed = ModelStateCodec.decode(f.committed(5));
                Files.write(dir.resolve(f.baseName() + ".running-head.bin"),
                        ModelStateCodec.encodeRunningHead(committed));
                Files.write(dir.resolve(f.baseName() + ".reference.bin"), ModelStateCodec.encodeReference(committed));
            }
            for (int b = 0; b < ModelStateCodec.fullBlocks(m); b++) {
                if (b == 0) {
                    Files.write(dir.resolve(f.baseName() + ".head.bin"), ModelStateCodec.encodeHead(m));
                }
                Files.write(dir.resolve(f.baseName() + ".block-" + b + ".bin"), ModelStateCodec.encodeBlock(m, b));
            }
            System.out.println(f.fileName() + ": " + ModelStateCodec.encode(m).length + " bytes, refits " + m.refits()
                    + ", initialised " + m.isInitialised() + ", pending " + m.pointsPending());
        }
    }
}
