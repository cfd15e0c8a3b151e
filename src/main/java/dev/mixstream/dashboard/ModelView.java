package dev.mixstream.dashboard;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.List;

/**
 * What the dashboard draws of one model ({@code GET /models/{key}/view}, and each event of
 * {@code /models/{key}/events}): its latest snapshot projected on a plane ({@link Projection}), with each
 * component's 1σ and 2σ ellipses, the recent points this instance holds for it, and its per-second history.
 *
 * @param key              the model's key
 * @param updatedAt        epoch milliseconds of the snapshot drawn
 * @param components       K
 * @param dimension        D
 * @param covarianceType   full, diag or spherical
 * @param pointsSeen       points the model had learned at that snapshot
 * @param avgLogLikelihood average log-likelihood per point at that snapshot
 * @param refits           re-fits so far
 * @param anomalyRate      the snapshot's recent anomaly rate, or null
 * @param anomalyAlpha     the flag threshold α, or null
 * @param projection       the plane
 * @param mixture          the K components, projected
 * @param recent           the recent points, projected
 * @param series           per second: [epoch ms of the second, points, mean log-likelihood, anomaly fraction], oldest
 *                         first
 */
@JsonPropertyOrder({"key", "updated_at", "components", "dimension", "covariance_type", "points_seen",
        "avg_log_likelihood", "refits", "anomaly_rate", "anomaly_alpha", "projection", "mixture", "recent", "series"})
@JsonInclude(JsonInclude.Include.ALWAYS)
public record ModelView(@JsonProperty("key") String key, @JsonProperty("updated_at") Long updatedAt,
                        @JsonProperty("components") int components, @JsonProperty("dimension") int dimension,
                        @JsonProperty("covariance_type") String covarianceType,
                        @JsonProperty("points_seen") long pointsSeen,
                        @JsonProperty("avg_log_likelihood") double avgLogLikelihood,
                        @JsonProperty("refits") long refits, @JsonProperty("anomaly_rate") Double anomalyRate,
                        @JsonProperty("anomaly_alpha") Double anomalyAlpha,
                        @JsonProperty("projection") Plane projection,
                        @JsonProperty("mixture") List<Component> mixture,
                        @JsonProperty("recent") Recent recent,
                        @JsonProperty("series") List<double[]> series) {

    /**
     * The plane of the view.
     *
     * @param kind        coordinates or principal_axes
     * @param coordinates the two coordinate indices (kind coordinates), else null
     * @param labels      the two axes' names
     * @param explained   the share of variance along each principal axis (kind principal_axes), else null
     */
    @JsonPropertyOrder({"kind", "coordinates", "labels", "explained"})
    public record Plane(@JsonProperty("kind") String kind, @JsonProperty("coordinates") int[] coordinates,
                        @JsonProperty("labels") String[] labels, @JsonProperty("explained") double[] explained) {
    }

    /**
     * One component in the plane.
     *
     * @param id         the component's id (stable for its life; see the snapshot's component_ids)
     * @param weight     π_k
     * @param mean       P μ_k
     * @param covariance P Σ_k Pᵀ
     * @param sigma1     its 1σ contour, a closed polygon of [x, y]
     * @param sigma2     its 2σ contour
     */
    @JsonPropertyOrder({"id", "weight", "mean", "covariance", "sigma1", "sigma2"})
    public record Component(@JsonProperty("id") int id, @JsonProperty("weight") double weight,
                            @JsonProperty("mean") double[] mean,
                            @JsonProperty("covariance") double[][] covariance,
                            @JsonProperty("sigma1") double[][] sigma1, @JsonProperty("sigma2") double[][] sigma2) {
    }

    /**
     * The recent points this instance holds for the model.
     *
     * @param held     false when this instance holds none (it follows other models, or took this one over lately)
     * @param capacity points kept per model
     * @param recorded points recorded since this instance began following the model
     * @param points   oldest first: [x, y, component, log-likelihood, 1 if flagged else 0, epoch ms], component the
     *                 index in {@code mixture} of the component the point was assigned to (points of a component that
     *                 no longer exists are left out)
     */
    @JsonPropertyOrder({"held", "capacity", "recorded", "points"})
    public record Recent(@JsonProperty("held") boolean held, @JsonProperty("capacity") int capacity,
                         @JsonProperty("recorded") long recorded, @JsonProperty("points") List<double[]> points) {
    }
}
