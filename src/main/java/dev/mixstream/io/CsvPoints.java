package dev.mixstream.io;

import com.fasterxml.jackson.core.io.NumberInput;
import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.zip.GZIPInputStream;

/**
 * A streaming reader of points from a CSV file: one point per row, comma-separated numbers.
 *
 * <p>Rules:
 * <ul>
 *   <li>Lines end with {@code \n} or {@code \r\n}; the text is UTF-8 (a byte order mark is ignored).</li>
 *   <li>Values are Java floating-point literals, read exactly as {@link Double#parseDouble} reads
 *       them (surrounding spaces allowed; no quoting; type suffixes such as {@code 1d} or
 *       {@code 2f} are refused). Parsing is done in place, without a String per line or field.</li>
 *   <li>Blank lines (empty or only whitespace) are ignored anywhere in the file.</li>
 *   <li>The first non-blank line is a header, and skipped, if one of its fields is non-empty and not
 *       a number. Otherwise it is the first data row.</li>
 *   <li>Every data row must have the same number of columns: {@link Options#columns()} if given,
 *       otherwise the count of the first valid data row.</li>
 *   <li>A value must be finite ({@code NaN}, {@code Infinity} and literals that overflow to infinity
 *       such as {@code 1e400} are rejected) and, if {@link Options#maxAbs()} is finite, within
 *       ±maxAbs.</li>
 *   <li>A row breaking a rule is a bad row: {@link #hasNext()} throws a {@link CsvFormatException}
 *       naming its line number and the reason, or, with {@link Options#skipBadRows()}, counts it in
 *       {@link #badRows()} and moves on.</li>
 * </ul>
 * A file name ending in {@code .gz} is decompressed on the fly. Usage:
 * <pre>{@code
 * try (CsvPoints csv = CsvPoints.open(path, CsvPoints.Options.strict())) {
 *     while (csv.hasNext()) {
 *         CsvRow row = csv.next();   // row.line(), row.values()
 *     }
 * }
 * }</pre>
 * Not thread-safe. I/O errors surface as {@link UncheckedIOException} from {@link #hasNext()}.
 */
public final class CsvPoints implements Iterator<CsvRow>, Closeable {

    /**
     * How strictly rows are read.
     *
     * @param skipBadRows count and skip bad rows instead of throwing {@link CsvFormatException}
     * @param columns     required number of columns, or 0 to take it from the first valid data row
     * @param maxAbs      largest allowed absolute value ({@link Double#POSITIVE_INFINITY}: any finite)
     * @param select      the columns that hold the coordinates, or null for all
     */
    public record Options(boolean skipBadRows, int columns, double maxAbs, ColumnSelection select) {
        public Options {
            if (columns < 0) {
                throw new IllegalArgumentException("columns must be >= 0, got " + columns);
            }
            if (!(maxAbs > 0)) {
                throw new IllegalArgumentException("maxAbs must be > 0, got " + maxAbs);
            }
        }

        /** Bad rows throw, any column count (fixed by the first row), any finite value, every column. */
        public static Options strict() {
            return new Options(false, 0, Double.POSITIVE_INFINITY, null);
        }

        public Options withSkipBadRows(boolean skip) {
            return new Options(skip, columns, maxAbs, select);
        }

        /** The number of coordinates every point must have (selected columns, or all). */
        public Options withColumns(int n) {
            return new Options(skipBadRows, n, maxAbs, select);
        }

        public Options withMaxAbs(double max) {
            return new Options(skipBadRows, columns, max, select);
        }

        /** Only these columns are the point's coordinates (null: all); the others may hold anything. */
        public Options withSelection(ColumnSelection selection) {
            return new Options(skipBadRows, columns, maxAbs, selection);
        }
    }

    private final Reader reader;
    private final CountingInputStream counter;
    private final Options options;
    private final boolean presetColumns;

    // line scanner: unread text is buf[pos, limit); the current line is buf[lineStart, lineEnd)
    private char[] buf = new char[1 << 16];
    private int pos;
    private int limit;
    private boolean eof;
    private int lineStart;
    private int lineEnd;
    private double[] scratch = new double[16];

    private int columns;
    private long columnsLine;
    private long line;
    private long rows;
    private long badRows;
    private long blankLines;
    private boolean sawFirstLine;
    private List<String> header;
    private CsvFormatException firstBadRow;
    private CsvRow pending;
    private boolean finished;
    /** Set by {@link #parseLine} when the failure was a field that is not a number at all. */
    private boolean notANumber;
    /** What {@link #parseLine} found wrong, and in which column (1-based; 0 for the whole row). */
    private CsvFormatException.Problem problem;
    private int problemColumn;
    /** Field boundaries of the current line: field f is buf[fieldStart[f], fieldEnd[f]), trimmed. */
    private int[] fieldStart = new int[16];
    private int[] fieldEnd = new int[16];
    /** The fields that hold the coordinates (0-based), once resolved; null while unresolved or for all. */
    private int[] selected;
    /** The number of fields of every row (with a selection: of the first valid data row). */
    private int fields;

    private CsvPoints(Reader reader, CountingInputStream counter, Options options) {
        this.reader = reader;
        this.counter = counter;
        this.options = options;
        this.columns = options.columns();
        this.presetColumns = options.columns() > 0;
    }

    /**
     * Opens a CSV file ({@code .gz} is decompressed).
     *
     * @throws IOException if the file cannot be opened
     */
    public static CsvPoints open(Path file, Options options) throws IOException {
        InputStream raw = Files.newInputStream(file);
        try {
            CountingInputStream counting = new CountingInputStream(raw);
            InputStream in = file.getFileName() != null && file.getFileName().toString().endsWith(".gz")
                    ? new GZIPInputStream(counting, 1 << 16) : counting;
            return new CsvPoints(new InputStreamReader(in, StandardCharsets.UTF_8), counting, options);
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    /** Opens a CSV file with {@link Options#strict()} or, if asked, skipping bad rows. */
    public static CsvPoints open(Path file, boolean skipBadRows) throws IOException {
        return open(file, Options.strict().withSkipBadRows(skipBadRows));
    }

    /** Reads CSV text from a reader (e.g. in memory); {@link #bytesRead()} stays 0. */
    public static CsvPoints of(Reader reader, Options options) {
        return new CsvPoints(reader, null, options);
    }

    /**
     * True if another valid row follows. Reads ahead up to and including it.
     *
     * @throws CsvFormatException   on a bad row unless bad rows are skipped
     * @throws UncheckedIOException on a read error
     */
    @Override
    public boolean hasNext() {
        if (pending != null) {
            return true;
        }
        if (finished) {
            return false;
        }
        try {
            while (nextLine()) {
                line++;
                if (line == 1 && lineStart < lineEnd && buf[lineStart] == '\uFEFF') {
                    lineStart++; // UTF-8 byte order mark
                }
                if (isBlank(lineStart, lineEnd)) {
                    blankLines++;
                    continue;
                }
                boolean first = !sawFirstLine;
                sawFirstLine = true;
                int n = splitFields();
                if (first && options.select() != null && options.select().byName()) {
                    header = splitHeader(new String(buf, lineStart, lineEnd - lineStart));
                    resolveSelection(n);
                    continue;
                }
                if (options.select() != null && selected == null) {
                    resolveSelection(n);
                }
                String reason = parseLine(n);
                if (reason == null) {
                    if (columns == 0) {
                        columns = lastCount;
                        columnsLine = line;
                    }
                    rows++;
                    pending = new CsvRow(line, Arrays.copyOf(scratch, lastCount));
                    return true;
                }
                if (first && notANumber) {
                    header = splitHeader(new String(buf, lineStart, lineEnd - lineStart));
                    continue;
                }
                CsvFormatException bad = new CsvFormatException(line, problem, problemColumn, reason);
                if (!options.skipBadRows()) {
                    finished = true;
                    throw bad;
                }
                badRows++;
                if (firstBadRow == null) {
                    firstBadRow = bad;
                }
            }
            finished = true;
            return false;
        } catch (IOException e) {
            finished = true;
            throw new UncheckedIOException(e);
        }
    }

    /** The next valid row. */
    @Override
    public CsvRow next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        CsvRow row = pending;
        pending = null;
        return row;
    }

    /**
     * Finds the next line (ending in \n, \r\n or the end of the input) and sets lineStart/lineEnd,
     * the terminator excluded.
     *
     * @return false at the end of the input
     */
    private boolean nextLine() throws IOException {
        int scan = pos;
        while (true) {
            for (int i = scan; i < limit; i++) {
                if (buf[i] == '\n') {
                    lineStart = pos;
                    lineEnd = i > pos && buf[i - 1] == '\r' ? i - 1 : i;
                    pos = i + 1;
                    return true;
                }
            }
            scan = limit;
            if (eof) {
                if (pos < limit) {
                    lineStart = pos;
                    lineEnd = buf[limit - 1] == '\r' ? limit - 1 : limit;
                    pos = limit;
                    return true;
                }
                return false;
            }
            if (pos > 0) { // keep the unfinished line, drop what was consumed
                System.arraycopy(buf, pos, buf, 0, limit - pos);
                scan -= pos;
                limit -= pos;
                pos = 0;
            }
            if (limit == buf.length) {
                buf = Arrays.copyOf(buf, buf.length * 2); // a line longer than the buffer
            }
            int n = reader.read(buf, limit, buf.length - limit);
            if (n < 0) {
                eof = true;
            } else {
                limit += n;
            }
        }
    }

    /** Number of fields parsed into {@link #scratch} by the last successful {@link #parseLine}. */
    private int lastCount;

    /** Splits the current line at commas into {@link #fieldStart}/{@link #fieldEnd}, trimmed; returns the count. */
    private int splitFields() {
        int c = 0;
        int start = lineStart;
        while (true) {
            int end = start;
            while (end < lineEnd && buf[end] != ',') {
                end++;
            }
            if (c == fieldStart.length) {
                fieldStart = Arrays.copyOf(fieldStart, 2 * c);
                fieldEnd = Arrays.copyOf(fieldEnd, 2 * c);
            }
            // trim spaces and control characters, as Double.parseDouble does
            int a = start;
            int b = end;
            while (a < b && buf[a] <= ' ') {
                a++;
            }
            while (b > a && buf[b - 1] <= ' ') {
                b--;
            }
            fieldStart[c] = a;
            fieldEnd[c] = b;
            c++;
            if (end >= lineEnd) {
                return c;
            }
            start = end + 1;
        }
    }

    /** Resolves the selection against the header (names) or this row's field count (numbers); fatal if it fails. */
    private void resolveSelection(int n) {
        try {
            selected = options.select().indices(header, n);
        } catch (IllegalArgumentException e) {
            finished = true;
            throw new CsvFormatException(line, CsvFormatException.Problem.NO_SUCH_COLUMN, 0,
                    "--columns " + options.select() + ": " + e.getMessage());
        }
        if (presetColumns && selected.length != columns) {
            finished = true;
            throw new CsvFormatException(line, CsvFormatException.Problem.WRONG_COLUMN_COUNT, 0, "--columns "
                    + options.select() + " selects " + selected.length + " columns, expected " + columns);
        }
    }

    /**
     * Parses the selected fields (all without a selection) of the current line, split into {@code n} fields, into
     * {@link #scratch}: null on success ({@link #lastCount} values), or the reason the row is bad, with
     * {@link #problem} and {@link #problemColumn}; {@link #notANumber} tells whether a non-empty field failed to
     * parse as a number.
     */
    private String parseLine(int n) {
        notANumber = false;
        problem = null;
        problemColumn = 0;
        String valueError = null;
        int count = selected == null ? n : selected.length;
        if (scratch.length < count) {
            scratch = Arrays.copyOf(scratch, Math.max(count, 2 * scratch.length));
        }
        for (int i = 0; i < count; i++) {
            int f = selected == null ? i : selected[i];
            if (f >= n) {
                break; // the row is too short: reported below
            }
            int a = fieldStart[f];
            int b = fieldEnd[f];
            int column = f + 1;
            if (a == b) {
                if (valueError == null) {
                    valueError = fail(CsvFormatException.Problem.EMPTY_VALUE, column, "column " + column + " is empty");
                }
                continue;
            }
            double v = parseNumber(buf, a, b - a);
            if (v != v && !isNaNLiteral(a, b)) { // not a number at all (NaN is the failure marker)
                notANumber = true;
                return fail(CsvFormatException.Problem.NOT_A_NUMBER, column,
                        "column " + column + ": '" + text(a, b) + "' is not a number");
            }
            if (valueError == null) {
                if (v != v) {
                    valueError = fail(CsvFormatException.Problem.NOT_FINITE, column,
                            "column " + column + ": '" + text(a, b) + "' is not a number (NaN)");
                } else if (Double.isInfinite(v)) {
                    valueError = fail(CsvFormatException.Problem.NOT_FINITE, column, "column " + column + ": '"
                            + text(a, b) + "'" + (text(a, b).contains("Infinity") ? " is not finite" : " overflows to infinity"));
                } else if (Math.abs(v) > options.maxAbs()) {
                    valueError = fail(CsvFormatException.Problem.OUT_OF_RANGE, column, "column " + column + ": '"
                            + text(a, b) + "' is out of range (|x| > " + options.maxAbs() + ")");
                }
            }
            scratch[i] = v;
        }
        int expected = selected != null ? fields : columns;
        if (expected > 0 && n != expected) {
            String reason = n + (n == 1 ? " column" : " columns") + ", expected " + expected
                    + (presetColumns && selected == null ? "" : " (as on line " + columnsLine + ")");
            notANumber = false;
            return fail(CsvFormatException.Problem.WRONG_COLUMN_COUNT, 0, reason);
        }
        if (valueError == null) {
            lastCount = count;
            if (fields == 0) {
                fields = n;
            }
        }
        return valueError;
    }

    private String fail(CsvFormatException.Problem p, int column, String reason) {
        problem = p;
        problemColumn = column;
        return reason;
    }

    /**
     * A Java floating-point literal, with the same syntax and the same (correctly rounded) result as
     * {@link Double#parseDouble}, but without its type suffixes ({@code 1d}, {@code 2F}); NaN when
     * the text is not a number. Uses Jackson's FastDoubleParser, about twice as fast as the JDK's.
     */
    private static double parseNumber(char[] chars, int offset, int length) {
        char last = chars[offset + length - 1];
        if (last == 'd' || last == 'D' || last == 'f' || last == 'F') {
            return Double.NaN;
        }
        try {
            return NumberInput.parseDouble(chars, offset, length, true);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    private boolean isNaNLiteral(int a, int b) {
        int i = a;
        if (buf[i] == '+' || buf[i] == '-') {
            i++;
        }
        return b - i == 3 && buf[i] == 'N' && buf[i + 1] == 'a' && buf[i + 2] == 'N';
    }

    private String text(int a, int b) {
        return b - a <= 40 ? new String(buf, a, b - a) : new String(buf, a, 37) + "...";
    }

    private static List<String> splitHeader(String text) {
        List<String> names = new ArrayList<>();
        for (String s : text.split(",", -1)) {
            names.add(s.trim());
        }
        return List.copyOf(names);
    }

    private boolean isBlank(int a, int b) {
        for (int i = a; i < b; i++) {
            if (buf[i] > ' ') {
                return false;
            }
        }
        return true;
    }

    /** Valid rows returned (or read ahead) so far. */
    public long rows() {
        return rows;
    }

    /** Bad rows skipped so far (always 0 unless {@link Options#skipBadRows()}). */
    public long badRows() {
        return badRows;
    }

    /** The first bad row skipped, or null. */
    public CsvFormatException firstBadRow() {
        return firstBadRow;
    }

    /** Blank lines ignored so far. */
    public long blankLines() {
        return blankLines;
    }

    /** Lines read so far (the line number of the last line read). */
    public long lines() {
        return line;
    }

    /** The header's field names (trimmed), or null if the file has no header (or none read yet). */
    public List<String> header() {
        return header;
    }

    /** The number of columns of every data row, or 0 while unknown. */
    public int columns() {
        return columns;
    }

    /** Bytes read from the file so far (compressed bytes for {@code .gz}; read-ahead included). */
    public long bytesRead() {
        return counter == null ? 0 : counter.count;
    }

    /** The options in force. */
    public Options options() {
        return options;
    }

    @Override
    public void close() throws IOException {
        finished = true;
        pending = null;
        buf = null;
        reader.close();
    }

    @Override
    public String toString() {
        return "CsvPoints[line=" + line + ", rows=" + rows + ", badRows=" + badRows + ", columns=" + columns
                + ", header=" + (header == null ? "none" : Arrays.toString(header.toArray())) + "]";
    }

    /** Counts the bytes that pass through. */
    private static final class CountingInputStream extends FilterInputStream {
        long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = in.read(buf, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long s = super.skip(n);
            count += s;
            return s;
        }
    }
}
