package dev.mixstream.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * One model in {@code GET /models}.
 *
 * @param key        the model's key
 * @param components K
 * @param dimension  D
 * @param pointsSeen points learned (or buffered) as of the last commit
 * @param refits     re-fits so far
 * @param updatedAt  epoch milliseconds of its latest snapshot, or null while warming up
 * @param warmingUp  true while the model is buffering its first points (it has no parameters yet)
 * @param avgLogLikelihood average log-likelihood per point as of the last commit, or null while warming up
 * @param anomalyRate recent fraction of flagged points as of the last commit, or null while warming up
 */
@JsonPropertyOrder({"key", "components", "dimension", "points_seen", "refits", "updated_at", "warming_up",
        "avg_log_likelihood", "anomaly_rate"})
@JsonInclude(JsonInclude.Include.ALWAYS)
public record ModelListing(@JsonProperty("key") String key, @JsonProperty("components") int components,
                           @JsonProperty("dimension") int dimension, @JsonProperty("points_seen") long pointsSeen,
                           @JsonProperty("refits") long refits, @JsonProperty("updated_at") Long updatedAt,
                           @JsonProperty("warming_up") boolean warmingUp,
                           @JsonProperty("avg_log_likelihood") Double avgLogLikelihood,
                           @JsonProperty("anomaly_rate") Double anomalyRate) {
}
