package dev.mixstream.io;

/**
 * One data row of a CSV file of points.
 *
 * @param line   1-based line number of the row in the file (header and blank lines included)
 * @param values the row's coordinates; a fresh array owned by the caller
 */
public record CsvRow(long line, double[] values) {
}
