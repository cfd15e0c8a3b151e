package dev.mixstream.gmm;

import java.util.Locale;

/**
 * A penalised likelihood for choosing K, lower is better, as scikit-learn's {@code GaussianMixture.bic} and
 * {@code aic} compute it: BIC = −2 log L + p ln n, AIC = −2 log L + 2 p, with log L the total log-likelihood of the n
 * points and p the number of free parameters ({@link #parameters}).
 */
public enum InformationCriterion {
    /** Bayesian information criterion (Schwarz 1978): consistent, prefers fewer components. */
    BIC,
    /** Akaike information criterion (Akaike 1974): a lighter penalty, prefers more components. */
    AIC;

    /** The value for a mixture whose mean log-likelihood per point over n points is {@code meanLogLikelihood}. */
    public double value(double meanLogLikelihood, int n, long parameters) {
        double deviance = -2.0 * meanLogLikelihood * n; // −2 log L
        return this == BIC ? deviance + parameters * Math.log(n) : deviance + 2.0 * parameters;
    }

    /**
     * Free parameters of a K-component mixture in D dimensions: K − 1 weights, K·D means and the covariances — K·D(D+1)/2
     * (full), K·D (diagonal), K (spherical) — as scikit-learn's {@code _n_parameters}.
     */
    public static long parameters(int components, int dimension, CovarianceType type) {
        long k = components;
        long d = dimension;
        long covariance = switch (type) {
            case FULL -> k * d * (d + 1) / 2;
            case DIAG -> k * d;
            case SPHERICAL -> k;
        };
        return (k - 1) + k * d + covariance;
    }

    /** The name users write: bic, aic. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @throws IllegalArgumentException for anything but bic or aic
     */
    public static InformationCriterion parse(String text) {
        for (InformationCriterion c : values()) {
            if (c.wireName().equalsIgnoreCase(text == null ? "" : text.trim())) {
                return c;
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not bic or aic");
    }
}
