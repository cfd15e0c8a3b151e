package dev.mixstream.dashboard;

import dev.mixstream.gmm.CovarianceType;
import dev.mixstream.gmm.MixtureConfig;
import dev.mixstream.gmm.OnlineMixture;
import dev.mixstream.snapshot.MixtureSnapshot;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelViewsTest {
    private static final long NOW = 1_800_000_000_000L;

    @Test
    void aViewIsTheSnapshotProjectedWithTheRecentPointsAndTheirHistory() {
        int d = 5;
        OnlineMixture m = new OnlineMixture(MixtureConfig.defaults(3, CovarianceType.FULL).withWarmup(60));
        RecentActivity activity = new RecentActivity(100, 8);
        SplittableRandom rng = new SplittableRandom(2);
        List<Double> logLikelihoods = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            double[] x = new double[d];
            for (int j = 0; j < d; j++) {
                x[j] = 4 * (i % 3) + rng.nextGaussian();
            }
            m.learn(x, null, s -> {
                logLikelihoods.add(s.logLikelihood());
                activity.record("k", s, NOW);
            });
        }
        MixtureSnapshot s = MixtureSnapshot.of(m).withModel("k", NOW);
        ModelViews views = new ModelViews(activity);

        ModelView v = views.view("k", s, new ModelViews.PlaneRequest(Projection.Kind.COORDINATES, 4, 1), NOW);
        assertEquals("coordinates", v.projection().kind());
        assertArrayEquals(new int[]{4, 1}, v.projection().coordinates());
        for (int k = 0; k < 3; k++) {
            assertArrayEquals(new double[]{s.means()[k][4], s.means()[k][1]}, v.mixture().get(k).mean());
            assertEquals(s.covariances()[k][4][1], v.mixture().get(k).covariance()[0][1]);
            assertEquals(s.weights()[k], v.mixture().get(k).weight());
        }
        assertTrue(v.recent().held());
        assertEquals(100, v.recent().points().size());
        assertEquals(400, v.recent().recorded());
        double[] last = v.recent().points().get(99);
        assertEquals(logLikelihoods.get(399), last[3], "the newest point last");
        assertEquals(1, v.series().size(), "all in one second");
        double mean = logLikelihoods.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        assertEquals(mean, v.series().get(0)[2], 1e-9, "the second's mean log-likelihood");
        assertEquals(400, v.series().get(0)[1]);

        ModelView pca = views.view("k", s, ModelViews.PlaneRequest.DEFAULT, NOW);
        assertEquals("principal_axes", pca.projection().kind(), "the default for D > 2");
        for (ModelView.Component c : pca.mixture()) {
            for (double[] p : c.sigma2()) {
                assertTrue(Double.isFinite(p[0]) && Double.isFinite(p[1]));
            }
        }
        assertThrows(IllegalArgumentException.class, () -> views.view("k", s,
                new ModelViews.PlaneRequest(Projection.Kind.COORDINATES, 0, 5), NOW));
    }

    @Test
    void withoutRecentPointsTheViewIsTheSnapshotAlone() {
        OnlineMixture m = new OnlineMixture(MixtureConfig.defaults(2, CovarianceType.DIAG).withWarmup(30));
        SplittableRandom rng = new SplittableRandom(3);
        for (int i = 0; i < 100; i++) {
            m.learn(new double[]{(i % 2) * 6 + rng.nextGaussian(), rng.nextGaussian()}, null, p -> { });
        }
        ModelView v = new ModelViews(RecentActivity.OFF).view("k", MixtureSnapshot.of(m).withModel("k", NOW),
                ModelViews.PlaneRequest.DEFAULT, NOW);
        assertFalse(v.recent().held());
        assertEquals(0, v.recent().points().size());
        assertEquals(0, v.series().size());
        assertEquals("coordinates", v.projection().kind(), "the default for D = 2");
        assertEquals(2, v.mixture().size());
    }
}
