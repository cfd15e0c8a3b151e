package dev.mixstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixstream.cli.CliTestSupport.Run;
import dev.mixstream.gmm.GaussianMixture;
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
        assertEquals(2, json.size(), r::toString);
        assertEquals(700, json.get("n").asLong());
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
        assertEquals("row,component,log_likelihood,r0,r1,r2", lines.get(0));
        assertEquals(701, lines.size());
        double[] resp = new double[3];
        for (int i = 0; i < points.length; i++) {
            String[] f = lines.get(i + 1).split(",");
            assertEquals(6, f.length);
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
