package dev.mixstream.bench;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The targets of automatic K, on the sweep {@code bin/mixstream accuracy} reports: for true K in {1, 2, 3, 5, 8}, D in
 * {2, 8}, well separated and overlapping clusters, at most 12 components, the final K equals the true K and the
 * held-out log-likelihood is within 0.01 nats per point of the true mixture's for at least 18 of 20 seeds; a cluster
 * that appears or vanishes is followed within two half-lives in at least 18 of 20 streams.
 */
@Tag("accuracy")
class OnlineKSweepTest {
    private static final int SEEDS = 20;
    private static final int THREADS = Math.max(1, Runtime.getRuntime().availableProcessors());

    @Test
    void everyStationaryCaseFindsTheTrueKAndItsLikelihoodInNineSeedsOfTen() {
        List<OnlineKSweep.StationaryCase> cases = OnlineKSweep.stationarySweep(SEEDS, THREADS);
        assertEquals(OnlineKSweep.TRUE_K.length * OnlineKSweep.DIMENSIONS.length * 2, cases.size());
        StringBuilder missed = new StringBuilder();
        for (OnlineKSweep.StationaryCase c : cases) {
            assertEquals(SEEDS, c.runs().size());
            if (!c.met()) {
                missed.append(String.format("%n  D=%d %s K=%d: %d of %d right (%s)", c.dimension(),
                        c.separation().label(), c.trueK(), c.right(), SEEDS, c.misses()));
            }
        }
        assertTrue(missed.length() == 0, "cases below 18 of 20:" + missed);
    }

    @Test
    void kFollowsAClusterThatAppearsOrVanishesWithinTwoHalfLives() {
        for (OnlineKSweep.ChangeCase c : OnlineKSweep.changeSweep(SEEDS, THREADS)) {
            assertEquals(SEEDS, c.runs().size());
            assertTrue(c.met(), "D=" + c.dimension() + ": appeared in time in " + c.appearedInTime() + ", vanished in "
                    + "time in " + c.vanishedInTime() + " of " + SEEDS + " streams; worst lags "
                    + c.worstAppearLag() + " and " + c.worstVanishLag() + " half-lives");
        }
    }
}
