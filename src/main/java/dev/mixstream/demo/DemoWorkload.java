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
 * a few malformed records to show the dead-letter topic. Deterministic for a seed.
 */
public final class DemoWorkload {
    /** One record to produce. {@code valid} is false for the deliberately bad ones. */
    public record Item(String key, byte[] value, boolean valid) {
    }

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
    private long sent;
    private long validSent;
    private long badSent;

    /**
     * @param keys     number of model keys (named sensor-a, sensor-b, ...)
     * @param total    valid points to send over all keys (Long.MAX_VALUE: forever)
     * @param driftAt  fraction of {@code total} after which every cluster jumps
     * @param badCount bad records spread evenly over the stream (one every 10 000 when forever)
     */
    public DemoWorkload(int keys, long total, double driftAt, int badCount, long seed) {
        this.rng = new SplittableRandom(seed);
        this.total = total;
        this.driftAt = total == Long.MAX_VALUE ? 200_000L * keys : (long) (total * driftAt);
        this.badCount = total == Long.MAX_VALUE ? Long.MAX_VALUE : Math.max(0, badCount);
        this.badEvery = total == Long.MAX_VALUE ? 10_000 : Math.max(2, total / (badCount + 1));
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
        String json = validSent % 10 == 0
                ? String.format(Locale.ROOT, "{\"x\":[%.4f,%.4f],\"id\":\"evt-%d\"}", x[0], x[1], validSent)
                : String.format(Locale.ROOT, "[%.4f,%.4f]", x[0], x[1]);
        return new Item(keys.get(k), json.getBytes(StandardCharsets.UTF_8), true);
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
