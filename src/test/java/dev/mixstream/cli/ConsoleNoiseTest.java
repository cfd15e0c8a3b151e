package dev.mixstream.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a user sees on the console of the demo, as the jar runs it: a separate JVM with the packaged logging
 * configuration (the test classpath's logback-test.xml left out), so Kafka's own logging is as shipped.
 */
class ConsoleNoiseTest {

    @Test
    void theDemoPrintsOnlyMixstreamsOwnMessages(@TempDir Path dir) throws Exception {
        String classpath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !entry.endsWith("test-classes")).collect(Collectors.joining(File.pathSeparator));
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classpath, MixstreamCli.class.getName(), "demo", "--points", "3000", "--keys", "1",
                "--rate", "0", "--plain", "--bad-records", "2")
                .redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "the demo ended");
        String stdout = Files.readString(out);
        List<String> stderr = Files.readAllLines(err).stream().filter(l -> !l.isBlank()).toList();
        assertEquals(0, p.exitValue(), stdout + stderr);
        assertTrue(stdout.contains("3,000 answered (exactly one each)"), stdout);
        for (String line : stderr) {
            assertTrue(line.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  \\[[^]]+] d(ev)?\\.mixstream\\..*"),
                    "only mixstream's own messages, no Kafka warnings: " + line + "\nall of stderr: " + stderr);
        }
    }
}
