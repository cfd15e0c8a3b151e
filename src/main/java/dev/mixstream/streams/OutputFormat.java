package dev.mixstream.streams;

/**
 * What the responsibilities records carry beyond the scores themselves: whether they echo the point's
 * coordinates {@code x} ({@code mixstream.output.x}), and how many significant digits their responsibilities have
 * ({@code mixstream.output.responsibility.digits}; {@link #ALL_DIGITS} = the shortest text that reads back as the
 * very double). Log-likelihoods and anomaly scores are always written in full.
 *
 * @param echoX  write {@code "x"}
 * @param digits significant digits of each responsibility, 1 to {@link #MAX_DIGITS}, or {@link #ALL_DIGITS}
 */
public record OutputFormat(boolean echoX, int digits) {
    /** Every digit: the shortest decimal that parses back to the same double. */
    public static final int ALL_DIGITS = 0;
    /** The most significant digits a setting may ask for: beyond 15 a double cannot hold them all exactly. */
    public static final int MAX_DIGITS = 15;
    /** The text of {@link #ALL_DIGITS} in settings. */
    public static final String ALL = "all";
    /** Echoed coordinates, every digit: the records as they always were. */
    public static final OutputFormat DEFAULT = new OutputFormat(true, ALL_DIGITS);

    public OutputFormat {
        if (digits != ALL_DIGITS && (digits < 1 || digits > MAX_DIGITS)) {
            throw new IllegalArgumentException("digits must be all or an integer in [1, " + MAX_DIGITS + "], got " + digits);
        }
    }

    /**
     * {@code all}, or an integer in [1, {@link #MAX_DIGITS}].
     *
     * @throws IllegalArgumentException otherwise
     */
    public static int parseDigits(String text) {
        String t = text.trim();
        if (t.equalsIgnoreCase(ALL)) {
            return ALL_DIGITS;
        }
        try {
            int d = Integer.parseInt(t);
            if (d >= 1 && d <= MAX_DIGITS) {
                return d;
            }
        } catch (NumberFormatException e) {
            // worded below
        }
        throw new IllegalArgumentException("'" + text + "' is not " + ALL + " or an integer in [1, " + MAX_DIGITS + "]");
    }
}
