package dev.mixstream.dashboard;

import dev.mixstream.gmm.CovarianceType;
import dev.mixstream.gmm.MixtureConfig;
import dev.mixstream.gmm.OnlineMixture;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecentActivityTest {
    private static final long T0 = 1_800_000_000_000L;

    /** Learns n points, recording each score at T0 + i·step ms; returns the points in the order scored. */
    private static List<double[]> feed(RecentActivity a, String key, int n, long step, long seed) {
        return feed(a, key, n, step, seed, T0);
    }

    /** Learns n points, recording each score at start + i·step ms; returns the points in the order scored. */
    private static List<double[]> feed(RecentActivity a, String key, int n, long step, long seed, long start) {
        OnlineMixture m = new OnlineMixture(MixtureConfig.defaults(2, CovarianceType.FULL).withWarmup(20));
        SplittableRandom rng = new SplittableRandom(seed);
        List<double[]> scored = new ArrayList<>();
        long[] i = {0};
        for (int j = 0; j < n; j++) {
            double[] x = {(j % 2 == 0 ? -3 : 3) + rng.nextGaussian(), rng.nextGaussian()};
            m.learn(x, null, s -> {
                scored.add(s.point().clone());
                a.record(key, s, start + step * i[0]++);
            });
        }
        return scored;
    }

    @Test
    void itKeepsTheLastPointsInOrderAndTotalsPerSecond() {
        RecentActivity a = new RecentActivity(50, 4);
        List<double[]> scored = feed(a, "k", 200, 10, 1); // 200 points, 10 ms apart: 2 seconds
        ModelTrace.Copy c = a.recent("k", T0 + 2_000);
        assertEquals(2, c.dimension());
        assertEquals(200, c.recorded());
        assertEquals(50, c.points().length);
        for (int i = 0; i < 50; i++) {
            assertArrayEquals(scored.get(150 + i), c.points()[i], "oldest first, the last 50");
            assertEquals(T0 + 10L * (150 + i), c.time()[i]);
        }
        assertArrayEquals(new long[]{T0 / 1000, T0 / 1000 + 1}, c.second());
        assertArrayEquals(new int[]{100, 100}, c.secondPoints());
        // seconds older than the window are dropped
        assertEquals(0, a.recent("k", T0 + 1000L * ModelTrace.SERIES_SECONDS + 5_000).second().length);
    }

    @Test
    void theLeastRecentlyUpdatedModelMakesRoomAndOffRecordsNothing() {
        RecentActivity a = new RecentActivity(10, 2);
        feed(a, "a", 30, 1, 1);
        feed(a, "b", 30, 1, 2);
        feed(a, "a", 30, 1, 3); // a is now the most recently updated
        feed(a, "c", 30, 1, 4); // b makes room
        assertNull(a.recent("b", T0));
        assertEquals(60, a.recent("a", T0).recorded());
        assertEquals(30, a.recent("c", T0).recorded(), "c starts with nothing of b's");
        // nor with b's per-second totals, though b's points fell in the same second as c's
        assertArrayEquals(new int[]{30}, a.recent("c", T0 + 1).secondPoints(), "c's totals only");

        a.forget("a");
        assertNull(a.recent("a", T0));

        feed(RecentActivity.OFF, "a", 30, 1, 1);
        assertNull(RecentActivity.OFF.recent("a", T0));
        assertFalse(RecentActivity.OFF.enabled());
        assertFalse(new RecentActivity(0, 10).enabled());
        assertTrue(a.enabled());
    }

    /**
     * A trace handed to another model keeps none of the previous model's per-second totals: not those of older
     * seconds still in the window, and not those of the second the new model's first point falls in.
     */
    @Test
    void aTraceHandedOverStartsItsSecondsAfresh() {
        RecentActivity a = new RecentActivity(10, 1);
        long s0 = T0 / 1000;
        feed(a, "x", 30, 100, 1, T0); // 10 points in each of the seconds s0, s0+1, s0+2
        assertArrayEquals(new int[]{10, 10, 10}, a.recent("x", T0 + 3_000).secondPoints());
        feed(a, "y", 20, 100, 2, T0 + 2_000); // y takes x's trace: 10 points in s0+2, 10 in s0+3
        ModelTrace.Copy y = a.recent("y", T0 + 4_000);
        assertNull(a.recent("x", T0 + 4_000));
        assertArrayEquals(new long[]{s0 + 2, s0 + 3}, y.second(), "none of x's seconds");
        assertArrayEquals(new int[]{10, 10}, y.secondPoints(), "none of x's points in the second they share");
        assertEquals(20, y.recorded());
    }
}
