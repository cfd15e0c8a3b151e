package dev.mixstream.gmm;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ranking quality of {@code anomaly_score} on a labelled stream: 0.5 % outliers drawn uniformly from a box around
 * the data, far from the clusters, among points of a known mixture. The online model's ROC AUC over the points
 * after its warm-up is within 0.01 of the AUC of the true generating density; precision and recall at the
 * default α are reported.
 */
class AnomalyRankingTest {
    private static final int POINTS = 200_000;
    private static final double OUTLIER_SHARE = 0.005;

    @ParameterizedTest(name = "{0} K={1} D={2}")
    @CsvSource({"FULL, 3, 2", "DIAG, 5, 8", "SPHERICAL, 5, 8", "FULL, 8, 16"})
    void aucIsWithinOneHundredthOfTheTrueDensity(CovarianceType type, int k, int d) {
        SplittableRandom rng = new SplittableRandom(31L * k + d);
        GaussianMixture truth = SyntheticData.unitClusters(type, k, d, 6, rng);
        Box box = Box.around(truth, 4);
        OnlineMixture model = new OnlineMixture(MixtureConfig.defaults(k).withCovarianceType(type));
        int warmup = model.warmup();
        double[] modelScore = new double[POINTS - warmup];
        double[] trueScore = new double[POINTS - warmup];
        boolean[] outlier = new boolean[POINTS - warmup];
        boolean[] flagged = new boolean[POINTS - warmup];
        double[] x = new double[d];
        for (int i = 0; i < POINTS; i++) {
            boolean isOutlier = rng.nextDouble() < OUTLIER_SHARE;
            if (isOutlier) {
                box.sampleFarFrom(truth, rng, x);
            } else {
                truth.sample(rng, x);
            }
            int at = i - warmup;
            double trueAnomaly = -truth.logLikelihood(x); // the generating density ranks by −log p(x)
            model.learn(x, s -> {
                if (s.index() >= warmup) {
                    modelScore[at] = s.anomalyScore();
                    flagged[at] = s.anomaly();
                }
            });
            if (at >= 0) {
                trueScore[at] = trueAnomaly;
                outlier[at] = isOutlier;
            }
        }
        double modelAuc = auc(modelScore, outlier);
        double trueAuc = auc(trueScore, outlier);
        int tp = 0;
        int fp = 0;
        int positives = 0;
        for (int i = 0; i < outlier.length; i++) {
            positives += outlier[i] ? 1 : 0;
            tp += flagged[i] && outlier[i] ? 1 : 0;
            fp += flagged[i] && !outlier[i] ? 1 : 0;
        }
        double precision = tp / (double) Math.max(1, tp + fp);
        double recall = tp / (double) positives;
        System.out.printf(Locale.ROOT, "ranking %s K=%d D=%d: AUC %.5f (true density %.5f), at alpha=0.001 "
                        + "precision %.4f recall %.4f (%d outliers, %d flagged)%n", type, k, d, modelAuc, trueAuc,
                precision, recall, positives, tp + fp);
        assertTrue(Math.abs(modelAuc - trueAuc) <= 0.01, "AUC " + modelAuc + " vs true density's " + trueAuc);
        // far outliers are caught, and the flags are mostly outliers (α of the 99.5 % inliers is ~1 in 5)
        assertTrue(recall >= 0.95, "recall " + recall);
        assertTrue(precision >= 0.7, "precision " + precision);
    }

    /** Mann–Whitney AUC: P(score of an outlier > score of an inlier), ties counting one half. */
    static double auc(double[] score, boolean[] positive) {
        Integer[] order = new Integer[score.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(score[a], score[b]));
        double rankSum = 0;
        long positives = 0;
        int i = 0;
        while (i < order.length) {
            int j = i;
            while (j + 1 < order.length && score[order[j + 1]] == score[order[i]]) {
                j++;
            }
            double midRank = (i + j) / 2.0 + 1; // the average 1-based rank of a tie group
            for (int t = i; t <= j; t++) {
                if (positive[order[t]]) {
                    rankSum += midRank;
                    positives++;
                }
            }
            i = j + 1;
        }
        long negatives = order.length - positives;
        return (rankSum - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
    }

    /** The bounding box of the component means, widened by a margin on every side. */
    private record Box(double[] lo, double[] hi) {
        static Box around(GaussianMixture g, double margin) {
            int d = g.dimension();
            double[] lo = new double[d];
            double[] hi = new double[d];
            Arrays.fill(lo, Double.POSITIVE_INFINITY);
            Arrays.fill(hi, Double.NEGATIVE_INFINITY);
            for (int c = 0; c < g.components(); c++) {
                for (int i = 0; i < d; i++) {
                    lo[i] = Math.min(lo[i], g.mean(c)[i] - margin);
                    hi[i] = Math.max(hi[i], g.mean(c)[i] + margin);
                }
            }
            return new Box(lo, hi);
        }

        /**
         * A uniform point of the box at least 4 + √D standard deviations (unit covariances) from every mean:
         * beyond where the clusters' own points reach.
         */
        void sampleFarFrom(GaussianMixture g, SplittableRandom rng, double[] x) {
            double minDistance = 4 + Math.sqrt(x.length);
            while (true) {
                for (int i = 0; i < x.length; i++) {
                    x[i] = lo[i] + (hi[i] - lo[i]) * rng.nextDouble();
                }
                boolean far = true;
                for (int c = 0; c < g.components() && far; c++) {
                    double s = 0;
                    for (int i = 0; i < x.length; i++) {
                        double t = x[i] - g.mean(c)[i];
                        s += t * t;
                    }
                    far = Math.sqrt(s) >= minDistance;
                }
                if (far) {
                    return;
                }
            }
        }
    }
}
