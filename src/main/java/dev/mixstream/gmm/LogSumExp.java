package dev.mixstream.gmm;

/** Numerically safe sums of exponentials. */
public final class LogSumExp {
    private LogSumExp() {
    }

    /**
     * log Σ_i exp(a_i) over the first n entries, computed as max + log Σ exp(a_i − max) so that
     * neither huge nor tiny exponents overflow or underflow. Returns −∞ only when every a_i is −∞.
     */
    public static double logSumExp(double[] a, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            if (a[i] > max) {
                max = a[i];
            }
        }
        if (max == Double.NEGATIVE_INFINITY || max == Double.POSITIVE_INFINITY) {
            return max;
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(a[i] - max);
        }
        return max + Math.log(sum);
    }

    /** Index of the largest of the first n entries (the first one on ties). */
    public static int argmax(double[] a, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (a[i] > a[best]) {
                best = i;
            }
        }
        return best;
    }
}
