package dev.mixstream.streams;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which model keys a per-key settings rule applies to: a glob ({@code *} any characters, {@code ?} one, every
 * other character itself), or after {@code regex:} a Java regular expression. Either must match the whole key.
 *
 * @param text    as configured
 * @param pattern the compiled form
 */
public record KeyPattern(String text, Pattern pattern) {
    /** The prefix of a regular expression. */
    public static final String REGEX = "regex:";

    /**
     * @throws IllegalArgumentException for an empty pattern or an invalid regular expression
     */
    public static KeyPattern parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("must be a glob such as sensor-* or regex:<expression>");
        }
        if (text.startsWith(REGEX)) {
            try {
                return new KeyPattern(text, Pattern.compile(text.substring(REGEX.length())));
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("not a valid regular expression: " + e.getDescription());
            }
        }
        StringBuilder regex = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (char ch : text.toCharArray()) {
            if (ch == '*' || ch == '?') {
                if (!literal.isEmpty()) {
                    regex.append(Pattern.quote(literal.toString()));
                    literal.setLength(0);
                }
                regex.append(ch == '*' ? ".*" : ".");
            } else {
                literal.append(ch);
            }
        }
        if (!literal.isEmpty()) {
            regex.append(Pattern.quote(literal.toString()));
        }
        return new KeyPattern(text, Pattern.compile(regex.toString(), Pattern.DOTALL));
    }

    /** Whether the whole key matches. */
    public boolean matches(String key) {
        return pattern.matcher(key).matches();
    }

    @Override
    public String toString() {
        return text;
    }
}
