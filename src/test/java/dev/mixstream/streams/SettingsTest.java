package dev.mixstream.streams;

import dev.mixstream.gmm.CovarianceType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SettingsTest {
    @Test
    void flagsBeatEnvironmentWhichBeatsTheFileWhichBeatsDefaults(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("m.properties");
        Files.writeString(file, """
                mixstream.components=4
                mixstream.covariance.type=diag
                mixstream.half.life=none
                mixstream.topic.points=in
                bootstrap.servers=file:9092
                linger.ms=7
                """);
        MixstreamSettings s = SettingsLoader.load(file,
                Map.of("MIXSTREAM_COMPONENTS", "5", "MIXSTREAM_KAFKA_BOOTSTRAP_SERVERS", "env:9092",
                        "MIXSTREAM_SNAPSHOT_EVERY_POINTS", "77", "PATH", "/usr/bin"),
                Map.of("bootstrap.servers", "flag:9092", "mixstream.seed", "9"));
        assertEquals(5, s.mixture().components());
        assertEquals(CovarianceType.DIAG, s.mixture().covarianceType());
        assertTrue(s.mixture().hasNoHalfLife());
        assertEquals(9, s.mixture().seed());
        assertEquals("in", s.pointsTopic());
        assertEquals("mixstream.responsibilities", s.responsibilitiesTopic());
        assertEquals(77, s.snapshotEveryPoints());
        assertEquals("flag:9092", s.bootstrapServers());
        assertEquals("7", s.kafka().get("linger.ms"));
        assertEquals("exactly_once_v2", s.kafka().get("processing.guarantee"));
        assertEquals("mixstream", s.streamsProperties().getProperty("application.id"));
        // large model states and snapshots fit by default, and stay overridable
        assertEquals("16777216", s.streamsProperties().getProperty("producer.max.request.size"));
        assertEquals("16777216", s.streamsProperties().getProperty("topic.max.message.bytes"));
        assertEquals("2097152", MixstreamSettings.from(Map.of("topic.max.message.bytes", "2097152")).kafka()
                .get("topic.max.message.bytes"));
    }

    @Test
    void theShippedConfigFileListsEveryKeyWithItsDefault() {
        Map<String, String> file = SettingsLoader.readFile(Path.of("config", "mixstream.properties"));
        MixstreamSettings.KEYS.forEach((k, v) -> assertEquals(v, file.get(k), k));
        file.keySet().stream().filter(k -> k.startsWith("mixstream."))
                .forEach(k -> assertTrue(MixstreamSettings.KEYS.containsKey(k), k));
        MixstreamSettings s = MixstreamSettings.from(file);
        assertEquals(MixstreamSettings.from(Map.of()).mixture(), s.mixture());
        assertEquals("localhost:9092", s.bootstrapServers());
    }

    @Test
    void invalidValuesFailAtStartNamingTheKey() {
        assertFails("mixstream.components", Map.of("mixstream.components", "0"));
        assertFails("mixstream.components", Map.of("mixstream.components", "three"));
        assertFails("mixstream.covariance.type", Map.of("mixstream.covariance.type", "tied"));
        assertFails("mixstream.half.life", Map.of("mixstream.half.life", "0"));
        assertFails("mixstream.step.exponent", Map.of("mixstream.step.exponent", "2"));
        assertFails("mixstream.reg.covar", Map.of("mixstream.reg.covar", "-1"));
        assertFails("mixstream.min.weight", Map.of("mixstream.min.weight", "0.9"));
        assertFails("mixstream.topics.create", Map.of("mixstream.topics.create", "yes"));
        assertFails("mixstream.topic.dlq", Map.of("mixstream.topic.dlq", "bad topic!"));
        assertFails("mixstream.topic", Map.of("mixstream.topic.dlq", "mixstream.points"));
        assertFails("mixstream.componets", Map.of("mixstream.componets", "3"));
        assertFails("processing.guarantee", Map.of("processing.guarantee", "exactly_once"));
        assertFails("mixstream.instance.id", Map.of("mixstream.instance.id", "two words"));
    }

    @Test
    void unknownEnvironmentVariablesAreIgnoredButUnknownKeysElsewhereFail(@TempDir Path dir) throws Exception {
        // what Kubernetes injects for a Service named mixstream, beside a real setting
        Map<String, String> env = Map.of("MIXSTREAM_SERVICE_HOST", "10.0.0.1", "MIXSTREAM_PORT", "tcp://10.0.0.1:80",
                "MIXSTREAM_PORT_8080_TCP_ADDR", "10.0.0.1", "MIXSTREAM_COMPONENTS", "4",
                "MIXSTREAM_KAFKA_CLIENT_RACK", "r1");
        MixstreamSettings s = SettingsLoader.load(null, env, Map.of());
        assertEquals(4, s.mixture().components());
        assertEquals("r1", s.kafka().get("client.rack"));
        assertFalse(s.kafka().containsKey("mixstream.service.host"));
        Path file = dir.resolve("bad.properties");
        Files.writeString(file, "mixstream.componets=3\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SettingsLoader.load(file, Map.of(), Map.of()));
        assertTrue(e.getMessage().contains("mixstream.componets"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> SettingsLoader.load(null, Map.of(), Map.of("mixstream.componets", "3")));
        assertTrue(e.getMessage().contains("mixstream.componets"), e.getMessage());
    }

    private static void assertFails(String fragment, Map<String, String> props) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MixstreamSettings.from(props));
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }
}
