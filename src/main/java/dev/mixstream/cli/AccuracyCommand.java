package dev.mixstream.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.mixstream.bench.OnlineKSweep;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code accuracy}: the accuracy sweep of automatic K ({@link OnlineKSweep}), printed as the README's Accuracy table:
 * per case the seeds whose final K is the true K, those also within 0.01 nats per point of the true mixture's held-out
 * log-likelihood, the median and worst gap and the cost per point; then the lags after a cluster appears and vanishes.
 */
@Command(name = "accuracy", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false,
        descriptionHeading = "%n", optionListHeading = "%nOptions:%n",
        header = "Measure how well automatic K (mixstream.components=auto) finds and follows the number of clusters.",
        description = "Learns seeded synthetic streams online with automatic K (at most 12 components, full "
                + "covariances): true K of 1, 2, 3, 5 and 8 in 2 and 8 dimensions, well separated and overlapping "
                + "clusters (40 000 points in 2 dimensions, 80 000 in 8, no half-life), and streams where a cluster "
                + "appears and later one vanishes (half-life 5 000). Prints, per case, how many seeds end with the "
                + "true K and within 0.01 nats per point of the true mixture's held-out log-likelihood, and how many "
                + "half-lives K took to follow. Takes about 2 minutes on 2 cores at the default 20 seeds.")
public final class AccuracyCommand extends MixstreamCommand {
    @Option(names = "--seeds", defaultValue = "20", paramLabel = "N", description = "Seeds per case.")
    int seeds;

    @Option(names = "--threads", paramLabel = "N",
            description = "Streams learned at once (default: the number of processors).")
    Integer threads;

    @Option(names = "--json-out", paramLabel = "FILE", description = "Also write the results as JSON.")
    Path jsonOut;

    @Override
    protected int execute() throws Exception {
        if (seeds < 1) {
            throw usage("--seeds must be >= 1, got " + seeds);
        }
        int n = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (n < 1) {
            throw usage("--threads must be >= 1, got " + n);
        }
        if (jsonOut != null) {
            requireWritableTarget(jsonOut, "JSON output");
        }
        PrintWriter out = out();
        err().println("accuracy: " + seeds + " seeds per case on " + n + " threads ...");
        err().flush();
        long started = System.nanoTime();
        List<OnlineKSweep.StationaryCase> stationary = OnlineKSweep.stationarySweep(seeds, n);
        List<OnlineKSweep.ChangeCase> changes = OnlineKSweep.changeSweep(seeds, n);
        out.println("| D | clusters | true K | final K = true K | and held-out gap ≤ 0.01 | median gap | worst gap "
                + "| µs/point | target |");
        out.println("|---|---|---|---|---|---|---|---|---|");
        int met = 0;
        for (OnlineKSweep.StationaryCase c : stationary) {
            met += c.met() ? 1 : 0;
            out.printf(Locale.ROOT, "| %d | %s | %d | %d/%d | %d/%d | %.4f | %.4f | %.1f | %s |%n", c.dimension(),
                    c.separation().label(), c.trueK(), c.rightK(), seeds, c.right(), seeds, c.medianGap(),
                    c.worstGap(), c.microsPerPoint(), c.met() ? "met" : "missed: " + c.misses());
        }
        out.println();
        out.println("| D | appeared within 2 half-lives | worst lag | vanished within 2 half-lives | worst lag "
                + "| target |");
        out.println("|---|---|---|---|---|---|");
        int changesMet = 0;
        for (OnlineKSweep.ChangeCase c : changes) {
            changesMet += c.met() ? 1 : 0;
            out.printf(Locale.ROOT, "| %d | %d/%d | %.2f | %d/%d | %.2f | %s |%n", c.dimension(), c.appearedInTime(),
                    seeds, c.worstAppearLag(), c.vanishedInTime(), seeds, c.worstVanishLag(),
                    c.met() ? "met" : "missed");
        }
        out.println();
        out.printf(Locale.ROOT, "stationary cases meeting the target (>= 90%% of seeds): %d of %d; appear/vanish: %d "
                + "of %d; %.0f s%n", met, stationary.size(), changesMet, changes.size(),
                (System.nanoTime() - started) / 1e9);
        out.flush();
        if (jsonOut != null) {
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("generated", Instant.now().toString());
            report.put("seeds", seeds);
            report.put("stationary", stationary);
            report.put("appear_vanish", changes);
            Files.write(jsonOut, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsBytes(report));
            err().println("accuracy: results written to " + jsonOut);
        }
        return 0;
    }
}
