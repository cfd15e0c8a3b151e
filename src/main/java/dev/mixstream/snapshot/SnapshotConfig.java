package dev.mixstream.snapshot;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.mixstream.gmm.CovarianceType;
import dev.mixstream.gmm.MixtureConfig;

/**
 * The configuration recorded in a snapshot, with scikit-learn-style names. {@code half_life} is
 * null when statistics are never forgotten; {@code warmup} is the W in force (a model's snapshot resolves
 * {@code auto} to its value for the model's D; 0 = automatic only where no D is known yet). A batch EM fit
 * records {@code method} "batch_em" with its {@code n_init}, {@code max_iter} and {@code tol}; one whose K was chosen
 * ({@code fit --components auto}) also {@code criterion} (bic or aic), {@code max_components} (the largest K tried)
 * and {@code criterion_value} (the chosen K's). An online model with automatic K records its K at the time of the
 * snapshot as {@code n_components}, {@code max_components}, and {@code criterion} {@value #HELD_OUT}: its K is chosen
 * by reviews judged on held-out points ({@code docs/ESTIMATOR.md}).
 */
public record SnapshotConfig(
        @JsonProperty("method") String method,
        @JsonProperty("n_components") int nComponents,
        @JsonProperty("covariance_type") String covarianceType,
        @JsonProperty("reg_covar") double regCovar,
        @JsonProperty("half_life") Double halfLife,
        @JsonProperty("step_exponent") double stepExponent,
        @JsonProperty("batch_size") int batchSize,
        @JsonProperty("warmup") int warmup,
        @JsonProperty("init_iterations") int initIterations,
        @JsonProperty("min_weight") double minWeight,
        @JsonProperty("seed") long seed,
        @JsonProperty("n_init") Integer nInit,
        @JsonProperty("max_iter") Integer maxIter,
        @JsonProperty("tol") Double tol,
        @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("criterion") String criterion,
        @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("max_components") Integer maxComponents,
        @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("criterion_value") Double criterionValue) {

    /** The {@code criterion} of an online model with automatic K. */
    public static final String HELD_OUT = "held_out";

    /** The record of an online configuration with a fixed K. */
    public static SnapshotConfig of(MixtureConfig c) {
        return of(c, c.components());
    }

    /** The record of an online configuration whose model has K components now (automatic K: its own). */
    public static SnapshotConfig of(MixtureConfig c, int components) {
        boolean auto = c.automaticComponents();
        return new SnapshotConfig("online", auto ? components : c.components(), c.covarianceType().wireName(),
                c.regCovar(), c.hasNoHalfLife() ? null : c.halfLife(), c.stepExponent(), c.batchSize(), c.warmup(),
                c.initIterations(), c.minWeight(), c.seed(), null, null, null, auto ? HELD_OUT : null,
                auto ? c.maxComponents() : null, null);
    }

    /** The record of a batch EM fit. */
    public static SnapshotConfig ofBatch(MixtureConfig c, int nInit, int maxIter, double tol) {
        SnapshotConfig o = of(c);
        return new SnapshotConfig("batch_em", o.nComponents, o.covarianceType, o.regCovar, o.halfLife, o.stepExponent,
                o.batchSize, o.warmup, o.initIterations, o.minWeight, o.seed, nInit, maxIter, tol, null, null, null);
    }

    /** The same, recording that K was chosen by {@code criterion} among 1 … maxComponents, with its value. */
    public SnapshotConfig withSelection(dev.mixstream.gmm.InformationCriterion criterion, int maxComponents,
                                        double value) {
        return new SnapshotConfig(method, nComponents, covarianceType, regCovar, halfLife, stepExponent, batchSize,
                warmup, initIterations, minWeight, seed, nInit, maxIter, tol, criterion.wireName(), maxComponents, value);
    }

    /** Back to an engine configuration (automatic K for an online model that had it). */
    public MixtureConfig toMixtureConfig() {
        boolean auto = "online".equals(method) && HELD_OUT.equals(criterion) && maxComponents != null;
        return new MixtureConfig(auto ? MixtureConfig.AUTO_COMPONENTS : nComponents, CovarianceType.parse(covarianceType),
                regCovar, halfLife == null ? Double.POSITIVE_INFINITY : halfLife, stepExponent, batchSize, warmup,
                initIterations, minWeight, seed, auto ? maxComponents : 0);
    }
}
