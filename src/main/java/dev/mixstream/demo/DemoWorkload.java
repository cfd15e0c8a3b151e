package dev.mixstream.demo;

import dev.mixstream.gmm.CovarianceType;
import dev.mixstream.gmm.GaussianMixture;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The demo's synthetic stream: several model keys, each with three 2-D Gaussian clusters that all
 * jump by a distance larger than their spacing once {@code driftAt} of the points have been sent, plus
 * a few malformed records to show the dead-letter topic and a few outliers (points far from every cluster,
 * with ids {@code outlier-1}, {@code outlier-2}, ...) to show the anomaly flags. Deterministic for a seed.
 */
public final class DemoWorkload {
    /** One record to produce. {@code valid} is false for the deliberately bad ones. */
    public record Item(String key, byte[] value, boolean valid) {
    }

    /** The id prefix of the injected outliers. */
    public static final String OUTLIER_ID = "outlier-";
    /** How far from the centre of a key's clusters an outlier lies (the clusters are 6 from it, σ ≈ 1). */
    static final double OUTLIER_DISTANCE = 16;

    private static final String[] BAD_VALUES = {
        "{not json", "[1.0, \"two\"]", "[1.0, 2.0, 3.0]", "[NaN, 1.0]", "[]", "{\"y\": [1, 2]}", "[[1, 2]]",
    };

    private final List<String> keys = new ArrayList<>();
    private final List<GaussianMixture> before = new ArrayList<>();
    private final List<GaussianMixture> after = new ArrayList<>();
    private final long total;
    private final long driftAt;
    private final long badEvery;
    private final long badCount;
    private final SplittableRandom rng;
    private final double[] x = new double[2];
    private final long outlierCount;
    private final long outlierEvery;
    private long sent;
    private long validSent;
    private long badSent;
    private long outliersSent;

    /**
     * @param keys     number of model keys (named sensor-a, sensor-b, ...)
     * @param total    valid points to send over all keys (Long.MAX_VALUE: forever)
     * @param driftAt  fraction of {@code total} after which every cluster jumps
     * @param badCount bad records spread evenly over the stream (one every 10 000 when forever)
     * @param outliers valid points replaced by outliers, spread evenly over the stream (one every 20 000 when
     *                 forever); the first comes a tenth of the way in, past every model's warm-up
     */
    public DemoWorkload(int keys, long total, double driftAt, int badCount, int outliers, long seed) {
        this.rng = new SplittableRandom(seed);
        this.total = total;
        this.driftAt = total == Long.MAX_VALUE ? 200_000L * keys : (long) (total * driftAt);
        this.badCount = total == Long.MAX_VALUE ? Long.MAX_VALUE : Math.max(0, badCount);
        this.badEvery = total == Long.MAX_VALUE ? 10_000 : Math.max(2, total / (badCount + 1));
        this.outlierCount = total == Long.MAX_VALUE ? Long.MAX_VALUE : Math.max(0, outliers);
        this.outlierEvery = total == Long.MAX_VALUE ? 20_000 : Math.max(1, (long) (0.9 * total / (outliers + 1)));
        for (int i = 0; i < keys; i++) {
            this.keys.add(keyName(i));
            double angle = 0.7 * i;
            double[][] means = new double[3][];
            for (int c = 0; c < 3; c++) {
                double a = angle + c * 2 * Math.PI / 3;
                means[c] = new double[]{round1(6 * Math.cos(a)), round1(6 * Math.sin(a))};
            }
            double[] weights = {0.5, 0.3, 0.2};
            double[][][] covs = {{{1.0, 0.3}, {0.3, 0.8}}, {{0.6, -0.2}, {-0.2, 0.9}}, {{0.7, 0}, {0, 0.7}}};
            GaussianMixture g = GaussianMixture.of(CovarianceType.FULL, weights, means, covs);
            before.add(g);
            double[][] moved = new double[3][];
            for (int c = 0; c < 3; c++) {
                moved[c] = new double[]{means[c][0] + 25, means[c][1] - 15}; // a jump of ~29, spacing ~10
            }
            after.add(GaussianMixture.of(CovarianceType.FULL, weights, moved, covs));
        }
    }

    static String keyName(int i) {
        StringBuilder sb = new StringBuilder("sensor-");
        int n = i;
        do {
            sb.append((char) ('a' + n % 26));
            n = n / 26 - 1;
        } while (n >= 0);
        return sb.toString();
    }

    private static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }

    /** True while there are points left to send. */
    public boolean hasNext() {
        return validSent < total;
    }

    /** The next record: usually a point of the next key (round-robin), sometimes a bad record. */
    public Item next() {
        sent++;
        if (badSent < badCount && sent % badEvery == 0) {
            String value = BAD_VALUES[(int) (badSent % BAD_VALUES.length)];
            badSent++;
            return new Item(keys.get((int) (badSent % keys.size())), value.getBytes(StandardCharsets.UTF_8), false);
        }
        int k = (int) (validSent % keys.size());
        GaussianMixture g = drifted() ? after.get(k) : before.get(k);
        g.sample(rng, x);
        validSent++;
        if (outliersSent < outlierCount && validSent >= total / 10
                && (validSent - total / 10) % outlierEvery == 0) {
            outliersSent++;
            double angle = 2 * Math.PI * rng.nextDouble();
            double[] centre = centre(g);
            String json = String.format(Locale.ROOT, "{\"x\":[%.4f,%.4f],\"id\":\"%s%d\"}",
                    centre[0] + OUTLIER_DISTANCE * Math.cos(angle), centre[1] + OUTLIER_DISTANCE * Math.sin(angle),
                    OUTLIER_ID, outliersSent);
            return new Item(keys.get(k), json.getBytes(StandardCharsets.UTF_8), true);
        }
        String json = validSent % 10 == 0
                ? String.format(Locale.ROOT, "{\"x\":[%.4f,%.4f],\"id\":\"evt-%d\"}", x[0], x[1], validSent)
                : String.format(Locale.ROOT, "[%.4f,%.4f]", x[0], x[1]);
        return new Item(keys.get(k), json.getBytes(StandardCharsets.UTF_8), true);
    }

    private static double[] centre(GaussianMixture g) {
        double[] c = new double[2];
        for (int i = 0; i < g.components(); i++) {
            c[0] += g.mean(i)[0] / g.components();
            c[1] += g.mean(i)[1] / g.components();
        }
        return c;
    }

    /** Outliers sent so far. */
    public long outliersSent() {
        return outliersSent;
    }

    /** Whether the clusters have jumped. */
    public boolean drifted() {
        return validSent >= driftAt;
    }

    /** Valid points to send in all (Long.MAX_VALUE when running forever). */
    public long total() {
        return total;
    }

    /** Valid points sent so far. */
    public long validSent() {
        return validSent;
    }

    /** Bad records sent so far. */
    public long badSent() {
        return badSent;
    }

    /** The valid-point index at which the clusters jump. */
    public long driftAt() {
        return driftAt;
    }

    public List<String> keys() {
        return List.copyOf(keys);
    }

    /** The generating model of key i now (before or after the jump). */
    public GaussianMixture truth(int i) {
        return drifted() ? after.get(i) : before.get(i);
    }
}
