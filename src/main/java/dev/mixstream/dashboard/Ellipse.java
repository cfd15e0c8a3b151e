package dev.mixstream.dashboard;

/**
 * The r-σ contour of a 2-D Gaussian N(μ, S): the points μ + r L u, |u| = 1, where L Lᵀ = S is S's Cholesky
 * factor; they satisfy (x − μ)ᵀ S⁻¹ (x − μ) = r². Drawn as a closed polygon of {@value #VERTICES} vertices.
 */
final class Ellipse {
    static final int VERTICES = 64;

    private Ellipse() {
    }

    /** The closed polygon (first vertex repeated last), {@value #VERTICES} + 1 points of [x, y]. */
    static double[][] contour(double[] mean, double[][] s, double r) {
        // 2×2 Cholesky: l11 = √s11, l21 = s21 / l11, l22 = √(s22 − l21²); a degenerate axis (D = 1) gives 0
        double l11 = Math.sqrt(Math.max(0, s[0][0]));
        double l21 = l11 > 0 ? s[1][0] / l11 : 0;
        double l22 = Math.sqrt(Math.max(0, s[1][1] - l21 * l21));
        double[][] p = new double[VERTICES + 1][];
        for (int v = 0; v <= VERTICES; v++) {
            double t = 2 * Math.PI * (v % VERTICES) / VERTICES;
            double u0 = r * Math.cos(t);
            double u1 = r * Math.sin(t);
            p[v] = new double[]{mean[0] + l11 * u0, mean[1] + l21 * u0 + l22 * u1};
        }
        return p;
    }
}
