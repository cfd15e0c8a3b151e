package dev.mixstream.dashboard;

import dev.mixstream.snapshot.MixtureSnapshot;

import java.util.ArrayList;
import java.util.List;

/**
 * Builds a model's {@link ModelView}: its snapshot (the parameters) and this instance's {@link RecentActivity}
 * (the points), drawn on the plane asked for.
 */
public final class ModelViews {
    private final RecentActivity activity;

    /** The plane asked for: a coordinate pair, principal axes, or null for the default (see {@link #plane}). */
    public record PlaneRequest(Projection.Kind kind, int x, int y) {
        /** The default: coordinates 0 and 1 when D ≤ 2, the principal axes when D > 2. */
        public static final PlaneRequest DEFAULT = new PlaneRequest(null, 0, 1);
    }

    public ModelViews(RecentActivity activity) {
        this.activity = activity;
    }

    /**
     * The plane for a snapshot.
     *
     * @throws IllegalArgumentException when the coordinates asked for are not two different ones of the model's D
     */
    static Projection plane(MixtureSnapshot s, PlaneRequest r) {
        int d = s.dimension();
        Projection.Kind kind = r.kind() != null ? r.kind() : d > 2 ? Projection.Kind.PRINCIPAL_AXES
                : Projection.Kind.COORDINATES;
        if (kind == Projection.Kind.PRINCIPAL_AXES) {
            return Projection.principalAxes(s.weights(), s.means(), s.covariances());
        }
        if (d == 1) {
            return Projection.coordinates(1, 0, 0);
        }
        return Projection.coordinates(d, r.x(), r.y());
    }

    /** The view of the model whose latest snapshot is {@code s}, at wall-clock time {@code nowMs}. */
    public ModelView view(String key, MixtureSnapshot s, PlaneRequest request, long nowMs) {
        Projection p = plane(s, request);
        List<ModelView.Component> mixture = new ArrayList<>(s.components());
        java.util.Map<Integer, Integer> indexOfId = new java.util.HashMap<>();
        for (int k = 0; k < s.components(); k++) {
            double[] mean = p.apply(s.means()[k]);
            double[][] cov = p.apply(s.covariances()[k]);
            int id = s.componentIds() == null ? k : s.componentIds()[k];
            indexOfId.put(id, k);
            mixture.add(new ModelView.Component(id, s.weights()[k], mean, cov, Ellipse.contour(mean, cov, 1),
                    Ellipse.contour(mean, cov, 2)));
        }
        ModelTrace.Copy c = activity.recent(key, nowMs);
        ModelView.Recent recent;
        List<double[]> series = new ArrayList<>();
        if (c == null || c.dimension() != s.dimension()) {
            recent = new ModelView.Recent(false, activity.pointsPerModel(), 0, List.of());
        } else {
            List<double[]> points = new ArrayList<>(c.points().length);
            for (int i = 0; i < c.points().length; i++) {
                double[] xy = p.apply(c.points()[i]);
                Integer index = indexOfId.get(c.component()[i]); // the trace holds component ids
                if (index != null && Double.isFinite(xy[0]) && Double.isFinite(xy[1])
                        && Double.isFinite(c.logLikelihood()[i])) {
                    points.add(new double[]{xy[0], xy[1], index, c.logLikelihood()[i],
                            c.anomaly()[i] ? 1 : 0, c.time()[i]});
                }
            }
            recent = new ModelView.Recent(true, activity.pointsPerModel(), c.recorded(), points);
            for (int i = 0; i < c.second().length; i++) {
                int n = c.secondPoints()[i];
                double meanLl = c.secondLogLikelihood()[i] / n; // mean ℓ of the second's points
                if (Double.isFinite(meanLl)) {
                    series.add(new double[]{c.second()[i] * 1000.0, n, meanLl, (double) c.secondAnomalies()[i] / n});
                }
            }
        }
        ModelView.Plane plane = new ModelView.Plane(p.kind().wireName(), p.coordinates(), p.labels(), p.explained());
        return new ModelView(key, s.updatedAt(), s.components(), s.dimension(), s.covarianceType(), s.pointsSeen(),
                s.avgLogLikelihood(), s.refits(), s.anomaly() == null ? null : s.anomaly().rate(),
                s.anomaly() == null ? null : s.anomaly().alpha(), plane, mixture, recent, series);
    }
}
