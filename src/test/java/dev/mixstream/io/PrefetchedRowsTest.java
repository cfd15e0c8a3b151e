package dev.mixstream.io;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Rows parsed on the reader thread arrive exactly as iterating the file gives them, failures included. */
class PrefetchedRowsTest {

    /** n rows of 3 numbers; row i (1-based line i + 1 after the header) is i, i/7, −i. Bad rows where asked. */
    private static String csv(int n, int... badAt) {
        StringBuilder b = new StringBuilder("a,b,c\n");
        for (int i = 0; i < n; i++) {
            final int row = i;
            if (Arrays.stream(badAt).anyMatch(x -> x == row)) {
                b.append(i).append(",oops,1\n");
            } else {
                b.append(i).append(',').append(i / 7.0).append(',').append(-i).append('\n');
            }
        }
        return b.toString();
    }

    private static List<String> iterated(String text, CsvPoints.Options options) {
        List<String> rows = new ArrayList<>();
        CsvPoints csv = CsvPoints.of(new StringReader(text), options);
        while (csv.hasNext()) {
            CsvRow r = csv.next();
            rows.add(r.line() + Arrays.toString(r.values()));
        }
        return rows;
    }

    @Test
    void manyBlocksArriveInFileOrderWithTheFilesCounters() throws IOException {
        int n = PrefetchedRows.BLOCK_ROWS * (PrefetchedRows.BLOCKS_AHEAD + 3) + 17;
        String text = csv(n, 5, 3_000, n - 1);
        CsvPoints.Options options = CsvPoints.Options.strict().withSkipBadRows(true);
        List<String> got = new ArrayList<>();
        AtomicLong lastProgress = new AtomicLong();
        CsvPoints csv = CsvPoints.of(new StringReader(text), options);
        try (PrefetchedRows rows = PrefetchedRows.start(csv)) {
            rows.forEach(r -> got.add(r.line() + Arrays.toString(r.values())), bytes -> {
                assertTrue(bytes >= lastProgress.get(), "progress never goes back");
                lastProgress.set(bytes);
            });
        }
        assertEquals(iterated(text, options), got);
        assertEquals(n - 3, got.size());
        assertEquals(n - 3, csv.rows());
        assertEquals(3, csv.badRows());
        assertEquals(csv.bytesRead(), lastProgress.get());
    }

    @Test
    void aBadRowFailsAfterTheRowsBeforeIt() {
        String text = csv(5_000, 2_500);
        List<double[]> got = new ArrayList<>();
        CsvPoints csv = CsvPoints.of(new StringReader(text), CsvPoints.Options.strict());
        CsvFormatException e;
        try (PrefetchedRows rows = PrefetchedRows.start(csv)) {
            e = assertThrows(CsvFormatException.class, () -> rows.forEach(r -> got.add(r.values()), b -> { }));
        }
        assertEquals(2_500, got.size(), "every row before the bad one");
        assertArrayEquals(new double[]{2_499, 2_499 / 7.0, -2_499}, got.get(got.size() - 1));
        CsvPoints plain = CsvPoints.of(new StringReader(text), CsvPoints.Options.strict());
        CsvFormatException expected = assertThrows(CsvFormatException.class, () -> {
            while (plain.hasNext()) {
                plain.next();
            }
        });
        assertEquals(expected.getMessage(), e.getMessage());
    }

    @Test
    void aFailingConsumerStopsTheReader() {
        CsvPoints csv = CsvPoints.of(new StringReader(csv(50_000)), CsvPoints.Options.strict());
        PrefetchedRows rows = PrefetchedRows.start(csv);
        IllegalStateException stop = new IllegalStateException("stop");
        long[] seen = {0};
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> rows.forEach(r -> {
            if (++seen[0] == 3_000) {
                throw stop;
            }
        }, b -> { }));
        assertSame(stop, e);
        rows.close(); // returns: the reader, blocked on a full queue, is stopped
        assertFalse(csv.rows() >= 50_000, "the reader stopped before the end: " + csv.rows());
    }
}
