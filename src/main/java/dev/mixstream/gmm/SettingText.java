package dev.mixstream.gmm;

import java.util.Locale;

/**
 * The words of the model's settings as users write them, in configuration files, environment variables and
 * on the command line alike: {@code none} (no half-life) and {@code auto} (a value chosen from K and D).
 */
public final class SettingText {
    /** The half-life that never forgets. */
    public static final String NONE = "none";
    /** A warm-up or starvation threshold chosen by the engine. */
    public static final String AUTO = "auto";

    private SettingText() {
    }

    /**
     * A half-life: a finite number of points, or {@code none} (∞).
     *
     * @throws IllegalArgumentException for anything else
     */
    public static double halfLife(String text) {
        if (is(text, NONE)) {
            return Double.POSITIVE_INFINITY;
        }
        return finiteNumber(text, "a number of points or " + NONE);
    }

    /** {@code none} for ∞, otherwise the number. */
    public static String halfLife(double halfLife) {
        return Double.isInfinite(halfLife) ? NONE : number(halfLife);
    }

    /**
     * A warm-up length: an integer, or {@code auto} (0).
     *
     * @throws IllegalArgumentException for anything else
     */
    public static int warmup(String text) {
        if (is(text, AUTO)) {
            return 0;
        }
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not an integer or " + AUTO);
        }
    }

    /**
     * A number of components: an integer in [1, {@link MixtureConfig#MAX_COMPONENTS}], or {@code auto}
     * ({@link MixtureConfig#AUTO_COMPONENTS}: each model chooses its own).
     *
     * @throws IllegalArgumentException for anything else
     */
    public static int components(String text) {
        if (is(text, AUTO)) {
            return MixtureConfig.AUTO_COMPONENTS;
        }
        try {
            int k = Integer.parseInt(text.trim());
            if (k >= 1 && k <= MixtureConfig.MAX_COMPONENTS) {
                return k;
            }
        } catch (NumberFormatException | NullPointerException e) {
            // below
        }
        throw new IllegalArgumentException("'" + text + "' is not an integer in [1, " + MixtureConfig.MAX_COMPONENTS
                + "] or " + AUTO);
    }

    /** {@code auto} for {@link MixtureConfig#AUTO_COMPONENTS}, otherwise the number. */
    public static String components(int k) {
        return k == MixtureConfig.AUTO_COMPONENTS ? AUTO : Integer.toString(k);
    }

    /**
     * A starvation threshold: a finite number, or {@code auto} (NaN: {@link MixtureConfig#defaults}'s).
     *
     * @throws IllegalArgumentException for anything else
     */
    public static double minWeight(String text) {
        return is(text, AUTO) ? Double.NaN : finiteNumber(text, "a number or " + AUTO);
    }

    /** A number without a needless ".0" (10000, not 10000.0; 1.0E-6 stays). */
    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    private static boolean is(String text, String word) {
        return text != null && text.trim().toLowerCase(Locale.ROOT).equals(word);
    }

    private static double finiteNumber(String text, String expected) {
        try {
            double v = Double.parseDouble(text.trim());
            if (Double.isFinite(v)) {
                return v;
            }
        } catch (NumberFormatException | NullPointerException e) {
            // below
        }
        throw new IllegalArgumentException("'" + text + "' is not " + expected);
    }
}
