package dev.mixstream.cli;

import dev.mixstream.cli.CliTestSupport.Run;
import dev.mixstream.gmm.BatchEm;
import dev.mixstream.gmm.CovarianceType;
import dev.mixstream.gmm.GaussianMixture;
import dev.mixstream.gmm.InformationCriterion;
import dev.mixstream.gmm.MixtureConfig;
import dev.mixstream.gmm.OnlineMixture;
import dev.mixstream.gmm.ScoreSink;
import dev.mixstream.snapshot.MixtureSnapshot;
import dev.mixstream.snapshot.SnapshotConfig;
import dev.mixstream.snapshot.SnapshotJson;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.mixstream.cli.CliTestSupport.run;
import static dev.mixstream.cli.CliTestSupport.sample;
import static dev.mixstream.cli.CliTestSupport.writeCsv;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FitCommandTest {
    @TempDir
    static Path dir;
    static double[][] points;
    static Path csv;

    @BeforeAll
    static void data() throws IOException {
        points = sample(1500, 11);
        csv = writeCsv(dir.resolve("points.csv"), points);
    }

    private static MixtureSnapshot fit(String... extra) throws IOException {
        Path out = Files.createTempFile(dir, "model", ".json");
        List<String> args = new ArrayList<>(List.of("fit", "--input", csv.toString(), "--model-out", out.toString()));
        args.addAll(Arrays.asList(extra));
        Run r = run(args.toArray(new String[0]));
        assertEquals(0, r.code(), r::toString);
        assertEquals("", r.out(), "fit writes nothing on stdout");
        assertTrue(r.err().contains("fit: 1500 rows"), r::toString);
        return SnapshotJson.read(out);
    }

    private static OnlineMixture online(MixtureConfig config, int passes) {
        OnlineMixture m = new OnlineMixture(config);
        for (int p = 0; p < passes; p++) {
            for (double[] x : points) {
                m.learn(x, null, ScoreSink.IGNORE);
            }
        }
        return m;
    }

    /** Bit-identical parameters. */
    static void assertSameParameters(GaussianMixture expected, MixtureSnapshot actual) {
        assertEquals(expected.components(), actual.components());
        assertEquals(expected.dimension(), actual.dimension());
        assertArrayEquals(expected.weights(), actual.weights(), 0.0);
        for (int c = 0; c < expected.components(); c++) {
            assertArrayEquals(expected.mean(c), actual.means()[c], 0.0);
            for (int i = 0; i < expected.dimension(); i++) {
                assertArrayEquals(expected.covariance(c)[i], actual.covariances()[c][i], 0.0);
            }
        }
    }

    @Test
    void onlineFitEqualsTheEngineOverTheSamePoints() throws IOException {
        MixtureSnapshot s = fit("--components", "3", "--half-life", "500", "--seed", "7", "--covariance", "full");
        MixtureConfig config = MixtureConfig.defaults(3).withHalfLife(500).withSeed(7);
        OnlineMixture m = online(config, 1);
        assertSameParameters(m.parameters(), s);
        // the snapshot records the W in force: auto resolved for K = 3, D = 3 to max(100, 10·K·(D+1))
        assertEquals(config.withWarmup(120), s.config().toMixtureConfig());
        assertEquals(MixtureConfig.defaultWarmup(3, 3), s.config().warmup());
        assertEquals("online", s.config().method());
        assertEquals(1500, s.pointsSeen());
        assertEquals(m.effectiveCount(), s.nEff());
        assertEquals(m.avgLogLikelihood(), s.avgLogLikelihood());
    }

    /**
     * fit shows the stream settings' defaults without loading Kafka's configuration classes: the texts it takes
     * from the engine are those the stream's ConfigDef declares.
     */
    @Test
    void theOptionDefaultsAreTheStreamSettingsDefaults() {
        for (dev.mixstream.gmm.MixtureParameter p : dev.mixstream.gmm.MixtureParameter.values()) {
            String declared = dev.mixstream.streams.MixstreamConfig.defaultText(dev.mixstream.streams.MixstreamConfig.KEY_OF.get(p));
            assertEquals(declared, MixtureConfig.defaultText(p), p.paramName());
        }
        FitCommand.Defaults defaults = new FitCommand.Defaults();
        picocli.CommandLine.Model.CommandSpec spec = new picocli.CommandLine(new FitCommand()).getCommandSpec();
        assertEquals(dev.mixstream.streams.MixstreamConfig.defaultText(dev.mixstream.streams.MixstreamConfig.ANOMALY_ALPHA_CONFIG),
                defaults.defaultValue(spec.findOption("--anomaly-alpha")));
        assertEquals(dev.mixstream.streams.MixstreamConfig.defaultText(dev.mixstream.streams.MixstreamConfig.ANOMALY_LEARN_CONFIG),
                defaults.defaultValue(spec.findOption("--anomaly-learn")));
        assertEquals(dev.mixstream.streams.MixstreamConfig.defaultText(dev.mixstream.streams.MixstreamConfig.HALF_LIFE_CONFIG),
                defaults.defaultValue(spec.findOption("--half-life")));
    }

    @Test
    void unsetOptionsAreTheEngineDefaults() throws IOException {
        MixtureSnapshot s = fit("-k", "3");
        assertEquals(MixtureConfig.defaults(3).withWarmup(MixtureConfig.defaultWarmup(3, 3)), s.config().toMixtureConfig());
        assertSameParameters(online(MixtureConfig.defaults(3), 1).parameters(), s);
    }

    @Test
    void everyOnlineOptionReachesTheEngine() throws IOException {
        MixtureSnapshot s = fit("-k", "2", "--covariance", "diag", "--half-life", "none", "--step-exponent", "0.7",
                "--batch-size", "4", "--warmup", "300", "--init-iterations", "20", "--min-weight", "0.01",
                "--reg-covar", "1e-4", "--seed", "5");
        MixtureConfig config = new MixtureConfig(2, CovarianceType.DIAG, 1e-4, Double.POSITIVE_INFINITY, 0.7, 4, 300,
                20, 0.01, 5);
        assertEquals(config, s.config().toMixtureConfig());
        assertSameParameters(online(config, 1).parameters(), s);
    }

    @Test
    void twoPassesEqualTwoPassesOverThePoints() throws IOException {
        MixtureSnapshot s = fit("-k", "3", "--covariance", "spherical", "--passes", "2", "--batch-size", "3");
        MixtureConfig config = MixtureConfig.defaults(3, CovarianceType.SPHERICAL).withBatchSize(3);
        OnlineMixture twice = online(config, 2);
        assertSameParameters(twice.parameters(), s);
        assertEquals(3000, s.pointsSeen());
        OnlineMixture once = online(config, 1);
        assertNotEquals(Arrays.toString(once.parameters().weights()), Arrays.toString(s.weights()));
    }

    @Test
    void batchEmEqualsBatchEmFit() throws IOException {
        MixtureSnapshot s = fit("-k", "3", "--batch-em", "--n-init", "2", "--max-iter", "40", "--tol", "1e-4",
                "--seed", "9");
        MixtureConfig config = MixtureConfig.defaults(3).withSeed(9);
        BatchEm.Result r = BatchEm.fit(points, config, new BatchEm.Options(2, 40, 1e-4));
        assertSameParameters(r.mixture(), s);
        assertEquals(1500.0, s.nEff());
        assertEquals(1500, s.pointsSeen());
        assertEquals(r.meanLogLikelihood(), s.avgLogLikelihood());
        assertEquals(0, s.refits());
        assertEquals(SnapshotConfig.ofBatch(config, 2, 40, 1e-4), s.config());
    }

    @Test
    void shortFileIsInitialisedFromWhatThereIsWithANote() throws IOException {
        double[][] few = Arrays.copyOf(points, 40);
        Path small = writeCsv(dir.resolve("few.csv"), few);
        Path out = dir.resolve("few.json");
        Run r = run("fit", "-i", small.toString(), "-k", "3", "-o", out.toString());
        assertEquals(0, r.code(), r::toString);
        assertTrue(r.err().contains("note: the input ended during the warm-up (40 of 120 points)"), r::toString);
        OnlineMixture m = new OnlineMixture(MixtureConfig.defaults(3));
        for (double[] x : few) {
            m.learn(x, null, ScoreSink.IGNORE);
        }
        m.initialiseNow(ScoreSink.IGNORE);
        assertSameParameters(m.parameters(), SnapshotJson.read(out));

        // with --scores-out every row is still answered, by the model initialised from them
        Path scores = dir.resolve("few.jsonl");
        r = run("fit", "-i", small.toString(), "-k", "3", "-o", out.toString(), "--scores-out", scores.toString());
        assertEquals(0, r.code(), r::toString);
        assertTrue(r.err().contains("which are answered by it"), r::toString);
        List<String> lines = Files.readAllLines(scores);
        assertEquals(40, lines.size());
        for (int i = 0; i < 40; i++) {
            com.fasterxml.jackson.databind.JsonNode n = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(lines.get(i));
            assertEquals("default", n.get("model").asText());
            assertEquals(few[i][0], n.get("x").get(0).asDouble(), 0.0);
            assertEquals(40, n.get("model_version").asLong());
            assertTrue(n.has("anomaly_score") && n.has("anomaly"), lines.get(i));
        }
    }

    @Test
    void badRowStopsWithItsLineNumber() throws IOException {
        List<String> lines = new ArrayList<>(Files.readAllLines(csv));
        lines.set(6, lines.get(6).replaceFirst("^[^,]*", "oops")); // line 7
        Path bad = dir.resolve("bad.csv");
        Files.write(bad, lines);
        Path out = dir.resolve("bad.json");
        Run r = run("fit", "-i", bad.toString(), "-k", "3", "-o", out.toString());
        assertEquals(1, r.code(), r::toString);
        assertTrue(r.err().contains("line 7: column 1: 'oops' is not a number"), r::toString);
        assertEquals(1, r.err().strip().lines().count(), r::toString);
        assertFalse(r.err().contains("Exception"), r::toString);
        assertFalse(Files.exists(out));

        r = run("fit", "-i", bad.toString(), "-k", "3", "-o", out.toString(), "--skip-bad-rows");
        assertEquals(0, r.code(), r::toString);
        assertTrue(r.err().contains("skipped 1 bad row"), r::toString);
        assertTrue(r.err().contains("fit: 1499 rows, 1 bad row skipped"), r::toString);
        double[][] kept = new double[1499][];
        for (int i = 0, j = 0; i < points.length; i++) {
            if (i != 5) {
                kept[j++] = points[i];
            }
        }
        OnlineMixture m = new OnlineMixture(MixtureConfig.defaults(3));
        for (double[] x : kept) {
            m.learn(x, null, ScoreSink.IGNORE);
        }
        assertSameParameters(m.parameters(), SnapshotJson.read(out));
    }

    @Test
    void dataErrorsExitOne() throws IOException {
        Path out = dir.resolve("e.json");
        Run r = run("fit", "-i", dir.resolve("missing.csv").toString(), "-k", "3", "-o", out.toString());
        assertEquals(1, r.code(), r::toString);
        assertTrue(r.err().contains("input file not found"), r::toString);

        Path header = dir.resolve("header.csv");
        Files.writeString(header, "a,b,c\n\n");
        r = run("fit", "-i", header.toString(), "-k", "3", "-o", out.toString());
        assertEquals(1, r.code(), r::toString);
        assertTrue(r.err().contains("no valid rows"), r::toString);

        Path nan = dir.resolve("nan.csv");
        Files.writeString(nan, "1,2\n3,4\n5,NaN\n");
        r = run("fit", "-i", nan.toString(), "-k", "1", "-o", out.toString());
        assertEquals(1, r.code(), r::toString);
        assertTrue(r.err().contains("line 3: column 2: 'NaN'"), r::toString);

        Path huge = dir.resolve("huge.csv");
        Files.writeString(huge, "1,2\n3,4e200\n");
        r = run("fit", "-i", huge.toString(), "-k", "1", "-o", out.toString());
        assertEquals(1, r.code(), r::toString);
        assertTrue(r.err().contains("line 2: column 2: '4e200' is out of range"), r::toString);

        r = run("fit", "-i", csv.toString(), "-k", "3", "-o", dir.resolve("no/such/dir/m.json").toString());
        assertEquals(1, r.code(), r::toString);
        assertFalse(r.err().contains("Exception"), r::toString);
    }

    /** --components auto: every K from 1 to N by batch EM, the table on stderr, BIC's choice in the snapshot. */
    @Test
    void componentsAutoChoosesKByTheCriterionAndRecordsIt() throws IOException {
        Path out = dir.resolve("auto.json");
        Run r = run("fit", "-i", csv.toString(), "-o", out.toString(), "--components", "auto", "--batch-em",
                "--max-components", "5", "--seed", "3");
        assertEquals(0, r.code(), r::toString);
        MixtureSnapshot s = SnapshotJson.read(out);
        assertEquals(3, s.components(), "the data have three clusters: " + r.err());
        assertEquals("bic", s.config().criterion());
        assertEquals(5, s.config().maxComponents());
        String[] lines = r.err().split("\n");
        assertTrue(lines[0].matches("\\s+K\\s+log-likelihood\\s+parameters\\s+BIC"), lines[0]);
        for (int k = 1; k <= 5; k++) {
            assertTrue(lines[k].trim().startsWith(k + " "), lines[k]);
        }
        assertTrue(lines[3].endsWith("<- chosen"), lines[3]);
        // the chosen K's fit is the plain batch fit with that K, and its BIC is the one recorded
        MixtureSnapshot plain = fit("--components", "3", "--batch-em", "--seed", "3");
        assertTrue(Arrays.deepEquals(plain.means(), s.means()));
        assertEquals(InformationCriterion.BIC.value(s.avgLogLikelihood(), points.length,
                InformationCriterion.parameters(3, 3, CovarianceType.FULL)), s.config().criterionValue());
        Run aic = run("fit", "-i", csv.toString(), "-o", dir.resolve("aic.json").toString(), "-k", "auto",
                "--batch-em", "--max-components", "4", "--criterion", "aic");
        assertEquals(0, aic.code(), aic::toString);
        assertTrue(aic.err().contains(" AIC"), aic::toString);
        assertEquals("aic", SnapshotJson.read(dir.resolve("aic.json")).config().criterion());
        assertEquals(null, plain.config().criterion(), "a fixed K records no criterion");
    }

    /**
     * --components auto online: the model chooses its K (the engine's automatic K, bit-identical), the snapshot records
     * its component ids and the configuration (criterion held_out, max_components), the summary says what K did, and
     * each scores record carries the ids.
     */
    @Test
    void componentsAutoOnlineLetsTheModelChooseItsK() throws IOException {
        Path out = dir.resolve("online-auto.json");
        Path scores = dir.resolve("online-auto.jsonl");
        Run r = run("fit", "-i", csv.toString(), "-o", out.toString(), "-k", "auto", "--max-components", "6",
                "--seed", "3", "--scores-out", scores.toString());
        assertEquals(0, r.code(), r::toString);
        assertTrue(r.err().contains("K=3 (auto, at most 6; "), r::toString);
        MixtureSnapshot s = SnapshotJson.read(out);
        assertEquals(3, s.components());
        assertEquals(SnapshotConfig.HELD_OUT, s.config().criterion());
        assertEquals(6, s.config().maxComponents());
        assertEquals(3, s.config().nComponents(), "the K the model has");
        MixtureConfig config = MixtureConfig.defaults(1).withSeed(3).withAutomaticComponents(6);
        assertEquals(config.withWarmup(s.config().warmup()), s.config().toMixtureConfig(), "auto again when read back");
        OnlineMixture engine = online(config, 1);
        assertArrayEquals(engine.componentIds(), s.componentIds());
        assertTrue(Arrays.deepEquals(MixtureSnapshot.of(engine).means(), s.means()), "the engine's own model");
        List<String> lines = Files.readAllLines(scores);
        assertEquals(points.length, lines.size());
        for (String line : lines) {
            com.fasterxml.jackson.databind.JsonNode record = SnapshotJson.mapper().readTree(line);
            com.fasterxml.jackson.databind.JsonNode ids = record.get("component_ids");
            assertEquals(record.get("responsibilities").size(), ids.size(), line);
            boolean found = false;
            for (com.fasterxml.jackson.databind.JsonNode id : ids) {
                found |= id.asInt() == record.get("component").asInt();
            }
            assertTrue(found, "component is one of the ids: " + line);
        }
    }

    @Test
    void usageErrorsExitTwo() {
        String in = csv.toString();
        String out = dir.resolve("u.json").toString();
        String[][] cases = {
            {"fit", "-i", in, "-o", out},                                       // missing --components
            {"fit", "-i", in, "-k", "3"},                                       // missing --model-out
            {"fit", "-i", in, "-k", "0", "-o", out},
            {"fit", "-i", in, "-k", "3", "-o", out, "--covariance", "tied"},
            {"fit", "-i", in, "-k", "3", "-o", out, "--step-exponent", "2"},
            {"fit", "-i", in, "-k", "3", "-o", out, "--half-life", "soon"},
            {"fit", "-i", in, "-k", "3", "-o", out, "--warmup", "2"},
            {"fit", "-i", in, "-k", "3", "-o", out, "--passes", "0"},
            {"fit", "-i", in, "-k", "3", "-o", out, "--n-init", "3"},           // needs --batch-em
            {"fit", "-i", in, "-k", "3", "-o", out, "--batch-em", "--passes", "2"},
            {"fit", "-i", in, "-k", "3", "-o", out, "--batch-em", "--max-iter", "0"},
            {"fit", "-i", in, "-k", "3", "-o", out, "--no-such-option"},
            {"fit", "-i", in, "-k", "3", "-o", out, "--scores-out", out + "l", "--passes", "2"},
            {"fit", "-i", in, "-k", "3", "-o", out, "--scores-out", out + "l", "--batch-em"},
            {"fit", "-i", in, "-k", "3", "-o", out, "--scores-out", out},         // the model file itself
            {"fit", "-i", in, "-k", "3", "-o", out, "--model-id", "m"},           // needs --scores-out
            {"fit", "-i", in, "-k", "3", "-o", out, "--anomaly-alpha", "1"},
            {"fit", "-i", in, "-k", "3", "-o", out, "--batch-em", "--no-anomaly-learn"},
            {"fit", "-i", in, "-k", "auto", "-o", out, "--criterion", "bic"},     // --criterion needs --batch-em
            {"fit", "-i", in, "-k", "auto", "-o", out, "--max-components", "0"},
            {"fit", "-i", in, "-k", "-2", "-o", out},
            {"fit", "-i", in, "-k", "3", "-o", out, "--batch-em", "--max-components", "4"},
            {"fit", "-i", in, "-k", "3", "-o", out, "--batch-em", "--criterion", "aic"},
            {"fit", "-i", in, "-k", "auto", "-o", out, "--batch-em", "--criterion", "hqic"},
            {"fit", "-i", in, "-k", "auto", "-o", out, "--batch-em", "--max-components", "0"},
        };
        for (String[] args : cases) {
            Run r = run(args);
            assertEquals(2, r.code(), () -> String.join(" ", args) + "\n" + r);
            assertFalse(r.err().isBlank(), r::toString);
            assertFalse(r.err().contains("\tat "), r::toString);
        }
        Run r = run("fit", "-i", in, "-k", "3", "-o", out, "--step-exponent", "2");
        assertTrue(r.err().startsWith("--step-exponent must be in (0.5, 1], got 2.0"), r::toString);
        // W = 20 is more than K = 3 but below the safe minimum 2·K·(D+1) = 24 for these D = 3 points
        r = run("fit", "-i", in, "-k", "3", "-o", out, "--warmup", "20");
        assertEquals(2, r.code(), r::toString);
        assertTrue(r.err().startsWith("--warmup 20 is below the safe minimum for K=3 full at D=3: 24 points"), r::toString);
        assertEquals(0, run("fit", "-i", in, "-k", "3", "-o", out, "--warmup", "24").code(), "the minimum itself is fine");
        r = run("fit", "-i", in, "-k", "3", "-o", out, "--scores-out", out + "l", "--passes", "2");
        assertTrue(r.err().startsWith("--scores-out replays the stream, which sees every point once"), r::toString);
    }
}
