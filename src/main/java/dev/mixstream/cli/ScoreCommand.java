package dev.mixstream.cli;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.mixstream.gmm.AnomalyPolicy;
import dev.mixstream.gmm.FrozenMixture;
import dev.mixstream.gmm.GaussianMixture;
import dev.mixstream.gmm.OnlineMixture;
import dev.mixstream.gmm.PointScore;
import dev.mixstream.snapshot.MixtureSnapshot;
import dev.mixstream.io.ColumnSelection;
import dev.mixstream.io.CsvFormatException;
import dev.mixstream.io.CsvPoints;
import dev.mixstream.io.CsvRow;
import dev.mixstream.io.PrefetchedRows;
import dev.mixstream.snapshot.SnapshotJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code mixstream score}: the log-likelihood and anomaly score of every point of a CSV file under a model
 * snapshot, frozen (the engine's E-step and anomaly scoring, {@link FrozenMixture}). Prints one JSON line
 * {@code {"n":…,"avg_log_likelihood":…,"anomalies":…}} on stdout and optionally writes each row's
 * responsibilities and anomaly fields to a CSV file.
 */
@Command(name = "score", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false,
        descriptionHeading = "%n", optionListHeading = "%nOptions:%n",
        footerHeading = "%n",
        header = "Score the points of a CSV file under a model snapshot.",
        description = {
            "Prints exactly one JSON line on stdout: {\"n\": <rows scored>, \"avg_log_likelihood\": "
                    + "<mean of log p(x) over those rows>, \"anomalies\": <rows flagged>}. The model is not changed.",
            "Anomaly scores are computed as the stream computes them, from the model's own log-likelihood "
                    + "distribution (see the README's \"Anomaly detection\").",
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
                    + "log_likelihood, r0..r{K-1}, anomaly_score, anomaly (true/false), anomaly_features "
                    + "(flagged rows: up to 3 coordinate indices, ';'-separated).")
    Path responsibilitiesOut;

    @Option(names = "--anomaly-alpha", paramLabel = "A", showDefaultValue = picocli.CommandLine.Help.Visibility.NEVER,
            description = "Flag a row when its anomaly_score >= 1 - A. Default: the alpha in the snapshot's "
                    + "anomaly block (the stream's mixstream.anomaly.alpha), else 0.001.")
    Double anomalyAlpha;

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
    record Result(@JsonProperty("n") long n, @JsonProperty("avg_log_likelihood") double avgLogLikelihood,
                  @JsonProperty("anomalies") long anomalies) {
    }

    @Override
    protected int execute() throws IOException {
        requireReadableFile(model, "model file");
        requireReadableFile(input, "input file");
        if (responsibilitiesOut != null) {
            requireWritableTarget(responsibilitiesOut, "responsibilities file");
        }
        MixtureSnapshot snapshot = loadModel();
        FrozenMixture frozen = frozen(snapshot);
        GaussianMixture mixture = frozen.parameters();
        CsvPoints.Options options = CsvPoints.Options.strict().withSkipBadRows(skipBadRows)
                .withColumns(mixture.dimension()).withMaxAbs(OnlineMixture.MAX_ABS_COORDINATE).withSelection(columns);
        long started = System.nanoTime();
        Totals totals = scoreRows(frozen, options);
        long n = totals.rows();
        long bad = totals.bad();
        double total = totals.logLikelihood();
        if (n == 0) {
            throw new CliException("no valid rows in " + input
                    + (bad > 0 ? " (" + plural(bad, "bad row") + " skipped)" : ""));
        }
        double avg = total / n; // mean of log p(x), summed in row order
        out().println(SnapshotJson.mapper().writeValueAsString(new Result(n, avg, totals.anomalies())));
        out().flush();
        double seconds = (System.nanoTime() - started) / 1e9;
        err().println("score: " + plural(n, "row") + ", " + plural(bad, "bad row") + " skipped, "
                + seconds(seconds) + " s, avg log-likelihood " + format(avg) + ", "
                + plural(totals.anomalies(), "anomaly", "anomalies") + " at alpha " + frozen.policy().alpha()
                + (responsibilitiesOut != null ? "; responsibilities written to " + responsibilitiesOut : ""));
        err().flush();
        return 0;
    }

    /** The model frozen at α from --anomaly-alpha, else the snapshot's, else the default. */
    private FrozenMixture frozen(MixtureSnapshot snapshot) {
        if (anomalyAlpha != null && !(anomalyAlpha > 0 && anomalyAlpha < 1)) {
            throw usage("--anomaly-alpha must be in (0, 1), got " + anomalyAlpha);
        }
        return snapshot.frozen(anomalyAlpha);
    }

    /** The model snapshot, checked to make a mixture, or one line saying why it cannot be used. */
    private MixtureSnapshot loadModel() throws IOException {
        try {
            MixtureSnapshot s = SnapshotJson.read(model);
            s.toMixture();
            return s;
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new CliException("cannot use model " + model + ": " + firstLine(e.getMessage()));
        }
    }

    /** Rows scored, bad rows skipped, the sum of the rows' log p(x) in row order, and the rows flagged. */
    private record Totals(long rows, long bad, double logLikelihood, long anomalies) {
    }

    /** Scores every row (and writes its line to the responsibilities file, if asked). */
    private Totals scoreRows(FrozenMixture frozen, CsvPoints.Options options) throws IOException {
        int k = frozen.parameters().components();
        StringBuilder line = new StringBuilder(32 * (k + 6));
        try (CsvPoints csv = CsvPoints.open(input, options);
             Writer out = responsibilitiesOut == null ? null
                     : new BufferedWriter(Files.newBufferedWriter(responsibilitiesOut, StandardCharsets.UTF_8),
                     1 << 16);
             Progress bar = Progress.start("score", Files.size(input), progress)) {
            if (out != null) {
                line.append("row,component,log_likelihood");
                for (int c = 0; c < k; c++) {
                    line.append(",r").append(frozen.componentId(c)); // the column of each component, by its id
                }
                line.append(",anomaly_score,anomaly,anomaly_features");
                out.append(line).append('\n');
            }
            Sums sums = new Sums();
            try (PrefetchedRows rows = PrefetchedRows.start(csv)) { // parsing on one core, scoring on another
                rows.forEach(row -> writeRow(frozen.score(row.values()), row, sums, out, line, k), bar::update);
            } catch (UncheckedIOException e) {
                throw e.getCause(); // writing the responsibilities file failed
            }
            if (csv.badRows() > 0) {
                err().println("warning: skipped " + plural(csv.badRows(), "bad row") + " of " + input
                        + " (first: " + csv.firstBadRow().getMessage() + ")");
            }
            return new Totals(csv.rows(), csv.badRows(), sums.logLikelihood, sums.anomalies);
        } catch (CsvFormatException e) {
            throw new CliException(describe(input, e, columns != null)
                    + (e.problem() == CsvFormatException.Problem.WRONG_COLUMN_COUNT && columns == null
                    ? " (the model's dimension)" : ""));
        }
    }

    /** Sums over the rows scored so far. */
    private static final class Sums {
        double logLikelihood;
        long anomalies;
    }

    /** Adds one scored row to the sums and, with a responsibilities file, writes its line. */
    private static void writeRow(PointScore s, CsvRow row, Sums sums, Writer out, StringBuilder line, int k) {
        sums.logLikelihood += s.logLikelihood();
        sums.anomalies += s.anomaly() ? 1 : 0;
        if (out == null) {
            return;
        }
        line.setLength(0);
        line.append(row.line()).append(',').append(s.componentIdOfAssignment()).append(',').append(s.logLikelihood());
        for (int c = 0; c < k; c++) {
            line.append(',').append(s.responsibilities()[c]);
        }
        line.append(',').append(s.anomalyScore()).append(',').append(s.anomaly()).append(',');
        for (int i = 0; i < s.anomalyFeatureCount(); i++) {
            line.append(i > 0 ? ";" : "").append(s.anomalyFeature(i));
        }
        try {
            out.append(line).append('\n');
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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
