package dev.mixstream.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The class-data-sharing archive the build records ({@link CdsTraining}, as the pom runs it) is usable: a later
 * {@code fit} maps mixstream's classes from it, prints exactly what it prints without it, and a JVM that cannot use
 * an archive (here: one recorded on another class path) says nothing about it with the launcher's flags.
 */
class ClassDataSharingTest {
    private static final List<String> QUIET = List.of("-Xlog:cds=off", "-Xlog:cds+dynamic=off");
    /** The JVM options the pom records the archive with. */
    private static final java.util.function.Function<Path, List<String>> RECORD = archive ->
            List.of("-XX:ArchiveClassesAtExit=" + archive, "-Xint", "-Xlog:cds=off", "-Xlog:cds+dynamic=off");
    /** Methods a `fit` runs once per row or point: the JIT compiles each of them on its own in a long enough fit. */
    private static final List<String> HOT = List.of("dev.mixstream.io.CsvPoints::nextLine",
            "dev.mixstream.io.CsvPoints::splitFields", "dev.mixstream.io.CsvPoints::parseNumber",
            "dev.mixstream.gmm.GaussianMixture::score", "dev.mixstream.gmm.GaussianMixture::nearestMean",
            "dev.mixstream.gmm.GaussianMixture::logDensityAbove", "dev.mixstream.gmm.GaussianMixture::rankOneUpdate",
            "dev.mixstream.gmm.SufficientStatistics::accumulate", "dev.mixstream.gmm.SufficientStatistics::addOuter");

    /**
     * The runtime class path with target/classes packed into a jar in {@code dir}, as in the build: an archive can
     * only be recorded from jars (a class path with a non-empty directory is refused).
     */
    private static String runtimeClasspath(Path dir) throws java.io.IOException {
        List<String> entries = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (entry.endsWith("test-classes")) {
                continue;
            }
            Path p = Path.of(entry);
            entries.add(Files.isDirectory(p) ? jar(p, dir.resolve("mixstream.jar")).toString() : entry);
        }
        return String.join(File.pathSeparator, entries);
    }

    private static Path jar(Path classes, Path jar) throws java.io.IOException {
        try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar));
             var files = Files.walk(classes)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                out.putNextEntry(new java.util.jar.JarEntry(classes.relativize(f).toString().replace(File.separatorChar, '/')));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
        return jar;
    }

    /** Runs a JVM; returns its exit code, stdout in out[0] and stderr in out[1]. */
    private static int java(Path dir, String[] out, List<String> jvm, String classpath, String main, String... args)
            throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvm);
        command.add("-cp");
        command.add(classpath);
        command.add(main);
        command.addAll(List.of(args));
        Path o = Files.createTempFile(dir, "out", ".txt");
        Path e = Files.createTempFile(dir, "err", ".txt");
        Process p = new ProcessBuilder(command).redirectOutput(o.toFile()).redirectError(e.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the JVM ended: " + command);
        out[0] = Files.readString(o);
        out[1] = Files.readString(e);
        return p.exitValue();
    }

    /** Records the archive as the pom does (the training, {@link #RECORD}'s options); its stdout and stderr. */
    private static String[] record(Path dir, String classpath, Path archive) throws Exception {
        String[] out = new String[2];
        assertEquals(0, java(dir, out, RECORD.apply(archive), classpath, CdsTraining.class.getName()), out[1]);
        return out;
    }

    @Test
    void theRecordedArchiveServesFitAndAnUnusableOneIsIgnoredQuietly(@TempDir Path dir) throws Exception {
        String cp = runtimeClasspath(dir);
        Path archive = dir.resolve("mixstream.jsa");
        String[] out = record(dir, cp, archive);
        assertEquals("", out[0] + out[1], "the training prints nothing");
        assertTrue(Files.size(archive) > 1_000_000, "an archive of the loaded classes: " + Files.size(archive));

        Path csv = dir.resolve("p.csv");
        StringBuilder rows = new StringBuilder("a,b\n");
        for (int i = 0; i < 400; i++) {
            rows.append(i % 2 * 5 + Math.sin(i)).append(',').append(Math.cos(i * 0.7)).append('\n');
        }
        Files.writeString(csv, rows);
        String[] fit = {"fit", "--input", csv.toString(), "-k", "2", "--model-out", dir.resolve("m.json").toString()};
        String[] plain = new String[2];
        assertEquals(0, java(dir, plain, List.of(), cp, MixstreamCli.class.getName(), fit), plain[1]);

        List<String> use = new ArrayList<>(List.of("-XX:SharedArchiveFile=" + archive, "-Xlog:class+load=info:file="
                + dir.resolve("classes.txt")));
        use.addAll(QUIET);
        String[] shared = new String[2];
        assertEquals(0, java(dir, shared, use, cp, MixstreamCli.class.getName(), fit), shared[1]);
        assertEquals(plain[0], shared[0]);
        assertEquals(plain[1].replaceAll("[0-9.]+ s, [0-9,]+ points/s", "T"),
                shared[1].replaceAll("[0-9.]+ s, [0-9,]+ points/s", "T"), "the same console, timings aside");
        String classes = Files.readString(dir.resolve("classes.txt"));
        assertTrue(classes.lines().anyMatch(l -> l.contains(" dev.mixstream.cli.FitCommand ")
                && l.contains("shared objects file")), "FitCommand mapped from the archive");
        assertTrue(classes.lines().anyMatch(l -> l.contains(" dev.mixstream.gmm.OnlineMixture ")
                && l.contains("shared objects file")), "the engine mapped from the archive");

        // recorded on another class path: unusable, and nothing said about it
        String otherCp = dir + File.pathSeparator + cp;
        String[] mismatch = new String[2];
        assertEquals(0, java(dir, mismatch, use, otherCp, MixstreamCli.class.getName(), fit), mismatch[1]);
        assertEquals(plain[1].replaceAll("[0-9.]+ s, [0-9,]+ points/s", "T"),
                mismatch[1].replaceAll("[0-9.]+ s, [0-9,]+ points/s", "T"), "no word about the archive");
    }

    /**
     * A JVM started with the archive still compiles what it runs hot. Java 17's dynamic archive keeps the "queued for
     * compilation" flag of every method the JIT had queued when the recording JVM ended (JDK-8306460), and a JVM using
     * the archive never compiles those: a recording that ran the training compiled left `fit`'s CSV parsing or its
     * statistics update interpreted (3× slower). Recorded interpreted, as the pom does, nothing is queued.
     */
    @Test
    void aFitWithTheArchiveCompilesItsHotMethods(@TempDir Path dir) throws Exception {
        String cp = runtimeClasspath(dir);
        Path archive = dir.resolve("mixstream.jsa");
        record(dir, cp, archive);

        Path csv = dir.resolve("p.csv");
        StringBuilder rows = new StringBuilder("a,b,c\n");
        java.util.SplittableRandom rng = new java.util.SplittableRandom(3);
        for (int i = 0; i < 40_000; i++) {
            int c = i % 3;
            rows.append(8 * c + rng.nextGaussian()).append(',').append(-5 * c + rng.nextGaussian()).append(',')
                    .append(rng.nextGaussian()).append('\n');
        }
        Files.writeString(csv, rows);
        List<String> use = new ArrayList<>(List.of("-XX:SharedArchiveFile=" + archive, "-XX:+PrintCompilation",
                "-Xlog:class+load=info:file=" + dir.resolve("classes.txt")));
        use.addAll(QUIET);
        String[] shared = new String[2];
        assertEquals(0, java(dir, shared, use, cp, MixstreamCli.class.getName(), "fit", "--input", csv.toString(), "-k",
                "3", "--model-out", dir.resolve("m.json").toString()), shared[1]);
        assertTrue(Files.readString(dir.resolve("classes.txt")).lines().anyMatch(l -> l.contains(" dev.mixstream.io.CsvPoints ")
                && l.contains("shared objects file")), "the CSV reader mapped from the archive");
        List<String> compiled = shared[0].lines().filter(l -> l.contains("dev.mixstream.")).toList();
        for (String method : HOT) {
            assertTrue(compiled.stream().anyMatch(l -> l.contains(method + " ")), method + " compiled");
        }
    }
}
