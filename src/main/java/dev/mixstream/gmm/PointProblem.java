package dev.mixstream.gmm;

import java.util.Locale;

/** Why a model cannot learn a point ({@link OnlineMixture#check}). */
public enum PointProblem {
    /** No coordinates at all. */
    EMPTY,
    /** A length other than the model's dimension D (fixed by its first point). */
    WRONG_DIMENSION,
    /** A coordinate that is NaN or infinite. */
    NON_FINITE,
    /** A coordinate beyond ±{@link OnlineMixture#MAX_ABS_COORDINATE}, whose square could overflow. */
    OUT_OF_RANGE;

    /**
     * What keeps a model of this dimension from using the point, or null if nothing does.
     *
     * @param dimension the model's dimension, or −1 before its first point (any length will do)
     */
    public static PointProblem of(double[] x, int dimension) {
        if (x == null || x.length == 0) {
            return EMPTY;
        }
        if (dimension >= 0 && x.length != dimension) {
            return WRONG_DIMENSION;
        }
        for (double v : x) {
            if (!(Math.abs(v) <= OnlineMixture.MAX_ABS_COORDINATE)) { // one test for NaN, ±∞ and out of range
                return Double.isFinite(v) ? OUT_OF_RANGE : NON_FINITE;
            }
        }
        return null;
    }

    /**
     * What is wrong, in a user's words.
     *
     * @param x         the point
     * @param dimension the model's dimension, or −1 before its first point
     */
    public String describe(double[] x, int dimension) {
        return switch (this) {
            case EMPTY -> "the point has no coordinates";
            case WRONG_DIMENSION -> "expected dimension " + dimension + ", got " + x.length;
            case NON_FINITE -> "coordinate " + firstIndex(x, false) + " is not finite";
            case OUT_OF_RANGE -> "coordinate " + firstIndex(x, true) + " is beyond ±"
                    + String.format(Locale.ROOT, "%.0e", OnlineMixture.MAX_ABS_COORDINATE);
        };
    }

    private static int firstIndex(double[] x, boolean range) {
        for (int i = 0; i < x.length; i++) {
            if (range ? Math.abs(x[i]) > OnlineMixture.MAX_ABS_COORDINATE : !Double.isFinite(x[i])) {
                return i;
            }
        }
        return -1;
    }
}
