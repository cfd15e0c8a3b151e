package dev.mixstream.streams;

import dev.mixstream.gmm.SettingText;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A length of stream time (record timestamps), or {@link #OFF}: {@code mixstream.model.ttl}, how long a model may go
 * without a point before it is removed, and {@code mixstream.warmup.max.wait}, how long a point may wait in a
 * warm-up before it is answered as warming up. Written as a number and a unit: {@code 7d}, {@code 12h},
 * {@code 30m}, {@code 90s}, {@code 500ms}.
 *
 * @param millis the length in milliseconds, or 0 when off
 */
public record StreamDuration(long millis) {
    /** Never. */
    public static final StreamDuration OFF = new StreamDuration(0);
    private static final Pattern TEXT = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

    /**
     * Parses {@code none} or a duration such as {@code 7d}.
     *
     * @throws IllegalArgumentException saying what is accepted
     */
    public static StreamDuration parse(String text) {
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
        return new StreamDuration(d.toMillis());
    }

    public boolean enabled() {
        return millis > 0;
    }

    /** How often (stream time) the limit is checked: a tenth of it, and at most once per second. */
    public long checkIntervalMillis() {
        return Math.max(1000, millis / 10);
    }
}
