package dev.mixstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixstream.cli.CliTestSupport.Run;
import dev.mixstream.gmm.AnomalyPolicy;
import dev.mixstream.gmm.FrozenMixture;
import dev.mixstream.gmm.GaussianMixture;
import dev.mixstream.gmm.PointScore;
import dev.mixstream.snapshot.SnapshotJson;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.mixstream.cli.CliTestSupport.run;
import static dev.mixstream.cli.CliTestSupport.sample;
import static dev.mixstream.cli.CliTestSupport.writeCsv;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScoreCommandTest {
    @TempDir
    static Path dir;
    static Path model;
    static GaussianMixture mixture;
    static double[][] points;
    static Path csv;

    @BeforeAll
    static void fitModel() throws IOException {
        Path train = writeCsv(dir.resolve("train.csv"), sample(1000, 21));
        model = dir.resolve("model.json");
        Run r = run("fit", "-i", train.toString(), "-k", "3", "-o", model.toString());
        assertEquals(0, r.code(), r::toString);
        mixture = SnapshotJson.read(model).toMixture();
        points = sample(700, 22);
        csv = writeCsv(dir.resolve("test.csv"), points);
    }

    @Test
    void printsOneJsonLineWithTheMeanLogLikelihood() throws IOException {
        Run r = run("score", "--model", model.toString(), "--input", csv.toString());
        assertEquals(0, r.code(), r::toString);
        assertTrue(r.out().endsWith("\n"), r::toString);
        assertEquals(1, r.out().lines().count(), r::toString);
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertEquals(3, json.size(), r::toString);
        assertEquals(700, json.get("n").asLong());
        FrozenMixture frozen = new FrozenMixture(mixture, new AnomalyPolicy(0.001, false)); // the snapshot's alpha
        long flagged = java.util.Arrays.stream(points).filter(x -> frozen.score(x).anomaly()).count();
        assertEquals(flagged, json.get("anomalies").asLong());
        double expected = mixture.meanLogLikelihood(points);
        double actual = json.get("avg_log_likelihood").asDouble();
        assertEquals(expected, actual, 1e-12 * Math.abs(expected));
    }

    @Test
    void writesResponsibilities() throws IOException {
        Path out = dir.resolve("resp.csv");
        Run r = run("score", "-m", model.toString(), "-i", csv.toString(), "--responsibilities-out", out.toString());
        assertEquals(0, r.code(), r::toString);
        List<String> lines = Files.readAllLines(out);
        assertEquals("row,component,log_likelihood,r0,r1,r2,anomaly_score,anomaly,anomaly_features", lines.get(0));
        assertEquals(701, lines.size());
        double[] resp = new double[3];
        FrozenMixture frozen = new FrozenMixture(mixture, new AnomalyPolicy(0.001, false));
        for (int i = 0; i < points.length; i++) {
            String[] f = lines.get(i + 1).split(",", -1);
            assertEquals(9, f.length);
            PointScore s = frozen.score(points[i]);
            assertEquals(s.anomalyScore(), Double.parseDouble(f[6]), 0.0, "the engine's score, exactly");
            assertEquals(s.anomaly(), Boolean.parseBoolean(f[7]));
            assertEquals(s.anomaly() ? s.anomalyFeature(0) + "" : "", f[8].split(";")[0]);
            assertEquals(i + 2, Long.parseLong(f[0]), "row is the input line number");
            double ll = mixture.score(points[i], resp);
            assertEquals(ll, Double.parseDouble(f[2]), 1e-12 * Math.abs(ll));
            double sum = 0;
            int argmax = 0;
            for (int c = 0; c < 3; c++) {
                double v = Double.parseDouble(f[3 + c]);
                assertTrue(v >= 0 && v <= 1, lines.get(i + 1));
                assertEquals(resp[c], v, 1e-12);
                sum += v;
                if (v > Double.parseDouble(f[3 + argmax])) {
                    argmax = c;
                }
            }
            assertEquals(1.0, sum, 1e-12);
            assertEquals(argmax, Integer.parseInt(f[1]));
        }
    }

    @Test
    void outliersAreFlaggedWithTheirFeaturesAtTheChosenAlpha() throws IOException {
        double[][] mixed = new double[points.length][];
        for (int i = 0; i < points.length; i++) {
            mixed[i] = points[i].clone();
            if (i % 100 == 7) {
                mixed[i][1] += 40; // far out along coordinate 1 only
            }
        }
        Path in = writeCsv(dir.resolve("mixed.csv"), mixed);
        Path out = dir.resolve("mixed-resp.csv");
        for (String alpha : new String[]{"0.001", "0.2"}) {
            Run r = run("score", "-m", model.toString(), "-i", in.toString(), "-r", out.toString(),
                    "--anomaly-alpha", alpha);
            assertEquals(0, r.code(), r::toString);
            List<String> lines = Files.readAllLines(out);
            long flagged = 0;
            for (int i = 0; i < mixed.length; i++) {
                String[] f = lines.get(i + 1).split(",", -1);
                boolean anomaly = Boolean.parseBoolean(f[7]);
                flagged += anomaly ? 1 : 0;
                assertEquals(anomaly, Double.parseDouble(f[6]) >= 1 - Double.parseDouble(alpha), lines.get(i + 1));
                if (i % 100 == 7) {
                    assertTrue(anomaly, "outlier on row " + (i + 2));
                    assertEquals("1", f[8].split(";")[0], "the coordinate that moved comes first");
                }
                assertEquals(anomaly, !f[8].isEmpty());
            }
            assertEquals(flagged, new ObjectMapper().readTree(r.out()).get("anomalies").asLong());
            if (alpha.equals("0.001")) {
                assertTrue(flagged <= 7 + 3, flagged + " flagged at alpha 0.001");
            } else {
                assertTrue(flagged > 0.1 * mixed.length && flagged < 0.3 * mixed.length, flagged + " at alpha 0.2");
            }
        }
        Run bad = run("score", "-m", model.toString(), "-i", in.toString(), "--anomaly-alpha", "1");
        assertEquals(2, bad.code(), bad::toString);
        assertTrue(bad.err().contains("--anomaly-alpha must be in (0, 1)"), bad::toString);
    }

    @Test
    void rowOfTheWrongDimensionIsABadRow() throws IOException {
        List<String> lines = new ArrayList<>(Files.readAllLines(csv));
        lines.set(9, "1.0,2.0"); // line 10
        Path bad = dir.resolve("wrongdim.csv");
        Files.write(bad, lines);
        Run r = run("score", "-m", model.toString(), "-i", bad.toString());
        assertEquals(1, r.code(), r::toString);
        assertEquals("", r.out());
        assertTrue(r.err().contains("line 10: 2 columns, expected 3 (the model's dimension)"), r::toString);

        r = run("score", "-m", model.toString(), "-i", bad.toString(), "--skip-bad-rows");
        assertEquals(0, r.code(), r::toString);
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertEquals(699, json.get("n").asLong());
        assertTrue(r.err().contains("skipped 1 bad row"), r::toString);
    }

    @Test
    void wholeFileOfTheWrongDimension() throws IOException {
        Path two = dir.resolve("two.csv");
        Files.writeString(two, "a,b\n1,2\n3,4\n");
        Run r = run("score", "-m", model.toString(), "-i", two.toString());
        assertEquals(1, r.code(), r::toString);
        assertTrue(r.err().contains("line 2: 2 columns, expected 3"), r::toString);
        r = run("score", "-m", model.toString(), "-i", two.toString(), "--skip-bad-rows");
        assertEquals(1, r.code(), r::toString);
        assertTrue(r.err().contains("no valid rows"), r::toString);
        assertEquals("", r.out());
    }

    @Test
    void unusableModelOrMissingFilesExitOne() throws IOException {
        Path notJson = dir.resolve("bad-model.json");
        Files.writeString(notJson, "{\"weights\": [1, 2");
        Run r = run("score", "-m", notJson.toString(), "-i", csv.toString());
        assertEquals(1, r.code(), r::toString);
        assertTrue(r.err().startsWith("mixstream score: error: cannot use model"), r::toString);
        assertEquals(1, r.err().strip().lines().count(), r::toString);

        Path empty = dir.resolve("empty-model.json");
        Files.writeString(empty, "{}");
        r = run("score", "-m", empty.toString(), "-i", csv.toString());
        assertEquals(1, r.code(), r::toString);
        assertFalse(r.err().contains("\tat "), r::toString);

        r = run("score", "-m", dir.resolve("nope.json").toString(), "-i", csv.toString());
        assertEquals(1, r.code(), r::toString);
        assertTrue(r.err().contains("model file not found"), r::toString);

        r = run("score", "-m", model.toString());
        assertEquals(2, r.code(), r::toString);
    }
}
