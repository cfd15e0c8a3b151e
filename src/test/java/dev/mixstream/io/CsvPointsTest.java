package dev.mixstream.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CsvPointsTest {

    private static List<CsvRow> readAll(CsvPoints csv) {
        List<CsvRow> rows = new ArrayList<>();
        while (csv.hasNext()) {
            rows.add(csv.next());
        }
        return rows;
    }

    private static CsvPoints csv(String text, CsvPoints.Options options) {
        return CsvPoints.of(new StringReader(text), options);
    }

    private static CsvPoints strict(String text) {
        return csv(text, CsvPoints.Options.strict());
    }

    @Test
    void firstLineThatIsNotNumbersIsAHeader() {
        CsvPoints csv = strict("x, y\n1,2\n3.5,-4e-3\n");
        List<CsvRow> rows = readAll(csv);
        assertEquals(2, rows.size());
        assertEquals(2, rows.get(0).line());
        assertArrayEquals(new double[] {1, 2}, rows.get(0).values());
        assertEquals(3, rows.get(1).line());
        assertArrayEquals(new double[] {3.5, -4e-3}, rows.get(1).values());
        assertEquals(List.of("x", "y"), csv.header());
        assertEquals(2, csv.columns());
    }

    @Test
    void firstLineOfNumbersIsData() {
        CsvPoints csv = strict("1,2\n3,4");
        List<CsvRow> rows = readAll(csv);
        assertEquals(2, rows.size());
        assertEquals(1, rows.get(0).line());
        assertEquals(2, rows.get(1).line());
        assertArrayEquals(new double[] {3, 4}, rows.get(1).values());
        assertNull(csv.header());
    }

    @Test
    void onlyTheFirstLineCanBeAHeader() {
        CsvFormatException e = assertThrows(CsvFormatException.class, () -> readAll(strict("1,2\nx,y\n")));
        assertEquals(2, e.line());
        assertTrue(e.getMessage().startsWith("line 2: column 1: 'x' is not a number"), e.getMessage());
    }

    @Test
    void blankLinesAreIgnoredAndCountedButKeepLineNumbers() {
        CsvPoints csv = strict("\n   \nx,y\n\n1,2\r\n \t \r\n3,4\n\n");
        List<CsvRow> rows = readAll(csv);
        assertEquals(2, rows.size());
        assertEquals(5, rows.get(0).line());
        assertEquals(7, rows.get(1).line());
        assertEquals(List.of("x", "y"), csv.header());
        assertEquals(5, csv.blankLines());
        assertEquals(8, csv.lines());
    }

    @Test
    void crlfByteOrderMarkSpacesAndNoFinalNewline() {
        CsvPoints csv = strict("\uFEFFa,b\r\n 1 , 2\r\n3,\t4");
        List<CsvRow> rows = readAll(csv);
        assertEquals(List.of("a", "b"), csv.header());
        assertArrayEquals(new double[] {1, 2}, rows.get(0).values());
        assertArrayEquals(new double[] {3, 4}, rows.get(1).values());
        assertEquals(3, rows.get(1).line());
    }

    @Test
    void fileWithOnlyAHeaderHasNoRows() {
        CsvPoints csv = strict("x,y,z\n\n");
        assertFalse(csv.hasNext());
        assertEquals(0, csv.rows());
        assertEquals(List.of("x", "y", "z"), csv.header());
        assertEquals(0, csv.columns());
        assertFalse(strict("").hasNext());
    }

    private static CsvFormatException badAt(String text) {
        return assertThrows(CsvFormatException.class, () -> readAll(strict(text)));
    }

    @Test
    void wrongColumnCountNamesLineAndCounts() {
        CsvFormatException e = badAt("x,y\n1,2\n\n3,4,5\n");
        assertEquals(4, e.line());
        assertEquals("line 4: 3 columns, expected 2 (as on line 2)", e.getMessage());
        e = badAt("1,2\n3\n");
        assertEquals("line 2: 1 column, expected 2 (as on line 1)", e.getMessage());
    }

    @Test
    void notANumberNamesLineAndColumn() {
        CsvFormatException e = badAt("x,y\n1,2\n3,abc\n");
        assertEquals(3, e.line());
        assertEquals("column 2: 'abc' is not a number", e.reason());
        assertEquals(3, badAt("1,2\n3,4\n1d,2\n").line()); // Java type suffixes are refused
        assertEquals(2, badAt("1,2\n0x,2\n").line());
    }

    @Test
    void emptyFieldIsBad() {
        CsvFormatException e = badAt("1,2\n3,\n");
        assertEquals(2, e.line());
        assertEquals("column 2 is empty", e.reason());
        // an empty field does not make the first line a header
        e = badAt("1,,3\n");
        assertEquals(1, e.line());
        assertEquals("column 2 is empty", e.reason());
    }

    @Test
    void nanInfinityAndOverflowAreBad() {
        CsvFormatException e = badAt("a,b\n1,2\n3,NaN\n");
        assertEquals(3, e.line());
        assertEquals("column 2: 'NaN' is not a number (NaN)", e.reason());
        e = badAt("1,2\n3,4\n5,6\n-Infinity,1\n");
        assertEquals(4, e.line());
        assertEquals("column 1: '-Infinity' is not finite", e.reason());
        e = badAt("1,2\n1e400,1\n");
        assertEquals(2, e.line());
        assertEquals("column 1: '1e400' overflows to infinity", e.reason());
        // the first data line is data even when a value is NaN: it is a bad row, not a header
        assertEquals(1, badAt("NaN,2\n1,2\n").line());
    }

    @Test
    void valuesBeyondMaxAbsAreBad() {
        CsvPoints csv = csv("1,2\n1e101,2\n", CsvPoints.Options.strict().withMaxAbs(1e100));
        CsvFormatException e = assertThrows(CsvFormatException.class, () -> readAll(csv));
        assertEquals(2, e.line());
        assertTrue(e.reason().contains("out of range"), e.reason());
        assertEquals(2, readAll(strict("1,2\n1e101,2\n")).size());
    }

    @Test
    void presetColumnCount() {
        CsvPoints.Options three = CsvPoints.Options.strict().withColumns(3);
        CsvFormatException e = assertThrows(CsvFormatException.class, () -> readAll(csv("x,y\n1,2\n", three)));
        assertEquals(2, e.line());
        assertEquals("2 columns, expected 3", e.reason());
        assertEquals(1, readAll(csv("1,2,3\n", three)).size());
    }

    @Test
    void skipBadRowsCountsThemAndKeepsTheGoodOnes() {
        String text = "x,y\n1,2\nfoo,1\n3,4\n5,6,7\n\n8,NaN\n9,10\n11,\n";
        CsvPoints csv = csv(text, CsvPoints.Options.strict().withSkipBadRows(true));
        List<CsvRow> rows = readAll(csv);
        assertEquals(List.of(2L, 4L, 8L), rows.stream().map(CsvRow::line).toList());
        assertArrayEquals(new double[] {9, 10}, rows.get(2).values());
        assertEquals(3, csv.rows());
        assertEquals(4, csv.badRows());
        assertEquals(3, csv.firstBadRow().line());
        assertEquals(1, csv.blankLines());
    }

    @Test
    void columnCountComesFromTheFirstValidRowWhenSkipping() {
        CsvPoints csv = csv("1,NaN,3\n1,2\n1,2,3\n3,4\n", CsvPoints.Options.strict().withSkipBadRows(true));
        List<CsvRow> rows = readAll(csv);
        assertEquals(List.of(2L, 4L), rows.stream().map(CsvRow::line).toList());
        assertEquals(2, csv.badRows());
    }

    @Test
    void parsesExactlyLikeDoubleParseDouble() {
        SplittableRandom rng = new SplittableRandom(3);
        StringBuilder text = new StringBuilder();
        List<String> fields = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            double v = switch (i % 5) {
                case 0 -> rng.nextGaussian() * 10;
                case 1 -> Double.longBitsToDouble(rng.nextLong() & 0x7FEF_FFFF_FFFF_FFFFL); // any finite
                case 2 -> rng.nextDouble() * 1e-310; // subnormal
                case 3 -> Math.rint(rng.nextDouble() * 1e6);
                default -> rng.nextDouble();
            };
            String s = switch (i % 4) {
                case 0 -> Double.toString(v);
                case 1 -> String.format(Locale.ROOT, "%.20e", v);
                case 2 -> String.format(Locale.ROOT, "%.3f", v);
                default -> randomDigits(rng);
            };
            fields.add(s);
        }
        for (int i = 0; i < fields.size(); i += 2) {
            text.append(fields.get(i)).append(',').append(fields.get(i + 1)).append('\n');
        }
        List<CsvRow> rows = readAll(strict(text.toString()));
        assertEquals(fields.size() / 2, rows.size());
        for (int i = 0; i < rows.size(); i++) {
            for (int j = 0; j < 2; j++) {
                double expected = Double.parseDouble(fields.get(2 * i + j));
                assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(rows.get(i).values()[j]),
                        fields.get(2 * i + j));
            }
        }
    }

    private static String randomDigits(SplittableRandom rng) {
        StringBuilder s = new StringBuilder();
        if (rng.nextBoolean()) {
            s.append('-');
        }
        int n = 1 + rng.nextInt(25);
        for (int i = 0; i < n; i++) {
            s.append((char) ('0' + rng.nextInt(10)));
        }
        s.append('.');
        for (int i = rng.nextInt(25); i > 0; i--) {
            s.append((char) ('0' + rng.nextInt(10)));
        }
        if (rng.nextBoolean()) {
            s.append('e').append(rng.nextInt(-340, 280));
        }
        return s.toString();
    }

    @Test
    void linesLongerThanTheBuffer() {
        int d = 20_000;
        StringBuilder text = new StringBuilder();
        for (int r = 0; r < 3; r++) {
            for (int i = 0; i < d; i++) {
                text.append(i == 0 ? "" : ",").append(r * d + i).append(".25");
            }
            text.append('\n');
        }
        List<CsvRow> rows = readAll(strict(text.toString()));
        assertEquals(3, rows.size());
        assertEquals(d, rows.get(2).values().length);
        assertEquals(2.0 * d + d - 1 + 0.25, rows.get(2).values()[d - 1]);
    }

    @Test
    void readsFilesAndGzipAndCountsBytes(@TempDir Path dir) throws IOException {
        String text = "x,y\n1,2\n3,4\n";
        Path plain = dir.resolve("p.csv");
        Files.writeString(plain, text);
        Path gz = dir.resolve("p.csv.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        for (Path p : List.of(plain, gz)) {
            try (CsvPoints csv = CsvPoints.open(p, false)) {
                List<CsvRow> rows = readAll(csv);
                assertEquals(2, rows.size());
                assertArrayEquals(new double[] {3, 4}, rows.get(1).values());
                assertEquals(Files.size(p), csv.bytesRead());
            }
        }
    }
}
