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
        // what the application writes is lz4-compressed by default, and compression stays a Kafka setting
        assertEquals("lz4", s.streamsProperties().getProperty("producer.compression.type"));
        assertEquals("65536", s.streamsProperties().getProperty("producer.batch.size"));
        assertEquals("16384", MixstreamSettings.from(Map.of("producer.batch.size", "16384")).streamsProperties()
                .getProperty("producer.batch.size"));
        assertEquals("none", MixstreamSettings.from(Map.of("producer.compression.type", "none")).streamsProperties()
                .getProperty("producer.compression.type"));
    }

    /** components=auto with max.components, globally and in a key's rule; max.components is ignored with a fixed K. */
    @Test
    void automaticKIsSetGloballyOrPerKey() {
        MixstreamSettings s = MixstreamSettings.from(Map.of("mixstream.components", "auto",
                "mixstream.max.components", "8", "mixstream.model.overrides", "small,fixed",
                "mixstream.model.override.small.keys", "small-*", "mixstream.model.override.small.max.components", "3",
                "mixstream.model.override.fixed.keys", "fixed-*", "mixstream.model.override.fixed.components", "4"));
        assertTrue(s.mixture().automaticComponents());
        assertEquals(8, s.mixture().maxComponents());
        assertEquals(0.005, s.mixture().minWeight(), "auto min weight of the largest K");
        assertEquals(3, s.mixtureFor("small-1").maxComponents());
        assertTrue(s.mixtureFor("small-1").automaticComponents());
        assertEquals(4, s.mixtureFor("fixed-1").components());
        assertFalse(s.mixtureFor("fixed-1").automaticComponents());
        assertEquals(8, s.mixtureFor("other").maxComponents());
        MixstreamSettings fixed = MixstreamSettings.from(Map.of("mixstream.max.components", "8"));
        assertEquals(3, fixed.mixture().components());
        assertEquals(0, fixed.mixture().maxComponents(), "ignored with a fixed K");
        assertFails("mixstream.components: 'zero' is not an integer in [1, 1024] or auto",
                Map.of("mixstream.components", "zero"));
        assertFails("mixstream.max.components", Map.of("mixstream.components", "auto", "mixstream.max.components", "0"));
        assertFails("mixstream.min.weight", Map.of("mixstream.components", "auto", "mixstream.max.components", "20",
                "mixstream.min.weight", "0.1"));
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
        assertFails("mixstream.warmup.max.wait", Map.of("mixstream.warmup.max.wait", "soon"));
    }

    /** A warm-up too short for K is refused with the minimum; so is a rule's. */
    @Test
    void aWarmUpBelowTheSafeMinimumIsRefusedWithTheMinimum() {
        assertFails("mixstream.warmup=5 is below the safe minimum for K=3 full: 12 points at D=1",
                Map.of("mixstream.warmup", "5"));
        assertFails("mixstream.warmup=11", Map.of("mixstream.warmup", "11"));
        assertEquals(12, MixstreamSettings.from(Map.of("mixstream.warmup", "12")).mixture().warmup());
        assertFails("Set it to at least 20", Map.of("mixstream.warmup", "19", "mixstream.components", "5",
                "mixstream.covariance.type", "diag"));
        assertFails("mixstream.model.override.big.warmup=30 (rule big) is below the safe minimum for K=8",
                Map.of("mixstream.model.overrides", "big", "mixstream.model.override.big.keys", "big-*",
                        "mixstream.model.override.big.components", "8", "mixstream.model.override.big.warmup", "30"));
        assertFails("mixstream.warmup=20 (rule big) is below the safe minimum for K=8",
                Map.of("mixstream.warmup", "20", "mixstream.model.overrides", "big",
                        "mixstream.model.override.big.keys", "big-*", "mixstream.model.override.big.components", "8"));
        assertEquals(12, dev.mixstream.gmm.MixtureConfig.safeWarmup(3, dev.mixstream.gmm.CovarianceType.FULL, 1));
        assertEquals(18, dev.mixstream.gmm.MixtureConfig.safeWarmup(3, dev.mixstream.gmm.CovarianceType.FULL, 2));
        assertEquals(12, dev.mixstream.gmm.MixtureConfig.safeWarmup(3, dev.mixstream.gmm.CovarianceType.DIAG, 50));
    }

    /** Every mistake in a rule is reported at start, naming the key. */
    @Test
    void perKeyRulesAreValidatedAtStart() {
        Map<String, String> rule = Map.of("mixstream.model.overrides", "sensors",
                "mixstream.model.override.sensors.keys", "sensor-*");
        assertFails("rule sensors needs mixstream.model.override.sensors.keys",
                Map.of("mixstream.model.overrides", "sensors"));
        assertFails("mixstream.model.override.pumps.keys belongs to no rule listed",
                with(rule, "mixstream.model.override.pumps.keys", "pump-*"));
        assertFails("unknown rule setting mixstream.model.override.sensors.compnents",
                with(rule, "mixstream.model.override.sensors.compnents", "5"));
        assertFails("mixstream.model.override.sensors.components: 'five' is not an integer in [1, 1024] or auto",
                with(rule, "mixstream.model.override.sensors.components", "five"));
        assertFails("mixstream.model.override.sensors.covariance.type",
                with(rule, "mixstream.model.override.sensors.covariance.type", "tied"));
        assertFails("mixstream.model.override.sensors.half.life",
                with(rule, "mixstream.model.override.sensors.half.life", "0"));
        assertFails("mixstream.model.override.sensors.min.weight",
                with(rule, "mixstream.model.override.sensors.min.weight", "0.6"));
        assertFails("not a valid regular expression", Map.of("mixstream.model.overrides", "sensors",
                "mixstream.model.override.sensors.keys", "regex:sensor-(["));
        assertFails("rule name 'Sensors'", Map.of("mixstream.model.overrides", "Sensors"));
        assertFails("lists rule a twice", Map.of("mixstream.model.overrides", "a,a"));
        // an explicit global min weight that a rule's K cannot take is named with the rule
        assertFails("mixstream.min.weight (for rule sensors)", with(with(rule, "mixstream.min.weight", "0.2"),
                "mixstream.model.override.sensors.components", "6"));
    }

    @Test
    void aRuleCanBeSetFromTheEnvironment() {
        Map<String, String> env = Map.of("MIXSTREAM_MODEL_OVERRIDES", "sensors",
                "MIXSTREAM_MODEL_OVERRIDE_SENSORS_KEYS", "sensor-*",
                "MIXSTREAM_MODEL_OVERRIDE_SENSORS_HALF_LIFE", "5000",
                "MIXSTREAM_MODEL_OVERRIDE_SENSORS_COVARIANCE_TYPE", "spherical");
        MixstreamSettings s = SettingsLoader.load(null, env, Map.of());
        assertEquals(5000.0, s.mixtureFor("sensor-1").halfLife());
        assertEquals(dev.mixstream.gmm.CovarianceType.SPHERICAL, s.mixtureFor("sensor-1").covarianceType());
        assertEquals(s.mixture(), s.mixtureFor("pump-1"));
    }

    private static Map<String, String> with(Map<String, String> base, String key, String value) {
        Map<String, String> m = new java.util.HashMap<>(base);
        m.put(key, value);
        return m;
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
