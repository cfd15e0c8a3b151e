package dev.mixstream.snapshot;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.mixstream.gmm.CovarianceType;
import dev.mixstream.gmm.GaussianMixture;
import dev.mixstream.gmm.OnlineMixture;

/**
 * The published form of a model: what {@code fit --model-out} writes, {@code score --model} reads and
 * the snapshots topic carries. Covariances are full D×D matrices whatever the covariance type.
 *
 * @param formatVersion     version of this JSON layout
 * @param model             model id (snapshots topic only)
 * @param updatedAt         epoch milliseconds of the snapshot (snapshots topic only)
 * @param components        K
 * @param dimension         D
 * @param covarianceType    full, diag or spherical
 * @param componentIds      the id of each component, in the order of the arrays (online models; absent: 0 … K−1). A
 *                          model with automatic K keeps a component's id for the component's life and gives a new
 *                          component a new id; a fixed K has the ids 0 … K−1
 * @param weights           π, length K, summing to 1
 * @param means             μ, K×D
 * @param covariances       Σ, K×D×D, reg_covar included
 * @param nEff              effective number of points behind the parameters
 * @param pointsSeen        points the model has been given
 * @param avgLogLikelihood  average log-likelihood per point (exponentially weighted online)
 * @param refits            re-fits triggered by starving components (drift) so far
 * @param config            the configuration that produced the model
 * @param anomaly           recent anomaly rate and the model's log-likelihood quantiles (online models only)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MixtureSnapshot(
        @JsonProperty("format_version") int formatVersion,
        @JsonProperty("model") String model,
        @JsonProperty("updated_at") Long updatedAt,
        @JsonProperty("components") int components,
        @JsonProperty("dimension") int dimension,
        @JsonProperty("covariance_type") String covarianceType,
        @JsonProperty("component_ids") int[] componentIds,
        @JsonProperty("weights") double[] weights,
        @JsonProperty("means") double[][] means,
        @JsonProperty("covariances") double[][][] covariances,
        @JsonProperty("n_eff") double nEff,
        @JsonProperty("points_seen") long pointsSeen,
        @JsonProperty("avg_log_likelihood") double avgLogLikelihood,
        @JsonProperty("refits") long refits,
        @JsonProperty("config") SnapshotConfig config,
        @JsonProperty("anomaly") SnapshotAnomaly anomaly) {

    /** Current {@code format_version}. */
    public static final int FORMAT_VERSION = 1;

    /** The snapshot of an initialised online model. */
    public static MixtureSnapshot of(OnlineMixture m) {
        if (!m.isInitialised()) {
            throw new IllegalStateException("model is still warming up (" + m.pointsSeen() + " of "
                    + m.warmup() + " points)");
        }
        MixtureSnapshot s = of(m.parameters(), m.effectiveCount(), m.pointsSeen(), m.avgLogLikelihood(), m.refits(),
                SnapshotConfig.of(m.config().withWarmup(m.warmup()), m.components()));
        return new MixtureSnapshot(s.formatVersion, s.model, s.updatedAt, s.components, s.dimension, s.covarianceType,
                m.componentIds(), s.weights, s.means, s.covariances, s.nEff, s.pointsSeen, s.avgLogLikelihood,
                s.refits, s.config, SnapshotAnomaly.of(m));
    }

    /** The snapshot of explicit parameters (e.g. a batch EM fit). */
    public static MixtureSnapshot of(GaussianMixture g, double nEff, long pointsSeen, double avgLogLikelihood,
                                     long refits, SnapshotConfig config) {
        int k = g.components();
        double[][] means = new double[k][];
        double[][][] covs = new double[k][][];
        for (int c = 0; c < k; c++) {
            means[c] = g.mean(c);
            covs[c] = g.covariance(c);
        }
        return new MixtureSnapshot(FORMAT_VERSION, null, null, k, g.dimension(), g.covarianceType().wireName(), null,
                g.weights(), means, covs, nEff, pointsSeen, avgLogLikelihood, refits, config, null);
    }

    /** The same snapshot with its anomaly part. */
    public MixtureSnapshot withAnomaly(SnapshotAnomaly a) {
        return new MixtureSnapshot(formatVersion, model, updatedAt, components, dimension, covarianceType,
                componentIds, weights, means, covariances, nEff, pointsSeen, avgLogLikelihood, refits, config, a);
    }

    /** The same snapshot labelled with a model id and time, as published on the snapshots topic. */
    public MixtureSnapshot withModel(String modelId, long updatedAtMillis) {
        return new MixtureSnapshot(formatVersion, modelId, updatedAtMillis, components, dimension, covarianceType,
                componentIds, weights, means, covariances, nEff, pointsSeen, avgLogLikelihood, refits, config, anomaly);
    }

    /**
     * The parameters frozen for scoring without learning (the {@code score} command and the HTTP scoring
     * endpoint score alike): flagged at {@code alpha} if given, else at the snapshot's own α, else the default.
     *
     * @throws IllegalArgumentException if the snapshot does not make a mixture, or α is not in (0, 1)
     */
    public dev.mixstream.gmm.FrozenMixture frozen(Double alpha) {
        double a = alpha != null ? alpha
                : anomaly != null ? anomaly.alpha() : dev.mixstream.gmm.AnomalyPolicy.DEFAULT_ALPHA;
        return new dev.mixstream.gmm.FrozenMixture(toMixture(), componentIds,
                new dev.mixstream.gmm.AnomalyPolicy(a, false));
    }

    /** The parameters as a mixture ready to score points. */
    public GaussianMixture toMixture() {
        if (weights == null || means == null || covariances == null) {
            throw new IllegalArgumentException("snapshot lacks weights, means or covariances");
        }
        if (weights.length != components || means.length != components || covariances.length != components
                || componentIds != null && componentIds.length != components) {
            throw new IllegalArgumentException("snapshot arrays do not have " + components + " components");
        }
        if (componentIds != null && (java.util.Arrays.stream(componentIds).anyMatch(id -> id < 0)
                || java.util.Arrays.stream(componentIds).distinct().count() != componentIds.length)) {
            throw new IllegalArgumentException("component_ids must be distinct numbers >= 0");
        }
        return GaussianMixture.of(CovarianceType.parse(covarianceType), weights, means, covariances);
    }
}
