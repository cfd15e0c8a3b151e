package dev.mixstream.streams;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import dev.mixstream.gmm.OnlineMixture;

import java.io.IOException;
import java.util.Arrays;

/**
 * Parses a point record's value — {@code [1.5, -0.2]} or {@code {"x": [1.5, -0.2], "id": "evt-42",
 * "ts": 1732512345123}} — classifying every unusable value. The common shapes are read by {@link PointScanner};
 * whatever it declines, by Jackson's streaming parser (no tree), which also words every rejection.
 * Not thread-safe (reuses a coordinate buffer); one instance per stream task.
 */
public final class PointParser {
    /**
     * A parsed point; {@code id} and {@code ts} are null when absent. {@code xJson} is x as a compact JSON
     * array of the input's own number texts (e.g. {@code [1.5,-2e-3]}), which parse to exactly {@code x}:
     * ready to echo.
     */
    public record ParsedPoint(double[] x, String id, Long ts, byte[] xJson) {
    }

    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS) // so NaN/Infinity parse and are classified
            .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER) // FastDoubleParser: exact, faster than Double.parseDouble
            .streamReadConstraints(StreamReadConstraints.builder().maxNumberLength(1000).build())
            .build();

    private final int maxValueBytes;
    private final int maxDimension;
    private final PointScanner scanner;
    private double[] buffer = new double[16];
    private byte[] text = new byte[256];
    private int textSize;
    private byte[] lastXJson;

    public PointParser(int maxValueBytes, int maxDimension) {
        this(maxValueBytes, maxDimension, true);
    }

    /** @param scanFirst whether the common shapes go through {@link PointScanner} first (false: Jackson only) */
    PointParser(int maxValueBytes, int maxDimension, boolean scanFirst) {
        this.maxValueBytes = maxValueBytes;
        this.maxDimension = maxDimension;
        this.scanner = scanFirst ? new PointScanner(maxDimension) : null;
    }

    /**
     * @throws Rejection with the reason the value cannot be a point
     */
    public ParsedPoint parse(byte[] value) throws Rejection {
        if (value == null) {
            throw new Rejection(RejectReason.NULL_VALUE, "null value");
        }
        if (value.length == 0) {
            throw new Rejection(RejectReason.EMPTY, "empty value");
        }
        if (value.length > maxValueBytes) {
            throw new Rejection(RejectReason.TOO_LARGE,
                    "value of " + value.length + " bytes exceeds mixstream.max.value.bytes=" + maxValueBytes);
        }
        int bad = Utf8.firstInvalid(value);
        if (bad >= 0) {
            throw new Rejection(RejectReason.NOT_UTF8, "value is not valid UTF-8 (byte " + bad + ")");
        }
        if (scanner != null) {
            ParsedPoint scanned = scanner.scan(value);
            if (scanned != null) {
                return scanned; // exactly what Jackson would give
            }
        }
        try (JsonParser p = JSON.createParser(value)) {
            JsonToken t = p.nextToken();
            ParsedPoint point;
            if (t == JsonToken.START_ARRAY) {
                double[] x = readVector(p);
                point = new ParsedPoint(x, null, null, lastXJson);
            } else if (t == JsonToken.START_OBJECT) {
                point = readObject(p);
            } else {
                throw new Rejection(RejectReason.NOT_A_VECTOR, "expected an array of numbers or an object with x, got "
                        + describe(t));
            }
            if (p.nextToken() != null) {
                throw new Rejection(RejectReason.MALFORMED_JSON, "unexpected content after the JSON value");
            }
            return point;
        } catch (JsonProcessingException e) {
            throw new Rejection(RejectReason.MALFORMED_JSON, jsonProblem(e));
        } catch (IOException e) {
            throw new Rejection(RejectReason.MALFORMED_JSON, "not valid JSON");
        }
    }

    private ParsedPoint readObject(JsonParser p) throws IOException, Rejection {
        double[] x = null;
        byte[] xJson = null;
        String id = null;
        Long ts = null;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            String field = p.currentName();
            JsonToken v = p.nextToken();
            switch (field) {
                case "x" -> {
                    if (v != JsonToken.START_ARRAY) {
                        throw new Rejection(RejectReason.NOT_A_VECTOR, "x must be an array of numbers, got " + describe(v));
                    }
                    x = readVector(p);
                    xJson = lastXJson;
                }
                case "id" -> {
                    if (v == JsonToken.VALUE_STRING || v == JsonToken.VALUE_NUMBER_INT) {
                        id = p.getText(); // an integer id is kept as its text: 42 → "42"
                    } else if (v != JsonToken.VALUE_NULL) {
                        throw new Rejection(RejectReason.NOT_A_VECTOR, "id must be a string or an integer, got " + describe(v));
                    }
                }
                case "ts" -> {
                    if (v == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
                        ts = p.getLongValue();
                    } else if (v == JsonToken.VALUE_NUMBER_INT || v == JsonToken.VALUE_NUMBER_FLOAT) {
                        throw new Rejection(RejectReason.NOT_A_VECTOR, "ts must be an integer (epoch ms) within "
                                + "±9223372036854775807, got " + p.getText());
                    } else if (v != JsonToken.VALUE_NULL) {
                        throw new Rejection(RejectReason.NOT_A_VECTOR, "ts must be an integer (epoch ms), got "
                                + describe(v));
                    }
                }
                default -> p.skipChildren(); // unknown fields are ignored
            }
        }
        if (x == null) {
            throw new Rejection(RejectReason.NOT_A_VECTOR, "object has no x");
        }
        return new ParsedPoint(x, id, ts, xJson);
    }

    /**
     * Reads the numbers of an array whose START_ARRAY was just read; leaves their texts, as a compact JSON array,
     * in {@link #lastXJson}.
     */
    private double[] readVector(JsonParser p) throws IOException, Rejection {
        int n = 0;
        textSize = 0;
        appendText('[');
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT) {
                throw new Rejection(RejectReason.NOT_A_VECTOR, "element " + n + " is " + describe(t) + ", not a number");
            }
            if (n == maxDimension) {
                throw new Rejection(RejectReason.TOO_LARGE, "vector longer than mixstream.max.dimension=" + maxDimension);
            }
            if (n > 0) {
                appendText(',');
            }
            appendText(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
            double v = p.getDoubleValue();
            if (!Double.isFinite(v)) {
                throw new Rejection(RejectReason.NON_FINITE, "element " + n + " is " + p.getText());
            }
            if (Math.abs(v) > OnlineMixture.MAX_ABS_COORDINATE) {
                throw new Rejection(RejectReason.OUT_OF_RANGE, "element " + n + " = " + v + " is beyond ±1e100");
            }
            if (n == buffer.length) {
                buffer = Arrays.copyOf(buffer, 2 * n);
            }
            buffer[n++] = v;
        }
        if (n == 0) {
            throw new Rejection(RejectReason.EMPTY, "empty vector");
        }
        appendText(']');
        lastXJson = Arrays.copyOf(text, textSize);
        return Arrays.copyOf(buffer, n);
    }

    private void appendText(char c) {
        if (textSize == text.length) {
            text = Arrays.copyOf(text, 2 * text.length);
        }
        text[textSize++] = (byte) c;
    }

    /** Appends a number's text: JSON number syntax is ASCII (digits, '-', '+', '.', 'e', 'E'). */
    private void appendText(char[] chars, int offset, int length) {
        if (textSize + length > text.length) {
            text = Arrays.copyOf(text, Math.max(2 * text.length, textSize + length));
        }
        for (int i = 0; i < length; i++) {
            text[textSize++] = (byte) chars[offset + i];
        }
    }

    /**
     * What is wrong with the JSON, in our words and without the parser's advice on its own settings: where, and the
     * first clause of the parser's description ("Unexpected character ('+' (code 43)) in numeric value").
     */
    static String jsonProblem(JsonProcessingException e) {
        String what = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
        for (String cut : new String[]{"\n", ": enable", "; enable", " (for ", ": JSON spec", "Source:"}) {
            int i = what.indexOf(cut);
            if (i >= 0) {
                what = what.substring(0, i);
            }
        }
        what = what.strip();
        long at = e.getLocation() == null ? -1
                : Math.max(e.getLocation().getCharOffset(), e.getLocation().getByteOffset()); // bytes for byte input
        return "not valid JSON" + (at > 0 ? " at character " + at : "") + (what.isEmpty() ? "" : ": " + what);
    }

    private static String describe(JsonToken t) {
        if (t == null) {
            return "nothing";
        }
        return switch (t) {
            case START_ARRAY -> "an array";
            case START_OBJECT -> "an object";
            case VALUE_STRING -> "a string";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            default -> t.toString();
        };
    }
}
