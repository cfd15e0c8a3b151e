package dev.mixstream.cli;

import org.junit.jupiter.api.Test;

import java.util.Locale;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The summary lines' numbers ({@link MixstreamCommand#format}, {@link MixstreamCommand#seconds}) are written without
 * {@link java.util.Formatter} and read exactly as its {@code %.6g} (trailing zeros dropped) and {@code %.2f}.
 */
class SummaryNumbersTest {

    /**
     * {@code %.6g} with the trailing zeros of the mantissa's decimals dropped (not an integer's: 203330 is not
     * 20333; not the exponent's: e-10 is not e-1).
     */
    private static String sixDigits(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        String text = String.format(Locale.ROOT, "%.6g", v);
        int e = text.indexOf('e');
        String mantissa = e < 0 ? text : text.substring(0, e);
        if (mantissa.contains(".")) {
            mantissa = mantissa.replaceFirst("\\.?0+$", "");
        }
        return mantissa + (e < 0 ? "" : text.substring(e));
    }

    @Test
    void sixSignificantDigitsAsFormatterWritesThem() {
        SplittableRandom rng = new SplittableRandom(7);
        double[] edges = {1e-4, 9.999995e-5, 9.9999949e-5, 999999.5, 999999.49, 1e6 - 0.25, 0.5, -0.5, 1.0000005,
            2.5e-300, Double.MIN_VALUE, Double.MAX_VALUE, -12.9666, 123456.75, 1234567.5, 0.000123456789, -1e-5,
            12.34565, 1e21 + 0.5, 4.35, 0.1 + 0.2};
        // what the summary said before: "-2.05934e-1" and "-20333"
        assertEquals("-2.05934e-10", MixstreamCommand.format(-2.0593395186555183E-10));
        assertEquals("-203330", MixstreamCommand.format(-203330.15940718338));
        for (double v : edges) {
            assertEquals(sixDigits(v), MixstreamCommand.format(v), () -> "" + v);
        }
        for (int i = 0; i < 200_000; i++) {
            double v = (rng.nextBoolean() ? 1 : -1) * Math.pow(10, rng.nextDouble(-12, 12)) * rng.nextDouble();
            if (i % 4 == 0) { // few digits, so rounding ties and carries occur
                v = Math.round(v * 1e7) / 1e7;
            }
            double x = v;
            assertEquals(sixDigits(x), MixstreamCommand.format(x), () -> "" + x);
        }
    }

    @Test
    void secondsWithTwoDecimalsAsFormatterWritesThem() {
        SplittableRandom rng = new SplittableRandom(8);
        for (double s : new double[] {0, 0.005, 0.015, 0.125, 1.005, 2.675, 99.995, 12345.678}) {
            assertEquals(String.format(Locale.ROOT, "%.2f", s), MixstreamCommand.seconds(s), () -> "" + s);
        }
        for (int i = 0; i < 100_000; i++) {
            double s = i % 2 == 0 ? rng.nextDouble(0, 100) : Math.round(rng.nextDouble(0, 100) * 1000) / 1000.0;
            assertEquals(String.format(Locale.ROOT, "%.2f", s), MixstreamCommand.seconds(s), () -> "" + s);
        }
    }
}
