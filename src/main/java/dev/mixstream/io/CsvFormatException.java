package dev.mixstream.io;

/**
 * A data row of a CSV file of points that cannot be used: wrong number of columns, a value that is
 * not a number, or a value that is not finite or out of range; or a column selection the file does not
 * have. The message is {@code "line N: reason"}.
 */
public final class CsvFormatException extends RuntimeException {
    /** What is wrong. */
    public enum Problem {
        /** A row with another number of columns than the others (or than the model's dimension). */
        WRONG_COLUMN_COUNT,
        /** An empty value. */
        EMPTY_VALUE,
        /** A value that is not a number at all (e.g. a label such as {@code setosa}). */
        NOT_A_NUMBER,
        /** NaN, Infinity, or a number that overflows to infinity. */
        NOT_FINITE,
        /** A value beyond the allowed magnitude. */
        OUT_OF_RANGE,
        /** A selected column ({@link ColumnSelection}) that the file does not have. */
        NO_SUCH_COLUMN
    }

    private final long line;
    private final Problem problem;
    private final int column;
    private final String reason;

    /**
     * @param line    1-based line number of the bad row
     * @param problem what kind of problem
     * @param column  1-based column of the problem, or 0 when it is the whole row's
     * @param reason  what is wrong with it, e.g. {@code "column 3: 'abc' is not a number"}
     */
    public CsvFormatException(long line, Problem problem, int column, String reason) {
        super("line " + line + ": " + reason);
        this.line = line;
        this.problem = problem;
        this.column = column;
        this.reason = reason;
    }

    /** 1-based line number of the bad row. */
    public long line() {
        return line;
    }

    public Problem problem() {
        return problem;
    }

    /** 1-based column of the problem, or 0 when it is the whole row's. */
    public int column() {
        return column;
    }

    /** What is wrong with the row, without the line number. */
    public String reason() {
        return reason;
    }
}
