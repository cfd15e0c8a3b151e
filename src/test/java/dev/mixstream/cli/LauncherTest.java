package dev.mixstream.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bin/mixstream}, run in a copy of the repository's layout with a stand-in {@code mvn} (which makes the jar
 * and its class-data-sharing archive, or leaves an up-to-date jar alone as Maven does) and a stand-in {@code java}
 * (which records its arguments): it builds when the jar is missing or older than a source, not otherwise, and never
 * changes the jar's modification time, which the archive recorded beside it is only valid for.
 */
class LauncherTest {
    private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    @Test
    void buildsOnlyWhenASourceChangedAndLeavesTheJarAsMavenMadeIt(@TempDir Path repo) throws Exception {
        Path bin = Files.createDirectories(repo.resolve("bin"));
        Files.copy(Path.of("bin", "mixstream"), bin.resolve("mixstream"));
        executable(bin.resolve("mixstream"));
        Path src = Files.createDirectories(repo.resolve("src/main/java"));
        Path source = Files.writeString(src.resolve("A.java"), "class A {}\n");
        Path pom = Files.writeString(repo.resolve("pom.xml"), "<project/>\n");
        setTime(source, NOW.minus(3, ChronoUnit.HOURS));
        setTime(pom, NOW.minus(3, ChronoUnit.HOURS));

        Path tools = Files.createDirectories(repo.resolve("tools"));
        Path builds = repo.resolve("builds.txt");
        Path calls = repo.resolve("java-args.txt");
        // Maven stand-in: the first build makes the jar (two hours old) and the archive; later builds leave both.
        Files.writeString(tools.resolve("mvn"), """
                #!/usr/bin/env bash
                echo build >> "%s"
                mkdir -p target
                if [ ! -f target/mixstream.jar ]; then
                  echo jar > target/mixstream.jar
                  touch -d @%d target/mixstream.jar
                  echo archive > target/mixstream.jsa
                fi
                """.formatted(builds, NOW.minus(2, ChronoUnit.HOURS).getEpochSecond()));
        executable(tools.resolve("mvn"));
        Files.writeString(tools.resolve("java"), "#!/usr/bin/env bash\necho \"$*\" >> \"" + calls + "\"\n");
        executable(tools.resolve("java"));
        Path jar = repo.resolve("target/mixstream.jar");

        launch(repo, tools);
        assertEquals(1, lines(builds), "no jar: one build");
        FileTime made = Files.getLastModifiedTime(jar);
        assertEquals(NOW.minus(2, ChronoUnit.HOURS), made.toInstant(), "the jar keeps Maven's time");
        String args = Files.readAllLines(calls).get(0);
        assertTrue(args.contains("-XX:SharedArchiveFile=" + repo.resolve("target/mixstream.jsa").toRealPath())
                && args.endsWith("-jar " + jar.toRealPath() + " --version"), args);

        launch(repo, tools);
        assertEquals(1, lines(builds), "nothing changed: no build");

        Thread.sleep(20);
        setTime(source, Instant.now()); // edited since the last build; Maven will find the jar up to date
        launch(repo, tools);
        assertEquals(2, lines(builds), "a source newer than the jar: a build");
        assertEquals(made, Files.getLastModifiedTime(jar), "an up-to-date jar is not touched");
        launch(repo, tools);
        assertEquals(2, lines(builds), "built since that change: no build");
        assertEquals(4, lines(calls), "java ran every time");
    }

    private static void launch(Path repo, Path tools) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(repo.resolve("bin/mixstream").toString(), "--version")
                .directory(repo.toFile()).redirectErrorStream(true)
                .redirectOutput(repo.resolve("launcher-out.txt").toFile());
        Map<String, String> env = pb.environment();
        env.put("PATH", tools + ":/usr/bin:/bin");
        env.put("JAVA", tools.resolve("java").toString());
        env.remove("JAVA_OPTS");
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the launcher ended");
        assertEquals(0, p.exitValue(), Files.readString(repo.resolve("launcher-out.txt")));
    }

    private static int lines(Path file) throws IOException {
        return Files.exists(file) ? Files.readAllLines(file).size() : 0;
    }

    private static void setTime(Path file, Instant time) throws IOException {
        Files.setLastModifiedTime(file, FileTime.from(time));
    }

    private static void executable(Path file) throws IOException {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
