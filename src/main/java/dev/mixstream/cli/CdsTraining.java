package dev.mixstream.cli;

import picocli.CommandLine;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The work the build records the class-data-sharing archive from ({@code target/mixstream.jsa}, made at
 * {@code package} time with {@code -XX:ArchiveClassesAtExit}; {@code bin/mixstream} starts the JVM with it): the
 * offline commands as a user runs them — {@code --version}, {@code --help}, {@code fit} online and batch with a
 * scores file, {@code score} — on a small CSV it writes to a temporary directory and removes. The classes they
 * load, mixstream's, picocli's, Jackson's, EJML's and the JDK's, are then mapped from the archive instead of being
 * loaded, verified and linked at every start. Prints nothing; fails (exit 1) if a command does.
 */
public final class CdsTraining {
    private CdsTraining() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Files.createTempDirectory("mixstream-cds");
        try {
            Path csv = dir.resolve("points.csv");
            writePoints(csv);
            String in = csv.toString();
            String model = dir.resolve("model.json").toString();
            run("--version");
            run("--help");
            run("fit", "--help");
            run("fit", "--input", in, "--components", "2", "--model-out", model,
                    "--scores-out", dir.resolve("scores.jsonl").toString());
            run("fit", "--input", in, "--components", "2", "--batch-em", "--model-out", dir.resolve("batch.json").toString());
            run("score", "--model", model, "--input", in, "--responsibilities-out", dir.resolve("r.csv").toString());
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                    try {
                        Files.delete(p);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            }
        }
    }

    private static void run(String... args) {
        PrintWriter quiet = new PrintWriter(OutputStream.nullOutputStream());
        CommandLine cli = MixstreamCli.commandLine(args).setOut(quiet).setErr(quiet);
        int code = cli.execute(args);
        if (code != 0) {
            System.err.println("class-data-sharing training: mixstream " + String.join(" ", args) + " exited " + code);
            System.exit(1);
        }
    }

    /** 3 000 rows of two 3-D clusters. */
    private static void writePoints(Path csv) throws IOException {
        SplittableRandom rng = new SplittableRandom(1);
        StringBuilder b = new StringBuilder("a,b,c\n");
        for (int i = 0; i < 3_000; i++) {
            double shift = i % 2 == 0 ? 0 : 6;
            b.append(String.format(Locale.ROOT, "%.6f,%.6f,%.6f%n", shift + rng.nextGaussian(), rng.nextGaussian(),
                    shift + rng.nextGaussian()));
        }
        Files.writeString(csv, b);
    }
}
