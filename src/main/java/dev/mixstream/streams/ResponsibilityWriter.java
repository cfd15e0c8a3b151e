package dev.mixstream.streams;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.core.io.NumberOutput;
import dev.mixstream.gmm.PointScore;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes the responsibilities record of one scored point:
 * {@code {"model","id","ts","x","responsibilities","component_ids","component","log_likelihood","anomaly_score",
 * "anomaly","anomaly_features","model_version","partition","offset"}} ({@code component_ids[i]} is the id of the
 * component whose responsibility is {@code responsibilities[i]}, and {@code component} is the id of the most likely
 * one; {@code id} and {@code ts} only when the input had
 * them, {@code anomaly_features} only on flagged points; the offline replay of {@code fit --scores-out} has
 * no {@code id}, {@code ts}, {@code partition} or {@code offset}), as compact UTF-8 JSON
 * straight into a reused buffer (this is on the per-record path: a JSON generator per record cost a
 * quarter of the stream thread).
 *
 * <p>Doubles are written in their shortest form that reads back to the same double (Schubfach, via
 * Jackson's {@link NumberOutput}); {@code x} is copied from the input's own number text when the caller
 * has it (it parses to the same doubles), which saves re-formatting D coordinates. Strings are
 * escaped by Jackson's {@link JsonStringEncoder}. Not thread-safe; one instance per stream task.
 */
public final class ResponsibilityWriter {
    private static final byte[] MODEL = ascii("{\"model\":");
    private static final byte[] ID = ascii(",\"id\":");
    private static final byte[] TS = ascii(",\"ts\":");
    private static final byte[] X = ascii(",\"x\":");
    private static final byte[] RESPONSIBILITIES = ascii(",\"responsibilities\":");
    private static final byte[] COMPONENT_IDS = ascii(",\"component_ids\":[");
    private static final byte[] COMPONENT = ascii(",\"component\":");
    private static final byte[] LOG_LIKELIHOOD = ascii(",\"log_likelihood\":");
    private static final byte[] ANOMALY_SCORE = ascii(",\"anomaly_score\":");
    private static final byte[] ANOMALY_TRUE = ascii(",\"anomaly\":true");
    private static final byte[] ANOMALY_FALSE = ascii(",\"anomaly\":false");
    private static final byte[] ANOMALY_FEATURES = ascii(",\"anomaly_features\":[");
    private static final byte[] MODEL_VERSION = ascii(",\"model_version\":");
    private static final byte[] PARTITION = ascii(",\"partition\":");
    private static final byte[] OFFSET = ascii(",\"offset\":");
    private static final byte[] WARMING_UP = ascii(",\"status\":\"warming_up\"");
    private static final byte[] POINTS_SEEN = ascii(",\"points_seen\":");
    private static final byte[] WARMUP = ascii(",\"warmup\":");
    private static final long ZERO_BITS = Double.doubleToRawLongBits(0.0);
    private static final long ONE_BITS = Double.doubleToRawLongBits(1.0);
    private static final byte[] ZERO = ascii(NumberOutput.toString(0.0, true));
    private static final byte[] ONE = ascii(NumberOutput.toString(1.0, true));

    private final OutputFormat format;
    private byte[] buffer = new byte[512];
    private int size;
    private String lastModel;
    private byte[] lastModelEscaped;

    /** A writer of the records as they always were: x echoed, every digit ({@link OutputFormat#DEFAULT}). */
    public ResponsibilityWriter() {
        this(OutputFormat.DEFAULT);
    }

    /** A writer of records in the given format. */
    public ResponsibilityWriter(OutputFormat format) {
        this.format = java.util.Objects.requireNonNull(format, "format");
    }

    /**
     * The record {@code fit --scores-out} writes: the stream's record for the same point without the input's
     * metadata (id, ts, partition, offset), x formatted from the doubles.
     */
    public byte[] writeOffline(String model, PointScore score) {
        return write(model, score, null, null);
    }

    /** The record for a score whose input metadata is {@code meta}, with x formatted from the doubles. */
    byte[] write(String model, PointScore score, PointMeta meta) {
        return write(model, score, meta, null);
    }

    /**
     * @param xJson the point's coordinates as a JSON array, copied verbatim (the input's own text), or null to
     *              format {@code score.point()}
     */
    public byte[] write(String model, PointScore score, PointMeta meta, byte[] xJson) {
        putPoint(model, meta, xJson, score.point());
        put(RESPONSIBILITIES);
        if (format.digits() == OutputFormat.ALL_DIGITS) {
            putArray(score.responsibilities());
        } else {
            putRoundedArray(score.responsibilities(), format.digits());
        }
        put(COMPONENT_IDS);
        int k = score.responsibilities().length;
        for (int c = 0; c < k; c++) {
            if (c > 0) {
                putByte((byte) ',');
            }
            putLong(score.componentId(c));
        }
        putByte((byte) ']');
        put(COMPONENT);
        putLong(score.componentIdOfAssignment());
        put(LOG_LIKELIHOOD);
        putDouble(score.logLikelihood());
        put(ANOMALY_SCORE);
        putDouble(score.anomalyScore());
        put(score.anomaly() ? ANOMALY_TRUE : ANOMALY_FALSE);
        if (score.anomalyFeatureCount() > 0) {
            put(ANOMALY_FEATURES);
            for (int i = 0; i < score.anomalyFeatureCount(); i++) {
                if (i > 0) {
                    putByte((byte) ',');
                }
                putLong(score.anomalyFeature(i));
            }
            putByte((byte) ']');
        }
        put(MODEL_VERSION);
        putLong(score.modelVersion());
        return end(meta);
    }

    /**
     * The answer to a point that waited {@code mixstream.warmup.max.wait} in its model's warm-up:
     * {@code {"model","id","ts","x","status":"warming_up","points_seen","warmup","partition","offset"}}, with the
     * model's points so far and its W, and no responsibilities (there is no model yet).
     *
     * @param xJson the point's coordinates as a JSON array, or null to format {@code x}
     */
    byte[] writeWarmingUp(String model, double[] x, PointMeta meta, byte[] xJson, long pointsSeen, int warmup) {
        putPoint(model, meta, xJson, x);
        put(WARMING_UP);
        put(POINTS_SEEN);
        putLong(pointsSeen);
        put(WARMUP);
        putLong(warmup);
        return end(meta);
    }

    /** {"model","id","ts","x" of a record. */
    private void putPoint(String model, PointMeta meta, byte[] xJson, double[] x) {
        size = 0;
        put(MODEL);
        putQuoted(escapedModel(model));
        if (meta != null && meta.id() != null) {
            put(ID);
            putQuoted(JsonStringEncoder.getInstance().quoteAsUTF8(meta.id()));
        }
        if (meta != null && meta.ts() != null) {
            put(TS);
            putLong(meta.ts());
        }
        if (!format.echoX()) {
            return;
        }
        put(X);
        if (xJson != null) {
            put(xJson);
        } else {
            putArray(x);
        }
    }

    /** ,"partition","offset"} (when the input's metadata is known) and the record's bytes. */
    private byte[] end(PointMeta meta) {
        if (meta != null) {
            put(PARTITION);
            putLong(meta.partition());
            put(OFFSET);
            putLong(meta.offset());
        }
        putByte((byte) '}');
        return Arrays.copyOf(buffer, size);
    }

    /** The model name escaped for JSON; the last one is kept, since consecutive records often share it. */
    private byte[] escapedModel(String model) {
        if (!model.equals(lastModel)) {
            lastModelEscaped = JsonStringEncoder.getInstance().quoteAsUTF8(model);
            lastModel = model;
        }
        return lastModelEscaped;
    }

    private void putArray(double[] values) {
        putByte((byte) '[');
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                putByte((byte) ',');
            }
            putDouble(values[i]);
        }
        putByte((byte) ']');
    }

    /** The values rounded to {@code digits} significant digits (see {@link #putRounded}). */
    private void putRoundedArray(double[] values, int digits) {
        putByte((byte) '[');
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                putByte((byte) ',');
            }
            putRounded(values[i], digits);
        }
        putByte((byte) ']');
    }

    /**
     * A number in [0, 1] to {@code digits} significant digits, as text: 0 and 1 as {@code 0.0} and {@code 1.0},
     * otherwise the digits d₁d₂… of round(v · 10^(digits − 1 − e)), e = ⌊log₁₀ v⌋, written {@code d₁.d₂…E-e}
     * (trailing zeros dropped; a value that rounds up to 1 is {@code 1.0}).
     */
    private void putRounded(double v, int digits) {
        if (!(v > 0) || v >= 1) {
            putDouble(v); // 0.0, 1.0 (and a clear failure for anything not finite)
            return;
        }
        int e = (int) Math.floor(Math.log10(v));
        long m = Math.round(scaled(v, digits - 1 - e)); // the significant digits, 10^(d−1) ≤ m ≤ 10^d
        if (m >= POWERS_OF_TEN[digits]) { // rounded up to the next power of ten
            m /= 10;
            e++;
        } else if (m < POWERS_OF_TEN[digits - 1]) { // log10 rounded down a power
            m = Math.round(scaled(v, digits - e));
            e--;
        }
        if (e >= 0) { // v rounded up to 1
            putDouble(1.0);
            return;
        }
        while (m % 10 == 0 && m >= 10) {
            m /= 10;
        }
        ensure(20 + 8);
        int first = size;
        size = NumberOutput.outputLong(m, buffer, size + 1); // the digits, one byte to the right
        buffer[first] = buffer[first + 1]; // d₁, then the point where it was: d₁.d₂…
        buffer[first + 1] = '.';
        if (size == first + 2) { // one digit: d₁.0
            buffer[size++] = '0';
        }
        buffer[size++] = 'E';
        size = NumberOutput.outputInt(e, buffer, size);
    }

    /** v · 10^k in two factors, so that 10^k cannot overflow for the smallest subnormal values (k up to ≈ 340). */
    private static double scaled(double v, int k) {
        int half = k / 2;
        return v * Math.pow(10, half) * Math.pow(10, k - half);
    }

    private static final long[] POWERS_OF_TEN = new long[19];

    static {
        POWERS_OF_TEN[0] = 1;
        for (int i = 1; i < POWERS_OF_TEN.length; i++) {
            POWERS_OF_TEN[i] = POWERS_OF_TEN[i - 1] * 10;
        }
    }

    private void putDouble(double v) {
        if (!Double.isFinite(v)) { // the engine never produces one; JSON has no such number
            throw new IllegalStateException("non-finite value in a responsibilities record: " + v);
        }
        // most responsibilities are exactly 0 (pruned, or below the last bit) or 1: Schubfach's own text, without it
        long bits = Double.doubleToRawLongBits(v);
        if (bits == ZERO_BITS || bits == ONE_BITS) {
            put(bits == ZERO_BITS ? ZERO : ONE);
            return;
        }
        String s = NumberOutput.toString(v, true); // shortest round-trip form (Schubfach)
        int n = s.length();
        ensure(n);
        for (int i = 0; i < n; i++) {
            buffer[size++] = (byte) s.charAt(i); // digits, '-', '.', 'E': ASCII
        }
    }

    private void putLong(long v) {
        ensure(20);
        size = NumberOutput.outputLong(v, buffer, size);
    }

    private void put(byte[] bytes) {
        ensure(bytes.length);
        System.arraycopy(bytes, 0, buffer, size, bytes.length);
        size += bytes.length;
    }

    private void putQuoted(byte[] escaped) {
        ensure(escaped.length + 2);
        buffer[size++] = '"';
        System.arraycopy(escaped, 0, buffer, size, escaped.length);
        size += escaped.length;
        buffer[size++] = '"';
    }

    private void putByte(byte b) {
        ensure(1);
        buffer[size++] = b;
    }

    private void ensure(int more) {
        if (size + more > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.max(2 * buffer.length, size + more));
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
