package dev.mixstream.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * Parses a {@link CsvPoints} on a thread of its own, up to {@link #BLOCKS_AHEAD} blocks of {@link #BLOCK_ROWS} rows
 * ahead of the caller, which takes the rows in file order: parsing on one core while the caller (learning) uses
 * another. What the caller sees is exactly what iterating the {@link CsvPoints} itself gives — the same rows in the
 * same order, the same exception at the same place — and once {@link #forEach} returns, the file's counters
 * ({@link CsvPoints#rows()}, {@link CsvPoints#badRows()}, …) are final and safe to read.
 */
public final class PrefetchedRows implements AutoCloseable {
    /** Rows handed over at a time. */
    static final int BLOCK_ROWS = 1024;
    /** Blocks parsed ahead of the caller, at most. */
    static final int BLOCKS_AHEAD = 8;

    /** A block of parsed rows; the last one of the file has {@code last} set, a failed read its failure. */
    private record Block(CsvRow[] rows, int count, long bytesRead, RuntimeException failure, boolean last) {
    }

    private final CsvPoints csv;
    private final BlockingQueue<Block> queue = new ArrayBlockingQueue<>(BLOCKS_AHEAD);
    private final Thread reader;

    private PrefetchedRows(CsvPoints csv) {
        this.csv = csv;
        this.reader = new Thread(this::parse, "mixstream-csv-reader");
        this.reader.setDaemon(true);
    }

    /** Starts parsing {@code csv} (which the caller still owns and closes). */
    public static PrefetchedRows start(CsvPoints csv) {
        PrefetchedRows rows = new PrefetchedRows(csv);
        rows.reader.start();
        return rows;
    }

    /**
     * Hands every row to {@code rows}, in file order, and the bytes read so far to {@code progress} after
     * each block.
     *
     * @throws CsvFormatException as iterating the file would, after the rows before the bad one
     * @throws IOException        if reading the file fails
     */
    public void forEach(Consumer<CsvRow> rows, LongConsumer progress) throws IOException {
        while (true) {
            Block block;
            try {
                block = queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while reading the input", e);
            }
            for (int i = 0; i < block.count(); i++) {
                rows.accept(block.rows()[i]);
            }
            progress.accept(block.bytesRead());
            if (block.failure() instanceof UncheckedIOException e) {
                throw e.getCause();
            }
            if (block.failure() != null) {
                throw block.failure();
            }
            if (block.last()) {
                joinReader();
                return;
            }
        }
    }

    private void parse() {
        try {
            while (true) {
                CsvRow[] rows = new CsvRow[BLOCK_ROWS];
                int n = 0;
                RuntimeException failure = null;
                boolean last = false;
                try {
                    while (n < BLOCK_ROWS && !last) {
                        last = !csv.hasNext();
                        if (!last) {
                            rows[n++] = csv.next();
                        }
                    }
                } catch (CsvFormatException | UncheckedIOException e) {
                    failure = e;
                }
                queue.put(new Block(rows, n, csv.bytesRead(), failure, last || failure != null));
                if (last || failure != null) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            // closed before the end of the file: stop
        }
    }

    private void joinReader() throws IOException {
        try {
            reader.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading the input", e);
        }
    }

    /** Stops the reader if the caller gave up before the end of the file. */
    @Override
    public void close() {
        reader.interrupt();
        try {
            reader.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
