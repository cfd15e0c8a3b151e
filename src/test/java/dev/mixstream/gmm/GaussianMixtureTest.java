package dev.mixstream.gmm;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GaussianMixtureTest {
    private static final double LOG_2PI = Math.log(2 * Math.PI);

    @Test
    void oneDimensionalDensityMatchesHandComputation() {
        GaussianMixture g = GaussianMixture.of(CovarianceType.FULL, new double[]{1}, new double[][]{{0}},
                new double[][][]{{{4}}});
        // log N(1 | 0, 4) = −½ (log 2π + log 4 + 1²/4)
        assertEquals(-0.5 * (LOG_2PI + Math.log(4) + 0.25), g.logDensity(0, new double[]{1}), 1e-14);
        assertEquals(Math.log(4), g.logDeterminant(0), 1e-14);
    }

    @Test
    void twoDimensionalFullDensityMatchesHandComputation() {
        GaussianMixture g = GaussianMixture.of(CovarianceType.FULL, new double[]{1}, new double[][]{{0, 0}},
                new double[][][]{{{2, 1}, {1, 2}}});
        // Σ⁻¹ = ⅓ [[2, −1], [−1, 2]] so (1,0) Σ⁻¹ (1,0)ᵀ = 2/3; |Σ| = 3
        double expected = -0.5 * (2 * LOG_2PI + Math.log(3) + 2.0 / 3.0);
        assertEquals(expected, g.logDensity(0, new double[]{1, 0}), 1e-14);
        assertEquals(expected, g.logLikelihood(new double[]{1, 0}), 1e-14);
    }

    @Test
    void diagonalAndSphericalDensities() {
        double[][][] cov = {{{4, 0.5}, {0.5, 9}}};
        GaussianMixture diag = GaussianMixture.of(CovarianceType.DIAG, new double[]{1}, new double[][]{{1, 2}}, cov);
        // diag ignores the off-diagonal: −½ (2 log 2π + log 36 + 1/4 + 4/9) at x = (2, 4)
        assertEquals(-0.5 * (2 * LOG_2PI + Math.log(36) + 0.25 + 4.0 / 9.0),
                diag.logLikelihood(new double[]{2, 4}), 1e-14);
        GaussianMixture sph = GaussianMixture.of(CovarianceType.SPHERICAL, new double[]{1}, new double[][]{{1, 2}}, cov);
        // spherical uses σ² = tr/D = 6.5
        assertEquals(-0.5 * (2 * LOG_2PI + 2 * Math.log(6.5) + 5 / 6.5),
                sph.logLikelihood(new double[]{2, 4}), 1e-14);
        assertEquals(0.0, sph.covariance(0)[0][1]);
        assertEquals(6.5, sph.covariance(0)[1][1]);
    }

    @Test
    void responsibilitiesMatchHandComputation() {
        GaussianMixture g = GaussianMixture.of(CovarianceType.FULL, new double[]{0.5, 0.5},
                new double[][]{{0}, {2}}, new double[][][]{{{1}}, {{1}}});
        double[] r = new double[2];
        g.score(new double[]{1}, r);
        assertEquals(0.5, r[0], 1e-15);
        g.score(new double[]{0}, r);
        // γ_0 = N(0|0,1) / (N(0|0,1) + N(0|2,1)) = 1 / (1 + e^{−2})
        assertEquals(1 / (1 + Math.exp(-2)), r[0], 1e-15);
        assertEquals(1, r[0] + r[1], 1e-15);
    }

    @Test
    void pointsFarFromEveryComponentStayFinite() {
        GaussianMixture g = GaussianMixture.of(CovarianceType.FULL, new double[]{0.3, 0.7},
                new double[][]{{0, 0}, {1, 0}}, new double[][][]{{{1, 0}, {0, 1}}, {{1e-4, 0}, {0, 1e-4}}});
        double[] r = new double[2];
        double ll = g.score(new double[]{1e7, -3e7}, r);
        assertTrue(Double.isFinite(ll) && ll < -1e14, "ll " + ll);
        assertEquals(1.0, r[0] + r[1], 1e-12);
        // the broad component explains a far point far better than the narrow one
        assertEquals(1.0, r[0], 1e-12);
        assertEquals(0, LogSumExp.argmax(r, 2));
    }

    @Test
    void nearSingularCovarianceFactorises() {
        double e = 1e-12;
        GaussianMixture g = GaussianMixture.of(CovarianceType.FULL, new double[]{1}, new double[][]{{0, 0}},
                new double[][][]{{{1, 1 - e}, {1 - e, 1}}});
        // |Σ| = 1 − (1 − e)² ≈ 2e
        assertEquals(Math.log(2 * e), g.logDeterminant(0), 1e-3);
        assertTrue(Double.isFinite(g.logLikelihood(new double[]{1, -1})));
    }

    @Test
    void notPositiveDefiniteOrNonFiniteParametersAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> GaussianMixture.of(CovarianceType.FULL,
                new double[]{1}, new double[][]{{0, 0}}, new double[][][]{{{1, 2}, {2, 1}}}));
        assertThrows(IllegalArgumentException.class, () -> GaussianMixture.of(CovarianceType.FULL,
                new double[]{1}, new double[][]{{Double.NaN, 0}}, new double[][][]{{{1, 0}, {0, 1}}}));
        assertThrows(IllegalArgumentException.class, () -> GaussianMixture.of(CovarianceType.FULL,
                new double[]{0}, new double[][]{{0, 0}}, new double[][][]{{{1, 0}, {0, 1}}}));
    }

    @Test
    void samplesHaveTheMixtureMoments() {
        GaussianMixture g = GaussianMixture.of(CovarianceType.FULL, new double[]{1}, new double[][]{{3, -1}},
                new double[][][]{{{2, 0.8}, {0.8, 1}}});
        SplittableRandom rng = new SplittableRandom(1);
        int n = 200_000;
        double[] x = new double[2];
        double sx = 0, sy = 0, sxy = 0;
        for (int i = 0; i < n; i++) {
            g.sample(rng, x);
            sx += x[0];
            sy += x[1];
            sxy += (x[0] - 3) * (x[1] + 1);
        }
        assertEquals(3, sx / n, 0.02);
        assertEquals(-1, sy / n, 0.02);
        assertEquals(0.8, sxy / n, 0.02);
    }

    @Test
    void logSumExpHandlesHugeAndTinyExponents() {
        assertEquals(1000 + Math.log(2), LogSumExp.logSumExp(new double[]{1000, 1000}, 2), 1e-12);
        assertEquals(-1000 + Math.log(2), LogSumExp.logSumExp(new double[]{-1000, -1000}, 2), 1e-12);
        assertEquals(1e300, LogSumExp.logSumExp(new double[]{1e300, -1e300}, 2));
        assertEquals(5, LogSumExp.logSumExp(new double[]{Double.NEGATIVE_INFINITY, 5}, 2));
        assertEquals(Double.NEGATIVE_INFINITY,
                LogSumExp.logSumExp(new double[]{Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY}, 2));
        // only the first n entries count
        assertEquals(7, LogSumExp.logSumExp(new double[]{7, 1e6}, 1));
    }

    /**
     * The pruned E-step against the exhaustive one (every component's full log-density, then log-sum-exp): over
     * separated and overlapping mixtures of every covariance type, log p(x) agrees to a few ulps, every pruned γ_k is
     * one whose exact value is below 2⁻⁶⁴, every other γ_k agrees to 1e-12 (relative), and pruning does happen (γ_k
     * set to 0 where the exact value had not underflowed).
     */
    @Test
    void prunedScoresAreTheExhaustiveOnesToRounding() {
        int pruned = 0;
        int scored = 0;
        for (CovarianceType type : CovarianceType.values()) {
            for (double spread : new double[]{0.5, 2, 4, 12}) {
                for (int[] kd : new int[][]{{2, 2}, {5, 8}, {9, 24}}) {
                    int k = kd[0];
                    int d = kd[1];
                    GaussianMixture truth = SyntheticData.randomFull(k, d, spread, 41L * k + d);
                    GaussianMixture g = type == CovarianceType.FULL ? truth : asType(truth, type);
                    SplittableRandom rng = new SplittableRandom(k * 7L + d);
                    double[] x = new double[d];
                    double[] gamma = new double[k];
                    double[] logTerms = new double[k];
                    for (int n = 0; n < 400; n++) {
                        truth.sample(rng, x);
                        if (n % 5 == 0) { // and points far from every component
                            for (int i = 0; i < d; i++) {
                                x[i] += 30 * spread * rng.nextGaussian();
                            }
                        }
                        double ll = g.score(x, gamma);
                        for (int c = 0; c < k; c++) {
                            logTerms[c] = Math.log(g.weight(c)) + g.logDensity(c, x); // log π_k N(x|μ_k,Σ_k)
                        }
                        double exact = LogSumExp.logSumExp(logTerms, k);
                        assertTrue(Math.abs(ll - exact) <= 8 * Math.ulp(exact), type + " " + ll + " vs " + exact);
                        double max = Arrays.stream(logTerms, 0, k).max().orElseThrow();
                        double sum = 0;
                        for (int c = 0; c < k; c++) {
                            sum += Math.exp(logTerms[c] - max);
                        }
                        for (int c = 0; c < k; c++) {
                            double exactGamma = Math.exp(logTerms[c] - max) / sum; // γ_k, exhaustively
                            scored++;
                            if (gamma[c] == 0 && exactGamma > 0) {
                                pruned++;
                                assertTrue(exactGamma < 0x1p-64, "pruned γ = " + exactGamma);
                            } else {
                                assertEquals(exactGamma, gamma[c], 4 * Math.ulp(exactGamma), type + " γ_" + c);
                            }
                        }
                    }
                }
            }
        }
        assertTrue(pruned > scored / 10, "pruning took place: " + pruned + " of " + scored);
    }

    private static GaussianMixture asType(GaussianMixture full, CovarianceType type) {
        int k = full.components();
        double[] w = full.weights();
        double[][] means = new double[k][];
        double[][][] covs = new double[k][][];
        for (int c = 0; c < k; c++) {
            means[c] = full.mean(c);
            covs[c] = full.covariance(c);
        }
        return GaussianMixture.of(type, w, means, covs);
    }

    /**
     * The reference refresh's shortcut: for x = μ_c + L_c z, component c's term from ‖z‖² (no substitution) and the
     * others pruned against it, in O(D) where ‖x − μ_k‖² / λ_max(Σ_k) already proves them negligible, give log p(x)
     * as the E-step computes it, to rounding — for every covariance type, separated and overlapping components,
     * points near the mean and far in the tail.
     */
    @Test
    void aPointsLogLikelihoodFromItsOwnComponentsRadiusIsTheEStepsToRounding() {
        SplittableRandom rng = new SplittableRandom(17);
        for (CovarianceType type : CovarianceType.values()) {
            for (double spread : new double[]{0.5, 2, 8, 40}) {
                int k = 1 + rng.nextInt(6);
                int d = 1 + rng.nextInt(10);
                GaussianMixture g = SyntheticData.randomOverlapping(type, k, d, spread, rng.nextLong());
                double[] bounds = new double[k];
                g.spectralBounds(bounds);
                double[] z = new double[d];
                double[] x = new double[d];
                for (int trial = 0; trial < 400; trial++) {
                    int c = rng.nextInt(k);
                    double radius = rng.nextDouble() * 9;
                    double squaredNorm = 0;
                    for (int i = 0; i < d; i++) {
                        z[i] = rng.nextGaussian();
                        squaredNorm += z[i] * z[i];
                    }
                    double scale = radius / Math.sqrt(squaredNorm);
                    squaredNorm = 0;
                    for (int i = 0; i < d; i++) {
                        z[i] *= scale;
                        squaredNorm += z[i] * z[i];
                    }
                    g.transform(c, z, x);
                    double expected = g.logLikelihood(x);
                    double actual = g.logLikelihoodWith(c, g.logDensityAt(c, squaredNorm), x, bounds);
                    assertEquals(expected, actual, 1e-12 * Math.max(1, Math.abs(expected)),
                            type + " K=" + k + " D=" + d + " spread " + spread + " radius " + radius);
                }
            }
        }
    }

    /** The O(D) pruning's bound: ‖L‖₁ ‖L‖_∞ (or max σ²) is never below Σ's largest eigenvalue. */
    @Test
    void spectralBoundsAreAtLeastTheLargestEigenvalue() {
        SplittableRandom rng = new SplittableRandom(23);
        for (CovarianceType type : CovarianceType.values()) {
            for (int trial = 0; trial < 50; trial++) {
                int k = 1 + rng.nextInt(4);
                int d = 1 + rng.nextInt(12);
                GaussianMixture g = SyntheticData.randomOverlapping(type, k, d, 2, rng.nextLong());
                double[] bounds = new double[k];
                g.spectralBounds(bounds);
                for (int c = 0; c < k; c++) {
                    double[][] sigma = g.covariance(c);
                    var eig = org.ejml.dense.row.factory.DecompositionFactory_DDRM.eig(d, false, true);
                    assertTrue(eig.decompose(new org.ejml.data.DMatrixRMaj(sigma)));
                    double largest = 0;
                    for (int i = 0; i < d; i++) {
                        largest = Math.max(largest, eig.getEigenvalue(i).getReal());
                    }
                    assertTrue(bounds[c] >= largest * (1 - 1e-12), type + ": " + bounds[c] + " < λ_max " + largest);
                    assertTrue(bounds[c] <= d * largest * (1 + 1e-9), "and not looser than D λ_max: " + bounds[c]);
                }
            }
        }
    }

    /**
     * A whole stratum alone with its component: where {@code othersNegligible} says so for a radius, every other
     * component's term at every point within it — random directions, and straight towards each other mean at the
     * full radius — is below 2⁻⁶⁴ of the own one; well-separated components have such strata near their means and
     * not in the far tail, overlapping ones none.
     */
    @Test
    void aStratumIsAloneWithItsComponentOnlyWhereTheOthersAreNegligible() {
        SplittableRandom rng = new SplittableRandom(31);
        GaussianMixture separated = SyntheticData.unitClusters(CovarianceType.FULL, 4, 3, 8, rng);
        GaussianMixture overlapping = SyntheticData.randomOverlapping(CovarianceType.FULL, 4, 3, 1, 5);
        for (GaussianMixture g : new GaussianMixture[]{separated, overlapping}) {
            int k = g.components();
            int d = g.dimension();
            double[] bounds = new double[k];
            double[] distances = new double[k * k];
            g.spectralBounds(bounds);
            g.meanDistances(distances);
            int negligible = 0;
            int shared = 0;
            double[] z = new double[d];
            double[] x = new double[d];
            for (int c = 0; c < k; c++) {
                for (double radius = 0.25; radius <= 12; radius += 0.25) {
                    double own = g.logWeight(c) + g.logDensityAt(c, radius * radius);
                    if (!g.othersNegligible(c, radius, own, bounds, distances)) {
                        shared++;
                        continue;
                    }
                    negligible++;
                    for (int trial = 0; trial < 50 + k; trial++) {
                        double norm = 0;
                        for (int i = 0; i < d; i++) {
                            z[i] = trial < 50 ? rng.nextGaussian() : g.mean(trial - 50)[i] - g.mean(c)[i];
                            norm += z[i] * z[i];
                        }
                        if (norm == 0) {
                            continue;
                        }
                        double inside = radius * (trial < 50 ? rng.nextDouble() : 1) / Math.sqrt(norm); // ‖z‖ ≤ radius
                        for (int i = 0; i < d; i++) {
                            z[i] *= inside;
                        }
                        g.transform(c, z, x);
                        double ownTerm = g.logWeight(c) + g.logDensity(c, x);
                        for (int other = 0; other < k; other++) {
                            if (other != c) {
                                double term = g.logWeight(other) + g.logDensity(other, x);
                                assertTrue(term < ownTerm - 64 * Math.log(2), "component " + other + " at radius " + radius);
                            }
                        }
                    }
                }
            }
            if (g == separated) {
                assertTrue(negligible > 0 && shared > 0, "separated components have strata to themselves near their "
                        + "means, not in the far tail: " + negligible + " and " + shared);
            } else {
                assertEquals(0, negligible, "overlapping components share every stratum");
            }
        }
    }

    /**
     * A stratum's antithetic pair x = μ_c ∓ L_c z: where {@code aloneOfPair} declares a point alone, every other
     * component's term there is below 2⁻⁶⁴ of its own; well-separated components have such points near their means
     * and not all the way towards another mean; overlapping ones share points (a narrow component inside a wide one).
     */
    @Test
    void aPointIsAloneWithItsComponentOnlyWhereTheOthersAreNegligible() {
        SplittableRandom rng = new SplittableRandom(29);
        GaussianMixture separated = SyntheticData.unitClusters(CovarianceType.FULL, 4, 3, 8, rng);
        for (CovarianceType type : CovarianceType.values()) {
            GaussianMixture overlapping = SyntheticData.randomOverlapping(type, 4, 3, 1, 5);
            for (GaussianMixture g : new GaussianMixture[]{separated, overlapping}) {
                int k = g.components();
                int d = g.dimension();
                double[] bounds = new double[k];
                g.spectralBounds(bounds);
                int alone = 0;
                int shared = 0;
                double[] z = new double[d];
                double[] minus = new double[d];
                double[] y = new double[d];
                double[] x = new double[d];
                for (int c = 0; c < k; c++) {
                    for (int trial = 0; trial < 2_000; trial++) {
                        double norm = 0;
                        int towards = trial % (k + 1); // random directions, and straight towards each other mean
                        for (int i = 0; i < d; i++) {
                            z[i] = towards == k ? rng.nextGaussian() : g.mean(towards)[i] - g.mean(c)[i];
                            norm += z[i] * z[i];
                        }
                        if (norm == 0) {
                            continue;
                        }
                        double scale = rng.nextDouble() * 12 / Math.sqrt(norm);
                        double squaredNorm = 0;
                        for (int i = 0; i < d; i++) {
                            z[i] *= scale;
                            minus[i] = -z[i];
                            squaredNorm += z[i] * z[i];
                        }
                        double own = g.logWeight(c) + g.logDensityAt(c, squaredNorm);
                        g.factorTimes(c, z, y);
                        int mask = g.aloneOfPair(c, y, own, bounds);
                        for (int side = 0; side < 2; side++) {
                            if ((mask & (1 << side)) == 0) {
                                shared++;
                                continue;
                            }
                            alone++;
                            g.transform(c, side == 0 ? minus : z, x);
                            double ownTerm = g.logWeight(c) + g.logDensity(c, x);
                            for (int other = 0; other < k; other++) {
                                if (other != c) {
                                    double term = g.logWeight(other) + g.logDensity(other, x);
                                    assertTrue(term < ownTerm - 64 * Math.log(2), type + ": component " + other
                                            + " at " + Arrays.toString(x) + " beside " + c);
                                }
                            }
                        }
                    }
                }
                if (g == separated) {
                    assertTrue(alone > 0 && shared > 0, "separated components have points to themselves near their "
                            + "means, not in the far tail towards another: " + alone + " and " + shared);
                } else {
                    assertTrue(shared > 0, type + ": overlapping components share points");
                }
            }
        }
    }
}
