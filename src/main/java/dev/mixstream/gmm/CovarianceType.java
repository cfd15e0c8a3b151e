package dev.mixstream.gmm;

import java.util.Locale;

/**
 * Shape of each component's covariance matrix, named as in scikit-learn's {@code covariance_type}.
 */
public enum CovarianceType {
    /** Each component has its own full symmetric positive definite D×D matrix. */
    FULL(0),
    /** Each component has its own diagonal matrix (independent dimensions). */
    DIAG(1),
    /** Each component has a single variance shared by all dimensions: Σ_k = σ_k² I. */
    SPHERICAL(2);

    /** The code stored in a model state ({@link ModelStateCodec}); never reuse or renumber one. */
    private final int code;

    CovarianceType(int code) {
        this.code = code;
    }

    /** The code stored in a model state. */
    public int code() {
        return code;
    }

    /**
     * The type of a stored code.
     *
     * @throws IllegalArgumentException for an unknown code
     */
    public static CovarianceType ofCode(int code) {
        for (CovarianceType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown covariance type code " + code);
    }

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
