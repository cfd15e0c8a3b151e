package dev.mixstream.cli;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.mixstream.gmm.GaussianMixture;
import dev.mixstream.gmm.LogSumExp;
import dev.mixstream.gmm.OnlineMixture;
import dev.mixstream.io.ColumnSelection;
import dev.mixstream.io.CsvFormatException;
import dev.mixstream.io.CsvPoints;
import dev.mixstream.io.CsvRow;
import dev.mixstream.snapshot.SnapshotJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code mixstream score}: the log-likelihood of every point of a CSV file under a model snapshot.
 * Prints one JSON line {@code {"n":…,"avg_log_likelihood":…}} on stdout and optionally writes each
 * row's responsibilities to a CSV file.
 */
@Command(name = "score", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false,
        descriptionHeading = "%n", optionListHeading = "%nOptions:%n",
        footerHeading = "%n",
        header = "Score the points of a CSV file under a model snapshot.",
        description = {
            "Prints exactly one JSON line on stdout: {\"n\": <rows scored>, \"avg_log_likelihood\": "
                    + "<mean of log p(x) over those rows>}. The model is not changed.",
            "A row whose number of columns differs from the model's dimension is a bad row."},
        footer = {"Example:", "  mixstream score --model model.json --input points.csv \\",
            "      --responsibilities-out resp.csv"})
public final class ScoreCommand extends MixstreamCommand {

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL.json",
            description = "Model snapshot written by 'mixstream fit' (or taken from the snapshots topic).")
    Path model;

    @Option(names = {"-i", "--input"}, required = true, paramLabel = "FILE",
            description = "CSV file of points, one per row (.gz is decompressed).")
    Path input;

    @Option(names = {"-r", "--responsibilities-out"}, paramLabel = "OUT.csv",
            description = "Also write, per scored row: row (input line number), component (argmax), "
                    + "log_likelihood, r0..r{K-1}.")
    Path responsibilitiesOut;

    @Option(names = "--columns", paramLabel = "COLS", converter = ColumnsConverter.class,
            description = "The columns that hold the coordinates (as many as the model's dimension): 1-based "
                    + "numbers and ranges (1-4) or header names (x,y). Default: every column.")
    ColumnSelection columns;

    @Option(names = "--skip-bad-rows",
            description = "Skip (and count) malformed rows instead of stopping at the first one.")
    boolean skipBadRows;

    @Option(names = "--progress", negatable = true,
            description = "Show a progress bar on stderr (default: only for inputs of 4 MiB or more "
                    + "when stderr is a terminal).")
    Boolean progress;

    /** The JSON line printed on stdout. */
    record Result(@JsonProperty("n") long n, @JsonProperty("avg_log_likelihood") double avgLogLikelihood) {
    }

    @Override
    protected int execute() throws IOException {
        requireReadableFile(model, "model file");
        requireReadableFile(input, "input file");
        if (responsibilitiesOut != null) {
            requireWritableTarget(responsibilitiesOut, "responsibilities file");
        }
        GaussianMixture mixture = loadModel();
        CsvPoints.Options options = CsvPoints.Options.strict().withSkipBadRows(skipBadRows)
                .withColumns(mixture.dimension()).withMaxAbs(OnlineMixture.MAX_ABS_COORDINATE).withSelection(columns);
        long started = System.nanoTime();
        Totals totals = scoreRows(mixture, options);
        long n = totals.rows();
        long bad = totals.bad();
        double total = totals.logLikelihood();
        if (n == 0) {
            throw new CliException("no valid rows in " + input
                    + (bad > 0 ? " (" + plural(bad, "bad row") + " skipped)" : ""));
        }
        double avg = total / n; // mean of log p(x), summed in row order
        out().println(SnapshotJson.mapper().writeValueAsString(new Result(n, avg)));
        out().flush();
        double seconds = (System.nanoTime() - started) / 1e9;
        err().println("score: " + plural(n, "row") + ", " + plural(bad, "bad row") + " skipped, "
                + String.format(Locale.ROOT, "%.2f", seconds) + " s, avg log-likelihood " + format(avg)
                + (responsibilitiesOut != null ? "; responsibilities written to " + responsibilitiesOut : ""));
        err().flush();
        return 0;
    }

    /** The model snapshot as a mixture, or one line saying why it cannot be used. */
    private GaussianMixture loadModel() throws IOException {
        try {
            return SnapshotJson.read(model).toMixture();
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new CliException("cannot use model " + model + ": " + firstLine(e.getMessage()));
        }
    }

    /** Rows scored, bad rows skipped, and the sum of the rows' log p(x), in row order. */
    private record Totals(long rows, long bad, double logLikelihood) {
    }

    /** Scores every row (and writes its line to the responsibilities file, if asked). */
    private Totals scoreRows(GaussianMixture mixture, CsvPoints.Options options) throws IOException {
        int k = mixture.components();
        double total = 0;
        double[] responsibilities = new double[k];
        StringBuilder line = new StringBuilder(32 * (k + 3));
        try (CsvPoints csv = CsvPoints.open(input, options);
             Writer out = responsibilitiesOut == null ? null
                     : new BufferedWriter(Files.newBufferedWriter(responsibilitiesOut, StandardCharsets.UTF_8),
                     1 << 16);
             Progress bar = Progress.start("score", Files.size(input), progress)) {
            if (out != null) {
                line.append("row,component,log_likelihood");
                for (int c = 0; c < k; c++) {
                    line.append(",r").append(c);
                }
                out.append(line).append('\n');
            }
            long count = 0;
            while (csv.hasNext()) {
                CsvRow row = csv.next();
                double ll = mixture.score(row.values(), responsibilities);
                total += ll;
                if (out != null) {
                    line.setLength(0);
                    line.append(row.line()).append(',').append(LogSumExp.argmax(responsibilities, k)).append(',').append(ll);
                    for (int c = 0; c < k; c++) {
                        line.append(',').append(responsibilities[c]);
                    }
                    out.append(line).append('\n');
                }
                if ((++count & 0xFFF) == 0) {
                    bar.update(csv.bytesRead());
                }
            }
            if (csv.badRows() > 0) {
                err().println("warning: skipped " + plural(csv.badRows(), "bad row") + " of " + input
                        + " (first: " + csv.firstBadRow().getMessage() + ")");
            }
            return new Totals(csv.rows(), csv.badRows(), total);
        } catch (CsvFormatException e) {
            throw new CliException(describe(input, e, columns != null)
                    + (e.problem() == CsvFormatException.Problem.WRONG_COLUMN_COUNT && columns == null
                    ? " (the model's dimension)" : ""));
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "malformed snapshot";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
