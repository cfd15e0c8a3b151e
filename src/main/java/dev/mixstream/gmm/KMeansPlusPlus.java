package dev.mixstream.gmm;

import java.util.SplittableRandom;

/** k-means++ seeding (Arthur &amp; Vassilvitskii 2007) followed by a few Lloyd iterations. */
final class KMeansPlusPlus {
    private KMeansPlusPlus() {
    }

    /**
     * Picks K centres: the first uniformly, each next one with probability proportional to its
     * squared distance D(x)² to the nearest centre chosen so far; then refines them by up to
     * {@code lloydIterations} rounds of Lloyd's algorithm. Works with duplicated points and
     * with fewer distinct points than K (centres may then coincide).
     *
     * @return for each point the index of its nearest centre
     */
    static int[] assign(double[][] points, int k, SplittableRandom rng, int lloydIterations) {
        double[][] centres = seed(points, k, rng);
        return lloyd(points, centres, lloydIterations);
    }

    /** k-means++ seeding: the first centre uniformly, each next one with P(x) = D(x)² / Σ D². */
    private static double[][] seed(double[][] points, int k, SplittableRandom rng) {
        int n = points.length;
        double[][] centres = new double[k][];
        double[] nearest = new double[n];
        centres[0] = points[rng.nextInt(n)].clone();
        for (int i = 0; i < n; i++) {
            nearest[i] = squaredDistance(points[i], centres[0]);
        }
        for (int c = 1; c < k; c++) {
            double total = 0;
            for (double v : nearest) {
                total += v;
            }
            int pick;
            if (!(total > 0) || !Double.isFinite(total)) {
                pick = rng.nextInt(n);
            } else {
                double r = rng.nextDouble() * total; // P(x) = D(x)² / Σ D²
                pick = n - 1;
                double cumulative = 0;
                for (int i = 0; i < n; i++) {
                    cumulative += nearest[i];
                    if (cumulative > r) {
                        pick = i;
                        break;
                    }
                }
            }
            centres[c] = points[pick].clone();
            for (int i = 0; i < n; i++) {
                nearest[i] = Math.min(nearest[i], squaredDistance(points[i], centres[c]));
            }
        }
        return centres;
    }

    /** Lloyd's iterations from the given centres (moved in place); returns each point's nearest centre. */
    private static int[] lloyd(double[][] points, double[][] centres, int lloydIterations) {
        int n = points.length;
        int k = centres.length;
        int d = points[0].length;
        int[] label = new int[n];
        double[][] sums = new double[k][d];
        int[] counts = new int[k];
        for (int iter = 0; iter <= lloydIterations; iter++) {
            boolean changed = false;
            for (int i = 0; i < n; i++) {
                int best = nearestCentre(points[i], centres);
                if (iter == 0 || label[i] != best) {
                    changed = true;
                }
                label[i] = best;
            }
            if (!changed || iter == lloydIterations) {
                break;
            }
            for (int c = 0; c < k; c++) {
                java.util.Arrays.fill(sums[c], 0.0);
                counts[c] = 0;
            }
            for (int i = 0; i < n; i++) {
                counts[label[i]]++;
                double[] s = sums[label[i]];
                for (int j = 0; j < d; j++) {
                    s[j] += points[i][j];
                }
            }
            for (int c = 0; c < k; c++) {
                if (counts[c] > 0) {
                    for (int j = 0; j < d; j++) {
                        centres[c][j] = sums[c][j] / counts[c]; // centre = mean of its points
                    }
                }
            }
        }
        return label;
    }

    /** The index of the centre nearest to x (the first one on ties). */
    private static int nearestCentre(double[] x, double[][] centres) {
        int best = 0;
        double bestDist = Double.POSITIVE_INFINITY;
        for (int c = 0; c < centres.length; c++) {
            double dist = squaredDistance(x, centres[c]);
            if (dist < bestDist) {
                bestDist = dist;
                best = c;
            }
        }
        return best;
    }


    static double squaredDistance(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double t = a[i] - b[i];
            s += t * t;
        }
        return s;
    }
}
