package dev.mixstream.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.AppInfoParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The container image's class path ({@code target/classes} and {@code target/image-lib/}, the runtime libraries
 * without the embedded broker's, exactly what docker/Dockerfile copies) runs {@code mixstream run}: it becomes
 * ready on {@code /health/ready} (the compose healthcheck), learns, answers, and stops cleanly on SIGTERM; and the
 * commands that need the embedded broker say in one line that it is not there.
 */
@Timeout(180)
class RuntimeImageTest extends AppProcessTestBase {
    private static final Path IMAGE_LIB = Path.of("target", "image-lib");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static String imageClassPath() throws IOException {
        assertTrue(Files.isDirectory(IMAGE_LIB), "mvn builds target/image-lib before the tests");
        List<String> jars;
        try (Stream<Path> files = Files.list(IMAGE_LIB)) {
            jars = files.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertTrue(jars.stream().anyMatch(j -> j.startsWith("kafka-streams-")), jars.toString());
        assertTrue(jars.stream().anyMatch(j -> j.startsWith("javalin-")), jars.toString());
        for (String broker : List.of("kafka_2.13-", "kafka-server-", "kafka-raft-", "kafka-metadata-",
                "scala-library-", "log4j-core-")) {
            assertTrue(jars.stream().noneMatch(j -> j.startsWith(broker)), broker + " is left out: " + jars);
        }
        return Path.of("target", "classes").toAbsolutePath() + File.pathSeparator
                + IMAGE_LIB.toAbsolutePath() + File.separator + "*";
    }

    @Test
    void runWorksWithoutTheEmbeddedBrokersClasses(@TempDir Path dir) throws Exception {
        String classPath = imageClassPath();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> args = new ArrayList<>(List.of("--bootstrap-servers", broker.bootstrapServers()));
        for (String kv : List.of("application.id=image-app", "state.dir=" + dir.resolve("state"),
                "mixstream.topic.points=image.points", "mixstream.topic.responsibilities=image.responsibilities",
                "mixstream.topic.snapshots=image.snapshots", "mixstream.topic.dlq=image.dlq",
                "mixstream.topics.partitions=2", "mixstream.components=2", "mixstream.warmup=30",
                "mixstream.snapshot.every.points=10", "mixstream.snapshot.interval.ms=0", "commit.interval.ms=100",
                "mixstream.status.interval.ms=500",
                "mixstream.http.port=" + port, "mixstream.http.host=127.0.0.1")) {
            args.addAll(List.of("--set", kv));
        }
        AppProcess app = AppProcess.start(dir.resolve("run.log"), "logback.xml", classPath, args);
        apps.add(app);
        int p = port;
        await(app, () -> status(p, "/health/ready") == 200, "ready on /health/ready");
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        SplittableRandom rng = new SplittableRandom(5);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            for (int i = 0; i < 50; i++) {
                producer.send(new ProducerRecord<>("image.points", "m", String.format(Locale.ROOT, "[%.4f,%.4f]",
                        (i % 2 == 0 ? -3 : 3) + rng.nextGaussian(), rng.nextGaussian())));
            }
            producer.send(new ProducerRecord<>("image.points", "m", "{oops"));
        }
        await(app, () -> body(p, "/metrics").contains("mixstream_records_processed_total 51.0"), "51 records processed");
        // the status line: state, records, rate, dead letters, models held (warming up), lag
        Pattern status = Pattern.compile("status: RUNNING, 51 records processed, \\d+ rec/s, 1 dead letters, "
                + "1 models held \\(0 warming up\\), lag 0");
        await(app, () -> status.matcher(readLog(app)).find(), "a status line " + status);
        await(app, () -> status(p, "/models/m") == 200, "the model's snapshot served");
        assertTrue(body(p, "/models/m").contains("\"points_seen\":"), body(p, "/models/m"));
        List<String> healthcheck = composeHealthcheck(port);
        assertEquals(0, exitCode(healthcheck), "compose's healthcheck passes on a ready instance: " + healthcheck);
        assertEquals(143, app.stop(Duration.ofSeconds(60)), "SIGTERM: clean shutdown");
        assertTrue(exitCode(healthcheck) != 0, "and fails once it is gone");
        String log = Files.readString(app.logFile());
        assertFalse(log.contains("NoClassDefFoundError") || log.contains("ClassNotFoundException"), log);
    }

    @Test
    void theBrokerCommandsSayTheBrokerIsNotInTheImage(@TempDir Path dir) throws Exception {
        String classPath = imageClassPath();
        for (List<String> command : List.of(List.of("broker"), List.of("demo", "--points", "10"))) {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", classPath, "dev.mixstream.cli.MixstreamCli"));
            cmd.addAll(command);
            Path out = dir.resolve(command.get(0) + ".out");
            Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            assertTrue(proc.waitFor(60, TimeUnit.SECONDS), command + " ends");
            String text = Files.readString(out).strip();
            assertEquals(1, proc.exitValue(), text);
            assertEquals(1, text.lines().count(), "one line: " + text);
            assertTrue(text.contains("needs the embedded Kafka broker") && text.contains("--bootstrap-servers"), text);
        }
    }

    /** docker/compose.yaml's app: its Kafka image is the project's Kafka, its port published, its grace period long. */
    @Test
    void theComposeFileMatchesTheProject() throws Exception {
        // (Jackson's YAML module is on the test class path as a dependency of Kafka's server jars)
        JsonNode compose = new YAMLMapper().readTree(Path.of("docker", "compose.yaml").toFile());
        String kafka = "apache/kafka:" + AppInfoParser.getVersion();
        assertEquals(kafka, compose.at("/services/kafka/image").asText());
        assertEquals(kafka, compose.at("/services/topics/image").asText());
        JsonNode app = compose.at("/services/mixstream");
        assertEquals("8080:8080", app.at("/ports/0").asText());
        assertEquals("mixstream", app.at("/environment/MIXSTREAM_HTTP_ADVERTISED_HOST").asText());
        String grace = app.at("/stop_grace_period").asText();
        assertTrue(grace.endsWith("s") && Integer.parseInt(grace.substring(0, grace.length() - 1)) >= 30 + 10,
                "the grace period covers run's 30 s shutdown timeout: " + grace);
        assertTrue(app.at("/image").asText().startsWith("mixstream:${MIXSTREAM_VERSION:-"), "a version tag");
        String dockerfile = Files.readString(Path.of("docker", "Dockerfile"));
        assertTrue(dockerfile.contains("USER 10001:10001") && dockerfile.contains("org.opencontainers.image.version")
                && dockerfile.contains("/build/target/image-lib/ /app/lib/") && dockerfile.contains("HEALTHCHECK"),
                "numeric user, OCI labels, the image's libraries, a healthcheck");
    }

    /** The compose healthcheck's command (its test after CMD), aimed at {@code port} instead of 8080. */
    private static List<String> composeHealthcheck(int port) throws IOException {
        JsonNode test = new YAMLMapper().readTree(Path.of("docker", "compose.yaml").toFile())
                .at("/services/mixstream/healthcheck/test");
        assertEquals("CMD", test.get(0).asText());
        List<String> command = new ArrayList<>();
        for (int i = 1; i < test.size(); i++) {
            command.add(test.get(i).asText().replace("/8080", "/" + port));
        }
        assertTrue(command.get(command.size() - 1).contains("/health/ready"), command.toString());
        return command;
    }

    private static int exitCode(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return p.exitValue();
    }

    private static int status(int port, String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1; // not listening yet
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static String body(int port, String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)).body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static void await(AppProcess app, BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!condition.getAsBoolean()) {
            if (!app.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("no " + what + "; log:\n" + readLog(app));
            }
            Thread.sleep(100);
        }
    }

    private static String readLog(AppProcess app) {
        try {
            return Files.readString(app.logFile());
        } catch (IOException e) {
            return "(no log)";
        }
    }
}
