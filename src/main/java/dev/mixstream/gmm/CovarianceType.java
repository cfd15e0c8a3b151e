package dev.mixstream.gmm;

import java.util.Locale;

/**
 * Shape of each component's covariance matrix, named as in scikit-learn's {@code covariance_type}.
 */
public enum CovarianceType {
    /** Each component has its own full symmetric positive definite D×D matrix. */
    FULL,
    /** Each component has its own diagonal matrix (independent dimensions). */
    DIAG,
    /** Each component has a single variance shared by all dimensions: Σ_k = σ_k² I. */
    SPHERICAL;

    /** The lower-case name used in configuration, JSON and on the command line. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code full}, {@code diag} or {@code spherical} (case-insensitive). */
    public static CovarianceType parse(String text) {
        for (CovarianceType t : values()) {
            if (t.wireName().equalsIgnoreCase(text.trim())) {
                return t;
            }
        }
        throw new IllegalArgumentException(
                "unknown covariance type '" + text + "' (expected full, diag or spherical)");
    }
}
