package dev.mixstream.io;

/**
 * A data row of a CSV file of points that cannot be used: wrong number of columns, a value that is
 * not a number, or a value that is not finite or out of range. The message is
 * {@code "line N: reason"}.
 */
public final class CsvFormatException extends RuntimeException {
    private final long line;
    private final String reason;

    /**
     * @param line   1-based line number of the bad row
     * @param reason what is wrong with it, e.g. {@code "column 3: 'abc' is not a number"}
     */
    public CsvFormatException(long line, String reason) {
        super("line " + line + ": " + reason);
        this.line = line;
        this.reason = reason;
    }

    /** 1-based line number of the bad row. */
    public long line() {
        return line;
    }

    /** What is wrong with the row, without the line number. */
    public String reason() {
        return reason;
    }
}
