package dev.mixstream.streams;

import com.fasterxml.jackson.core.io.NumberInput;
import dev.mixstream.gmm.OnlineMixture;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The fast path of {@link PointParser}: a scanner, written for the shapes nearly every producer sends, over the
 * value's bytes — {@code [n, …]}, or an object with {@code x}, {@code id} (a string without escapes), {@code ts} (an
 * integer) and any other fields whose values are plain strings, numbers, {@code true}, {@code false} or
 * {@code null}. On every value it accepts it gives exactly what Jackson's streaming parser gives (the same doubles,
 * bit for bit, and the same number texts); everything else it declines ({@code null}) for Jackson to parse and
 * classify: malformed or unusual JSON, duplicate fields, nested values, escapes, and every value to be rejected.
 * Jackson's parser per record was a seventh of the estimator's stream thread.
 *
 * <p>Numbers: a decimal w·10^q with w ≤ 2⁵³ and |q| ≤ 22 is w·10^q or w/10^−q in one IEEE operation on two exact
 * doubles, hence the correctly rounded double (Clinger's fast path); any other number goes to Jackson's own
 * correctly rounded parser ({@link NumberInput#parseDouble(char[], int, int, boolean)}, FastDoubleParser), so both
 * paths agree. Not thread-safe; one instance per {@link PointParser}.
 */
final class PointScanner {
    private static final long MAX_EXACT_SIGNIFICAND = 1L << 53;
    private static final int MAX_FAST_EXPONENT = 22;
    /** Longer numbers go to Jackson, which enforces its own limit ({@code maxNumberLength} in {@link PointParser}). */
    private static final int MAX_NUMBER_LENGTH = 100;
    private static final double[] POWERS_OF_TEN = new double[MAX_FAST_EXPONENT + 1];

    static {
        POWERS_OF_TEN[0] = 1;
        for (int i = 1; i < POWERS_OF_TEN.length; i++) {
            POWERS_OF_TEN[i] = POWERS_OF_TEN[i - 1] * 10; // exact up to 1e22
        }
    }

    private final int maxDimension;
    private double[] coordinates = new double[16];
    private int dimension;
    private byte[] text = new byte[256];
    private int textSize;
    private final char[] numberChars = new char[MAX_NUMBER_LENGTH];

    private byte[] in;
    private int pos;
    /** The last number read: its value, and whether it was an integer (no fraction, no exponent). */
    private double number;
    private boolean integer;
    private long integerValue;
    private boolean integerFitsLong;

    PointScanner(int maxDimension) {
        this.maxDimension = maxDimension;
    }

    /** The point in {@code value} (valid UTF-8, within the size limit), or null when Jackson must read it. */
    PointParser.ParsedPoint scan(byte[] value) {
        in = value;
        pos = 0;
        try {
            skipWhitespace();
            PointParser.ParsedPoint point;
            if (at('[')) {
                pos++;
                point = vector() ? new PointParser.ParsedPoint(x(), null, null, xJson()) : null;
            } else if (at('{')) {
                pos++;
                point = object();
            } else {
                return null;
            }
            skipWhitespace();
            return pos == in.length ? point : null;
        } finally {
            in = null;
        }
    }

    private PointParser.ParsedPoint object() {
        boolean hasX = false;
        boolean hasId = false;
        boolean hasTs = false;
        String id = null;
        Long ts = null;
        skipWhitespace();
        if (at('}')) {
            return null; // no x
        }
        while (true) {
            if (!at('"')) {
                return null;
            }
            int nameStart = ++pos;
            if (!plainString()) {
                return null;
            }
            int nameLength = pos - 1 - nameStart;
            skipWhitespace();
            if (!at(':')) {
                return null;
            }
            pos++;
            skipWhitespace();
            if (isName(nameStart, nameLength, 'x')) {
                if (hasX || !at('[')) {
                    return null;
                }
                pos++;
                if (!vector()) {
                    return null;
                }
                hasX = true;
            } else if (isName(nameStart, nameLength, 'i', 'd')) {
                if (hasId) {
                    return null;
                }
                hasId = true;
                if (at('"')) {
                    int start = ++pos;
                    if (!plainString()) {
                        return null;
                    }
                    id = new String(in, start, pos - 1 - start, StandardCharsets.UTF_8);
                } else if (!literal("null")) {
                    return null; // an integer id, or something to reject: Jackson's
                }
            } else if (isName(nameStart, nameLength, 't', 's')) {
                if (hasTs) {
                    return null;
                }
                hasTs = true;
                if (at('-') || isDigit()) {
                    if (!number(true) || !integer || !integerFitsLong) {
                        return null;
                    }
                    ts = integerValue;
                } else if (!literal("null")) {
                    return null;
                }
            } else if (!scalar()) {
                return null; // nested, escaped or malformed: Jackson skips or rejects it
            }
            skipWhitespace();
            if (at(',')) {
                pos++;
                skipWhitespace();
            } else if (at('}')) {
                pos++;
                break;
            } else {
                return null;
            }
        }
        return hasX ? new PointParser.ParsedPoint(x(), id, ts, xJson()) : null;
    }

    /**
     * The numbers of an array whose {@code [} was just read, up to its {@code ]}; false unless it is 1 to
     * max-dimension numbers, each finite and within ±{@link OnlineMixture#MAX_ABS_COORDINATE}.
     */
    private boolean vector() {
        dimension = 0;
        textSize = 0;
        appendText((byte) '[');
        skipWhitespace();
        while (true) {
            if (dimension == maxDimension) {
                return false;
            }
            int start = pos;
            if (!number(true)) {
                return false;
            }
            double v = number;
            if (!(Math.abs(v) <= OnlineMixture.MAX_ABS_COORDINATE)) {
                return false;
            }
            if (dimension == coordinates.length) {
                coordinates = Arrays.copyOf(coordinates, 2 * dimension);
            }
            coordinates[dimension++] = v;
            if (dimension > 1) {
                appendText((byte) ',');
            }
            appendText(start, pos - start);
            skipWhitespace();
            if (at(',')) {
                pos++;
                skipWhitespace();
            } else if (at(']')) {
                pos++;
                appendText((byte) ']');
                return true;
            } else {
                return false;
            }
        }
    }

    /**
     * Reads a JSON number, {@code -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?}, and with {@code convert} its value
     * into {@link #number} (and, for an integer, {@link #integerValue}); false if there is none here, or it is one
     * Jackson must convert.
     */
    private boolean number(boolean convert) {
        byte[] b = in; // locals, so that the loops below run in registers
        int n = b.length;
        int start = pos;
        int i = start;
        boolean negative = i < n && b[i] == '-';
        if (negative) {
            i++;
        }
        if (i == n || !digit(b[i])) {
            return false;
        }
        long significand = 0;
        int significantDigits = 0; // digits from the first non-zero one
        int fractionDigits = 0;
        if (b[i] == '0') {
            i++;
            if (i < n && digit(b[i])) {
                return false; // a leading zero: not JSON
            }
        } else {
            while (i < n && digit(b[i])) {
                significand = 10 * significand + (b[i++] - '0');
                significantDigits++;
            }
        }
        integer = true;
        if (i < n && b[i] == '.') {
            integer = false;
            i++;
            if (i == n || !digit(b[i])) {
                return false;
            }
            while (i < n && digit(b[i])) {
                int d = b[i++] - '0';
                if (significantDigits > 0 || d != 0) {
                    significantDigits++;
                }
                significand = 10 * significand + d; // may wrap beyond 18 significant digits: then unused
                fractionDigits++;
            }
        }
        int exponent = 0;
        if (i < n && (b[i] == 'e' || b[i] == 'E')) {
            integer = false;
            i++;
            boolean negativeExponent = i < n && b[i] == '-';
            if (negativeExponent || (i < n && b[i] == '+')) {
                i++;
            }
            if (i == n || !digit(b[i])) {
                return false;
            }
            while (i < n && digit(b[i])) {
                if (exponent < 100_000) {
                    exponent = 10 * exponent + (b[i] - '0');
                }
                i++;
            }
            if (negativeExponent) {
                exponent = -exponent;
            }
        }
        pos = i;
        int length = i - start;
        if (length > MAX_NUMBER_LENGTH) {
            return false;
        }
        if (!convert) {
            return true;
        }
        if (integer) {
            // Jackson reads an integer token as an int, long or BigInteger (so "-0" is 0, not -0.0)
            integerFitsLong = significantDigits <= 18;
            if (!integerFitsLong) {
                return false;
            }
            integerValue = negative ? -significand : significand;
            number = integerValue; // the long's correctly rounded double, as Jackson's getDoubleValue
            return true;
        }
        int q = exponent - fractionDigits; // the value is ±significand · 10^q
        if (significantDigits <= 18 && significand <= MAX_EXACT_SIGNIFICAND && q >= -MAX_FAST_EXPONENT
                && q <= MAX_FAST_EXPONENT) {
            double m = significand; // exact
            double v = q >= 0 ? m * POWERS_OF_TEN[q] : m / POWERS_OF_TEN[-q]; // one rounding: correctly rounded
            number = negative ? -v : v;
        } else {
            char[] chars = numberChars;
            for (int c = 0; c < length; c++) {
                chars[c] = (char) b[start + c]; // ASCII
            }
            number = NumberInput.parseDouble(chars, 0, length, true);
        }
        return Double.isFinite(number);
    }

    private static boolean digit(byte c) {
        return c >= '0' && c <= '9';
    }

    /** The characters of a string whose opening quote was read, through its closing quote; false on escapes. */
    private boolean plainString() {
        byte[] b = in;
        for (int i = pos; i < b.length; i++) {
            byte c = b[i];
            if (c == '"') {
                pos = i + 1;
                return true;
            }
            if (c == '\\' || (c >= 0 && c < 0x20)) {
                return false; // an escape (Jackson decodes it) or a control character (Jackson rejects it)
            }
        }
        return false;
    }

    /** A value Jackson skips without looking inside: a plain string, a number, true, false or null. */
    private boolean scalar() {
        if (at('"')) {
            pos++;
            return plainString();
        }
        if (at('-') || isDigit()) {
            return number(false); // its value unread, as Jackson skips it
        }
        return literal("true") || literal("false") || literal("null");
    }

    private boolean literal(String word) {
        int n = word.length();
        if (pos + n > in.length) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (in[pos + i] != word.charAt(i)) {
                return false;
            }
        }
        pos += n;
        return true;
    }

    private boolean isName(int start, int length, char... name) {
        if (length != name.length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (in[start + i] != name[i]) {
                return false;
            }
        }
        return true;
    }

    private void skipWhitespace() {
        byte[] b = in;
        int i = pos;
        while (i < b.length && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) {
            i++;
        }
        pos = i;
    }

    private boolean at(char c) {
        return pos < in.length && in[pos] == c;
    }

    private boolean isDigit() {
        return pos < in.length && digit(in[pos]);
    }

    private double[] x() {
        return Arrays.copyOf(coordinates, dimension);
    }

    private byte[] xJson() {
        return Arrays.copyOf(text, textSize);
    }

    private void appendText(byte b) {
        if (textSize == text.length) {
            text = Arrays.copyOf(text, 2 * text.length);
        }
        text[textSize++] = b;
    }

    private void appendText(int start, int length) {
        if (textSize + length > text.length) {
            text = Arrays.copyOf(text, Math.max(2 * text.length, textSize + length));
        }
        System.arraycopy(in, start, text, textSize, length);
        textSize += length;
    }
}
