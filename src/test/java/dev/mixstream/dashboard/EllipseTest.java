package dev.mixstream.dashboard;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EllipseTest {
    /** Every vertex is at Mahalanobis distance r: checked with S's explicit 2×2 inverse (a test-only check). */
    @Test
    void theVerticesLieOnTheRSigmaContour() {
        double[] mean = {1.5, -2};
        double[][] s = {{4, 1.2}, {1.2, 0.9}};
        double det = s[0][0] * s[1][1] - s[0][1] * s[1][0];
        for (double r : new double[]{1, 2}) {
            double[][] p = Ellipse.contour(mean, s, r);
            assertEquals(Ellipse.VERTICES + 1, p.length);
            assertArrayEquals(p[0], p[Ellipse.VERTICES], "closed");
            double sx = 0;
            double sy = 0;
            for (int v = 0; v < Ellipse.VERTICES; v++) {
                double dx = p[v][0] - mean[0];
                double dy = p[v][1] - mean[1];
                double m2 = (s[1][1] * dx * dx - 2 * s[0][1] * dx * dy + s[0][0] * dy * dy) / det;
                assertEquals(r * r, m2, 1e-9);
                sx += p[v][0];
                sy += p[v][1];
            }
            assertEquals(mean[0], sx / Ellipse.VERTICES, 1e-9, "centred on the mean");
            assertEquals(mean[1], sy / Ellipse.VERTICES, 1e-9);
        }
    }

    @Test
    void aDegenerateAxisGivesASegmentNotNaN() {
        double[][] p = Ellipse.contour(new double[]{3, 0}, new double[][]{{4, 0}, {0, 0}}, 1);
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        for (double[] v : p) {
            assertTrue(Double.isFinite(v[0]) && v[1] == 0, "on the line: " + v[0] + ", " + v[1]);
            min = Math.min(min, v[0]);
            max = Math.max(max, v[0]);
        }
        assertEquals(1, min, 1e-12);
        assertEquals(5, max, 1e-12);
    }
}
