package dev.mixstream.gmm;

/**
 * Keeps a FULL mixture's Cholesky factors in step with statistics that take one point at a time (stepwise EM with
 * batch size 1) by O(D²) rank-one updates ({@link GaussianMixture#rankOneUpdate}) instead of an O(D³)
 * refactorisation of every touched component at every point.
 *
 * <p>What it changes in the model: Σ_k = C_k / W_k + ρ I (ρ = reg_covar). One point of weight w (r = w / W')
 * moves that to (1−r) Σ + r(1−r) δδᵀ + r ρ I. The last term, the new point's share of the floor, is a full-rank
 * change of the diagonal that no rank-one update can make, so the updates leave it out: between two
 * refactorisations a component's covariance is C_k / W_k + ρ (W₀_k / W_k) I, with W₀_k its weight (in stored
 * units) when it was last factorised. The floor is therefore at least (1 − {@link #FLOOR_SLACK}) ρ: a component is
 * refactorised from its statistics, which puts the floor back to ρ, when W₀_k / W_k would fall below that, after
 * {@link #MAX_UPDATES} updates (which bounds the rounding drift of the updates), and whenever the statistics change
 * as a whole (decay renormalisation, re-fit, load, decode of an older state).
 *
 * <p>Its fields are part of the model state: a decoded model must continue with the very same factors.
 */
final class IncrementalFactors {
    /** The floor may shrink to (1 − 1/32) ρ before the component is refactorised. */
    static final double FLOOR_SLACK = 1.0 / 32;
    /** Rank-one updates of one factor between two refactorisations, at most. */
    static final int MAX_UPDATES = 1024;

    /**
     * An update below this relative size is skipped: r (1 + ‖L⁻¹δ‖²) bounds how much it would move any entry of
     * the factor, relative to the factor, and 2⁻⁵³ is half an ulp. Skipped updates count as updates, so at most
     * {@link #MAX_UPDATES} of them (≈ 1e-13 in all) stand between the factor and the statistics.
     */
    static final double NEGLIGIBLE = 0x1p-53;

    /** W₀_k: the component's stored weight when it was last factorised from its statistics. */
    final double[] floorWeight;
    /** Rank-one updates of the component's factor since then. */
    final int[] updates;
    private final double[] work;
    /** 1 / ((1 − slack) ρ): the floor bounds Σ's smallest eigenvalue from below, so ‖L⁻¹δ‖² ≤ ‖δ‖² times this. */
    private final double inverseLowestFloor;

    IncrementalFactors(int components, int dimension, double regCovar) {
        this.floorWeight = new double[components];
        this.updates = new int[components];
        this.work = new double[dimension];
        this.inverseLowestFloor = 1.0 / ((1 - FLOOR_SLACK) * regCovar);
    }

    /** Component c was just factorised from statistics of stored weight {@code weight}. */
    void refactored(int c, double weight) {
        floorWeight[c] = weight;
        updates[c] = 0;
    }

    /**
     * Brings component c's factor in {@code target} along with a point of relative weight r and offset δ that
     * took the component's stored weight to {@code newWeight}, unless a refactorisation is due.
     *
     * @return false when the caller must refactorise the component from its statistics instead
     */
    boolean update(GaussianMixture target, int c, double r, double[] delta, double newWeight) {
        if (updates[c] >= MAX_UPDATES || floorWeight[c] < (1 - FLOOR_SLACK) * newWeight) {
            return false; // ρ W₀/W' < (1 − slack) ρ, or enough rounding accumulated
        }
        updates[c]++;
        if (r < NEGLIGIBLE && r * (1 + squaredNorm(delta) * inverseLowestFloor) < NEGLIGIBLE) {
            return true; // r (1 + ‖L⁻¹δ‖²) below half an ulp: the factor would not move (a far component)
        }
        return target.rankOneUpdate(c, r, delta, work);
    }

    private static double squaredNorm(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x * x;
        }
        return s;
    }
}
