package dev.mixstream.gmm;

import org.apache.commons.math3.distribution.ChiSquaredDistribution;

import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The standard-normal points from which {@link LogLikelihoodReference} draws a component's sample: z = r_j u
 * and z = −r_j u for strata j of the radius. A point of N(0, I_D) has ‖z‖² ~ χ²_D; the strata cut the
 * upper-tail probability s = P(χ²_D > ‖z‖²) ∈ (0, 1] into {@code n} intervals, geometric in s from 1 down to
 * 10⁻¹⁰ and one last interval [0, 10⁻¹⁰], so that the tail (where anomaly thresholds live) gets as many
 * points as the body: about n/10 per decade of tail probability. Stratum j carries the probability mass
 * w_j of its interval and is represented by the radius whose tail probability is the interval's midpoint
 * (r_j² = χ²_D upper quantile, from Apache Commons Math); its direction u_j is a fixed uniform direction.
 *
 * <p>A pure function of (D, n), computed once per pair and shared (immutable).
 */
final class ReferenceStrata {
    /** Decades of tail probability covered by the geometric strata. */
    static final int DECADES = 10;
    /** Fixed seed of the directions: the strata are part of the model's definition, not random per model. */
    private static final long DIRECTION_SEED = 0x5EED_A40_3A1L;
    private static final Map<Long, ReferenceStrata> CACHE = new ConcurrentHashMap<>();

    final int dimension;
    /** r_j. */
    final double[] radii;
    /** w_j, summing to 1. */
    final double[] masses;
    /** The sample points of stratum j, rows 2j and 2j + 1: z = −r_j u_j and z = r_j u_j (u_j a unit vector). */
    final double[][] points;
    /** ‖z‖² of each row of {@link #points}. */
    final double[] squaredNorms;

    private ReferenceStrata(int dimension, int strata) {
        this.dimension = dimension;
        this.radii = new double[strata];
        this.masses = new double[strata];
        this.points = new double[2 * strata][dimension];
        this.squaredNorms = new double[2 * strata];
        ChiSquaredDistribution chi2 = new ChiSquaredDistribution(null, dimension);
        SplittableRandom rng = new SplittableRandom(DIRECTION_SEED + dimension);
        double[] u = new double[dimension];
        for (int j = 0; j < strata; j++) {
            double upper = boundary(j, strata);
            double lower = j == strata - 1 ? 0.0 : boundary(j + 1, strata);
            masses[j] = upper - lower;
            double mid = 0.5 * (upper + lower);
            radii[j] = Math.sqrt(chi2.inverseCumulativeProbability(1.0 - mid)); // P(χ²_D > r²) = mid
            double norm = 0;
            for (int i = 0; i < dimension; i++) {
                u[i] = rng.nextGaussian();
                norm += u[i] * u[i];
            }
            double inverse = 1.0 / Math.sqrt(norm);
            for (int i = 0; i < dimension; i++) {
                u[i] *= inverse; // u = g / ‖g‖, uniform on the sphere
            }
            for (int side = 0; side < 2; side++) {
                double r = side == 0 ? -radii[j] : radii[j];
                double squaredNorm = 0;
                for (int i = 0; i < dimension; i++) {
                    double zi = r * u[i]; // z = ∓r_j u_j
                    points[2 * j + side][i] = zi;
                    squaredNorm += zi * zi;
                }
                squaredNorms[2 * j + side] = squaredNorm;
            }
        }
    }

    /** b_j = 10^(−DECADES · j / (n − 1)), the upper end of stratum j's tail-probability interval. */
    private static double boundary(int j, int strata) {
        return j == 0 ? 1.0 : Math.pow(10.0, -(double) DECADES * j / (strata - 1));
    }

    /** The strata for dimension D with {@code strata} intervals (shared, immutable). */
    static ReferenceStrata of(int dimension, int strata) {
        if (dimension < 1 || strata < 2) {
            throw new IllegalArgumentException("need D >= 1 and at least 2 strata, got " + dimension + ", " + strata);
        }
        return CACHE.computeIfAbsent(((long) dimension << 32) | strata, key -> new ReferenceStrata(dimension, strata));
    }

    int size() {
        return radii.length;
    }
}
