package dev.mixstream.cli;

import dev.mixstream.cli.CliTestSupport.Run;
import dev.mixstream.snapshot.MixtureSnapshot;
import dev.mixstream.snapshot.SnapshotJson;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

import static dev.mixstream.cli.CliTestSupport.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A CSV file like scikit-learn's iris: four numeric columns, then a label column. */
class ColumnsTest {
    @TempDir
    static Path dir;
    static Path iris;
    static Path plain;

    @BeforeAll
    static void files() throws IOException {
        StringBuilder labelled = new StringBuilder("sepal_length,sepal_width,petal_length,petal_width,species\n");
        StringBuilder numbers = new StringBuilder();
        SplittableRandom rng = new SplittableRandom(3);
        String[] species = {"setosa", "versicolor", "virginica"};
        for (int i = 0; i < 150; i++) {
            int s = i % 3;
            String row = String.format(Locale.ROOT, "%.2f,%.2f,%.2f,%.2f", 5 + s + 0.3 * rng.nextGaussian(),
                    3 + 0.3 * rng.nextGaussian(), 1.5 + 2 * s + 0.3 * rng.nextGaussian(), 0.2 + s + 0.2 * rng.nextGaussian());
            labelled.append(row).append(',').append(species[s]).append('\n');
            numbers.append(row).append('\n');
        }
        iris = dir.resolve("iris.csv");
        Files.writeString(iris, labelled);
        plain = dir.resolve("plain.csv");
        Files.writeString(plain, numbers);
    }

    @Test
    void aLabelColumnIsRefusedWithASuggestion() {
        Run r = run("fit", "-i", iris.toString(), "-k", "3", "-o", dir.resolve("m.json").toString());
        assertEquals(1, r.code(), r::toString);
        assertTrue(r.err().contains("line 2: column 5: 'setosa' is not a number"), r::toString);
        assertTrue(r.err().contains("--columns"), "suggests --columns: " + r);
    }

    @Test
    void columnsByNumberAndByNameFitTheSameModelAsTheNumbersAlone() throws IOException {
        Path byNumber = dir.resolve("n.json");
        Path byName = dir.resolve("h.json");
        Path reference = dir.resolve("r.json");
        assertEquals(0, run("fit", "-i", iris.toString(), "-k", "3", "--columns", "1-4", "-o", byNumber.toString()).code());
        Run named = run("fit", "-i", iris.toString(), "-k", "3", "--columns",
                "sepal_length,sepal_width,petal_length,petal_width", "-o", byName.toString());
        assertEquals(0, named.code(), named::toString);
        assertEquals(0, run("fit", "-i", plain.toString(), "-k", "3", "-o", reference.toString()).code());
        MixtureSnapshot a = SnapshotJson.read(byNumber);
        MixtureSnapshot b = SnapshotJson.read(byName);
        MixtureSnapshot c = SnapshotJson.read(reference);
        assertEquals(4, a.dimension());
        assertArrayEquals(c.weights(), a.weights());
        assertArrayEquals(c.weights(), b.weights());
        for (int k = 0; k < 3; k++) {
            assertArrayEquals(c.means()[k], a.means()[k]);
            assertArrayEquals(c.means()[k], b.means()[k]);
        }
        // the model scores the labelled file through the same selection, and the plain file alike
        Run scored = run("score", "-m", byNumber.toString(), "-i", iris.toString(), "--columns", "1-4");
        Run scoredPlain = run("score", "-m", byNumber.toString(), "-i", plain.toString());
        assertEquals(0, scored.code(), scored::toString);
        assertEquals(scoredPlain.out(), scored.out());
    }

    @Test
    void aSelectionTheFileDoesNotHaveIsOneClearLine() {
        Run r = run("fit", "-i", iris.toString(), "-k", "3", "--columns", "petal,sepal_width", "-o",
                dir.resolve("x.json").toString());
        assertEquals(1, r.code(), r::toString);
        assertTrue(r.err().contains("no column named 'petal'"), r::toString);
        r = run("fit", "-i", plain.toString(), "-k", "3", "--columns", "2-9", "-o", dir.resolve("y.json").toString());
        assertEquals(1, r.code(), r::toString);
        assertTrue(r.err().contains("column 5 does not exist (the rows have 4 columns)"), r::toString);
        r = run("score", "-m", dir.resolve("missing.json").toString(), "-i", plain.toString(), "--columns", "1,x");
        assertEquals(2, r.code(), "mixed numbers and names are a usage error: " + r);
    }

    @Test
    void moreComponentsThanRowsAreRefused() {
        for (String mode : new String[]{"online", "batch"}) {
            Run r = mode.equals("batch")
                    ? run("fit", "-i", plain.toString(), "-k", "300", "--batch-em", "-o", dir.resolve("b.json").toString())
                    : run("fit", "-i", plain.toString(), "-k", "300", "-o", dir.resolve("o.json").toString());
            assertEquals(1, r.code(), r::toString);
            assertTrue(r.err().contains("--components 300 is more than the 150 valid rows"), r::toString);
            assertTrue(!Files.exists(dir.resolve(mode.equals("batch") ? "b.json" : "o.json")), "no model written");
        }
    }
}
