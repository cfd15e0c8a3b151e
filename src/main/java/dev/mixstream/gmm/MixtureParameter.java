package dev.mixstream.gmm;

/** A field of {@link MixtureConfig}, named as scikit-learn's {@code GaussianMixture} names it where it has one. */
public enum MixtureParameter {
    COMPONENTS("n_components"),
    COVARIANCE_TYPE("covariance_type"),
    REG_COVAR("reg_covar"),
    HALF_LIFE("half_life"),
    STEP_EXPONENT("step_exponent"),
    BATCH_SIZE("batch_size"),
    WARMUP("warmup"),
    INIT_ITERATIONS("init_iterations"),
    MIN_WEIGHT("min_weight"),
    SEED("seed"),
    MAX_COMPONENTS("max_components");

    private final String paramName;

    MixtureParameter(String paramName) {
        this.paramName = paramName;
    }

    /** The name in the engine's own messages and in snapshots' {@code config}. */
    public String paramName() {
        return paramName;
    }
}
