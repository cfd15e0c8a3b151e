package dev.mixstream.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Removal of temporary directory trees (a demo's or a benchmark's state, a broker's data). */
public final class DirectoryTree {
    private DirectoryTree() {
    }

    /**
     * Deletes the directory and everything below it, deepest first, as far as it can (best effort: what
     * cannot be deleted is left).
     *
     * @return true when nothing is left
     */
    public static boolean delete(Path dir) {
        if (!Files.exists(dir)) {
            return true;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    // left in place; reported by the return value
                }
            });
        } catch (IOException | UncheckedIOException e) {
            return false;
        }
        return !Files.exists(dir);
    }
}
