package dev.mixstream.gmm;

/**
 * The coordinates a person looks at first on an abnormal point: the (up to) {@value #MAX} indices i with the
 * largest standardised deviation |x_i − μ_k,i| / σ_k,i from the point's most likely component k, largest
 * first (σ_k,i = √Σ_k,ii, the coordinate's own spread under that component).
 */
final class AnomalyFeatures {
    /** At most this many coordinates are named. */
    static final int MAX = 3;

    private AnomalyFeatures() {
    }

    /**
     * Writes the indices into {@code out} (length ≥ MAX), without allocating.
     *
     * @return how many were written: min(MAX, D)
     */
    static int top(GaussianMixture mixture, int component, double[] x, int[] out, double[] deviations) {
        double[] mu = mixture.meanArray(component);
        int n = 0;
        for (int i = 0; i < x.length; i++) {
            double z = Math.abs(x[i] - mu[i]) / mixture.standardDeviation(component, i); // |x_i − μ_i| / σ_i
            int at = n < MAX ? n++ : MAX;
            while (at > 0 && deviations[at - 1] < z) { // insertion into the descending top list
                if (at < MAX) {
                    out[at] = out[at - 1];
                    deviations[at] = deviations[at - 1];
                }
                at--;
            }
            if (at < MAX) {
                out[at] = i;
                deviations[at] = z;
            }
        }
        return n;
    }
}
