package dev.mixstream.gmm;

/**
 * What a model does with abnormal points: which are flagged, and whether they are learned.
 * Not part of the model's state: the running application's settings apply to every model.
 *
 * @param alpha the flag threshold: a point is an anomaly when its score 1 − p ≥ 1 − α, i.e. when at most a
 *              fraction α of the model's own points are as unlikely ({@code mixstream.anomaly.alpha})
 * @param learn whether flagged points are learned ({@code mixstream.anomaly.learn}); when false they are
 *              answered and watched for drift, but their statistics are not taken in
 */
public record AnomalyPolicy(double alpha, boolean learn) {
    /** Default α: one point in a thousand of the model's own is flagged. */
    public static final double DEFAULT_ALPHA = 0.001;
    /** Flag at α = 0.001 and learn from every point. */
    public static final AnomalyPolicy DEFAULT = new AnomalyPolicy(DEFAULT_ALPHA, true);

    public AnomalyPolicy {
        if (!(alpha > 0 && alpha < 1)) {
            throw new IllegalArgumentException("anomaly alpha must be in (0, 1), got " + alpha);
        }
    }

    /** score ≥ 1 − α. */
    public boolean flags(double anomalyScore) {
        return anomalyScore >= 1.0 - alpha;
    }
}
