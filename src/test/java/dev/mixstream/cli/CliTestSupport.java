package dev.mixstream.cli;

import dev.mixstream.gmm.CovarianceType;
import dev.mixstream.gmm.GaussianMixture;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/** Runs the CLI in-process and writes synthetic CSV files. */
final class CliTestSupport {
    private CliTestSupport() {
    }

    /** Exit code, stdout and stderr of one in-process run. */
    record Run(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = MixstreamCli.commandLine(args)
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** A well separated 3-component mixture in 3 dimensions. */
    static GaussianMixture truth() {
        double[] w = {0.5, 0.3, 0.2};
        double[][] mu = {{0, 0, 0}, {6, -3, 2}, {-5, 5, 4}};
        double[][][] cov = {
            {{1, 0.3, 0}, {0.3, 1, 0.2}, {0, 0.2, 1}},
            {{0.5, 0, 0}, {0, 2, -0.4}, {0, -0.4, 1}},
            {{1.5, 0.5, 0.1}, {0.5, 1, 0}, {0.1, 0, 0.7}},
        };
        return GaussianMixture.of(CovarianceType.FULL, w, mu, cov);
    }

    /** n points drawn from {@link #truth()} with the given seed. */
    static double[][] sample(int n, long seed) {
        GaussianMixture g = truth();
        SplittableRandom rng = new SplittableRandom(seed);
        double[][] points = new double[n][g.dimension()];
        for (double[] x : points) {
            g.sample(rng, x);
        }
        return points;
    }

    /** Writes the points with a header line; values round-trip exactly. */
    static Path writeCsv(Path file, double[][] points) throws IOException {
        StringBuilder s = new StringBuilder();
        int d = points[0].length;
        for (int i = 0; i < d; i++) {
            s.append(i == 0 ? "" : ",").append("x").append(i);
        }
        s.append('\n');
        for (double[] x : points) {
            for (int i = 0; i < d; i++) {
                s.append(i == 0 ? "" : ",").append(x[i]);
            }
            s.append('\n');
        }
        Files.writeString(file, s);
        return file;
    }
}
