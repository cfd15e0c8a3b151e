package dev.mixstream.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mixstream.gmm.CovarianceType;
import dev.mixstream.gmm.GaussianMixture;
import dev.mixstream.gmm.MixtureConfig;
import dev.mixstream.gmm.OnlineMixture;
import dev.mixstream.gmm.ScoreSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MixtureSnapshotTest {
    private static OnlineMixture trained(CovarianceType type) {
        OnlineMixture m = new OnlineMixture(MixtureConfig.defaults(2, type).withHalfLife(500));
        SplittableRandom rng = new SplittableRandom(1);
        for (int i = 0; i < 2000; i++) {
            double c = i % 3 == 0 ? 5 : -5;
            m.learn(new double[]{c + rng.nextGaussian() / 3, rng.nextGaussian() * 1e-3, 1e6 + rng.nextGaussian()},
                    ScoreSink.IGNORE);
        }
        return m;
    }

    @Test
    void jsonRoundTripsExactly(@TempDir Path dir) throws Exception {
        for (CovarianceType type : CovarianceType.values()) {
            OnlineMixture m = trained(type);
            MixtureSnapshot s = MixtureSnapshot.of(m).withModel("sensor-1", 1732512345123L);
            String json = SnapshotJson.toJson(s);
            MixtureSnapshot back = SnapshotJson.fromJson(json);
            assertEquals(json, SnapshotJson.toJson(back));
            GaussianMixture g = back.toMixture();
            GaussianMixture orig = m.parameters();
            for (int c = 0; c < 2; c++) {
                assertEquals(orig.weight(c), g.weight(c), 0.0);
                assertArrayEquals(orig.mean(c), g.mean(c), 0.0);
                for (int i = 0; i < 3; i++) {
                    assertArrayEquals(orig.covariance(c)[i], g.covariance(c)[i], 0.0);
                }
            }
            double[] x = {1, 0, 1e6};
            assertEquals(orig.logLikelihood(x), g.logLikelihood(x), 0.0);
            Path file = dir.resolve(type + ".json");
            SnapshotJson.write(s, file);
            assertEquals(json, SnapshotJson.toJson(SnapshotJson.read(file)));
            // the configuration in force: W resolved from auto (0) to the model's own
            assertEquals(0, m.config().warmup());
            assertEquals(m.warmup(), back.config().warmup());
            assertEquals(m.config().withWarmup(m.warmup()), back.config().toMixtureConfig());
        }
    }

    @Test
    void jsonHasTheDocumentedFields() throws Exception {
        OnlineMixture m = trained(CovarianceType.DIAG);
        JsonNode n = SnapshotJson.mapper().readTree(SnapshotJson.toJson(MixtureSnapshot.of(m)));
        for (String f : new String[]{"format_version", "components", "dimension", "covariance_type", "weights",
                "means", "covariances", "n_eff", "points_seen", "avg_log_likelihood", "refits", "config"}) {
            assertTrue(n.has(f), f);
        }
        assertFalse(n.has("model"), "model is only set on the snapshots topic");
        assertEquals("diag", n.get("covariance_type").asText());
        assertEquals(3, n.get("covariances").get(0).size());
        assertEquals(3, n.get("covariances").get(0).get(0).size());
        assertEquals(500.0, n.get("config").get("half_life").asDouble());
        assertEquals(2000, n.get("points_seen").asLong());
    }

    @Test
    void rejectsWarmingUpModelsAndBrokenSnapshots() {
        assertThrows(IllegalStateException.class,
                () -> MixtureSnapshot.of(new OnlineMixture(MixtureConfig.defaults(2))));
        assertThrows(IllegalArgumentException.class, () -> SnapshotJson.fromJson("{not json"));
        String json = SnapshotJson.toJson(MixtureSnapshot.of(trained(CovarianceType.FULL)));
        String broken = json.replaceFirst("\"components\":2", "\"components\":3");
        assertThrows(IllegalArgumentException.class, () -> SnapshotJson.fromJson(broken).toMixture());
    }
}
