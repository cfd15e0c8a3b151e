package dev.mixstream.gmm;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MixtureConfigTest {
    @Test
    void stepSizeFollowsTheScheduleAndItsFloor() {
        MixtureConfig c = MixtureConfig.defaults(3).withStepExponent(0.6).withHalfLife(1000);
        assertEquals(Math.pow(2, -0.6), c.stepSize(0), 1e-15); // (0 + 2)^(−α)
        assertEquals(Math.pow(12, -0.6), c.stepSize(10), 1e-15);
        double floor = 1 - Math.pow(2, -1.0 / 1000); // η_min = 1 − 2^(−1/h)
        assertEquals(floor, c.minStepSize(), 1e-15);
        assertEquals(floor, c.stepSize(1L << 40), 1e-15);
        // a mini-batch of m points forgets as much per step as m single points
        assertEquals(1 - Math.pow(1 - floor, 8), c.withBatchSize(8).minStepSize(), 1e-12);
        assertEquals(0.0, c.withHalfLife(Double.POSITIVE_INFINITY).minStepSize());
    }

    @Test
    void defaultWarmupGrowsWithComponentsAndDimension() {
        assertEquals(100, MixtureConfig.defaultWarmup(3, 2));
        assertEquals(450, MixtureConfig.defaultWarmup(5, 8));
        assertEquals(450, MixtureConfig.defaults(5).warmupFor(8));
        assertEquals(77, MixtureConfig.defaults(5).withWarmup(77).warmupFor(8));
    }

    @Test
    void invalidValuesAreRejectedWithTheirName() {
        MixtureConfig c = MixtureConfig.defaults(3);
        assertMessage("components", () -> c.withComponents(0));
        assertMessage("reg_covar", () -> c.withRegCovar(0));
        assertMessage("reg_covar", () -> c.withRegCovar(Double.NaN));
        assertMessage("half_life", () -> c.withHalfLife(0.5));
        assertMessage("step_exponent", () -> c.withStepExponent(0.5));
        assertMessage("step_exponent", () -> c.withStepExponent(1.1));
        assertMessage("batch_size", () -> c.withBatchSize(0));
        assertMessage("warmup", () -> c.withWarmup(2));
        assertMessage("min_weight", () -> c.withMinWeight(0.5));
        assertMessage("init_iterations", () -> c.withInitIterations(0));
        assertMessage("covariance", () -> CovarianceType.parse("tied-ish"));
        assertEquals(CovarianceType.DIAG, CovarianceType.parse(" Diag "));
    }

    private static void assertMessage(String fragment, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }
}
