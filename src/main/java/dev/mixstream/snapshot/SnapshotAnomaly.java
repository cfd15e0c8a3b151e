package dev.mixstream.snapshot;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.mixstream.gmm.LogLikelihoodReference;
import dev.mixstream.gmm.OnlineMixture;

/**
 * The anomaly side of a snapshot: how often the model flags points lately, and the quantiles of its own
 * log-likelihood distribution (the thresholds its scores come from: a point below {@code p0_1} has
 * anomaly_score ≥ 0.999).
 *
 * @param alpha                  the flag threshold α in force
 * @param rate                   recent fraction of flagged points (weighted with the model's half-life); compare
 *                               it with α: a rate far above α means the data no longer look like the model
 * @param anomalies              points flagged since the model was created
 * @param pointsNotLearned       flagged points kept out of the statistics (mixstream.anomaly.learn=false)
 * @param logLikelihoodQuantiles ℓ(p) for p = 0.5, 0.01, 0.001 under the model itself
 */
public record SnapshotAnomaly(
        @JsonProperty("alpha") double alpha,
        @JsonProperty("rate") double rate,
        @JsonProperty("anomalies") long anomalies,
        @JsonProperty("points_not_learned") long pointsNotLearned,
        @JsonProperty("log_likelihood_quantiles") Quantiles logLikelihoodQuantiles) {

    /** ℓ(p) at the three levels operators watch. */
    public record Quantiles(@JsonProperty("p50") double p50, @JsonProperty("p1") double p1,
                            @JsonProperty("p0_1") double p01) {
        static Quantiles of(LogLikelihoodReference r) {
            return new Quantiles(r.quantile(0.5), r.quantile(0.01), r.quantile(0.001));
        }
    }

    /** The anomaly state of an initialised model. */
    public static SnapshotAnomaly of(OnlineMixture m) {
        return new SnapshotAnomaly(m.anomalyPolicy().alpha(), m.anomalyRate(), m.anomalies(), m.pointsNotLearned(),
                Quantiles.of(m.reference()));
    }
}
