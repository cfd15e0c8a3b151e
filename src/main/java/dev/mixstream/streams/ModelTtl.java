package dev.mixstream.streams;

import dev.mixstream.gmm.SettingText;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code mixstream.model.ttl}: how long a model may go without a point before it is removed (stream time), or
 * {@link #OFF}. Written as a number and a unit: {@code 7d}, {@code 12h}, {@code 30m}, {@code 90s}, {@code 500ms}.
 *
 * @param millis the time to live in milliseconds, or 0 when off
 */
public record ModelTtl(long millis) {
    /** Models live forever. */
    public static final ModelTtl OFF = new ModelTtl(0);
    private static final Pattern TEXT = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

    /**
     * Parses {@code none} or a duration such as {@code 7d}.
     *
     * @throws IllegalArgumentException saying what is accepted
     */
    public static ModelTtl parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (t.equals(SettingText.NONE)) {
            return OFF;
        }
        Matcher m = TEXT.matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException("must be none or a duration such as 7d, 12h, 30m, 90s or 500ms");
        }
        long n = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
        if (d.toMillis() < 1) {
            throw new IllegalArgumentException("must be at least 1ms, or none");
        }
        return new ModelTtl(d.toMillis());
    }

    public boolean enabled() {
        return millis > 0;
    }

    /** How often (stream time) idle models are looked for: a tenth of the time to live, at least 1 s. */
    public long checkIntervalMillis() {
        return Math.max(1000, millis / 10);
    }
}
