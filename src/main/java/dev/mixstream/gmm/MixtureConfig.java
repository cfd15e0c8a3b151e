package dev.mixstream.gmm;

/**
 * Everything that determines how a mixture learns. Immutable; validated on construction.
 *
 * @param components      K, the number of Gaussian components ({@code n_components}); {@link #AUTO_COMPONENTS} (0)
 *                        when each model chooses its own K, up to {@code maxComponents}
 * @param covarianceType  shape of the covariances ({@code covariance_type})
 * @param regCovar        added to every covariance's diagonal at each M-step ({@code reg_covar});
 *                        the covariance floor that keeps every component non-singular
 * @param halfLife        half-life of the statistics in points; {@link Double#POSITIVE_INFINITY}
 *                        means none (pure stepwise EM with a decreasing step)
 * @param stepExponent    α in the step size η_n = max((n + 2)^(−α), η_min), α ∈ (0.5, 1]
 * @param batchSize       m, points accumulated before one stepwise-EM step (mini-batch)
 * @param warmup          W, points buffered before initialisation; 0 chooses
 *                        {@link #defaultWarmup(int, int)} once the dimension is known
 * @param initIterations  maximum EM iterations on the warm-up buffer
 * @param minWeight       a component whose recent share of responsibility falls below this starves,
 *                        and the model re-fits itself on the next W points ({@link DriftWatch})
 * @param seed            seed of the k-means++ initialisation (the only randomness)
 * @param maxComponents   with automatic K, the largest K a model may have ({@code max_components}); 0 with a
 *                        fixed K ({@link ComponentReview})
 */
public record MixtureConfig(
        int components,
        CovarianceType covarianceType,
        double regCovar,
        double halfLife,
        double stepExponent,
        int batchSize,
        int warmup,
        int initIterations,
        double minWeight,
        long seed,
        int maxComponents) {

    /** Default {@code reg_covar}, as in scikit-learn. */
    public static final double DEFAULT_REG_COVAR = 1e-6;
    /** Default half-life in points. */
    public static final double DEFAULT_HALF_LIFE = 10_000;
    /** Default step exponent α: a running average until the half-life floor takes over. */
    public static final double DEFAULT_STEP_EXPONENT = 1.0;
    /** Default mini-batch size m: one step per point. */
    public static final int DEFAULT_BATCH_SIZE = 1;
    /** Default number of components of the streaming application's models. */
    public static final int DEFAULT_COMPONENTS = 3;
    /** Default EM iterations on the warm-up buffer. */
    public static final int DEFAULT_INIT_ITERATIONS = 50;
    /** Default starvation threshold on a component's weight. */
    public static final double DEFAULT_MIN_WEIGHT = 0.005;
    /** Default seed. */
    public static final long DEFAULT_SEED = 42L;
    /**
     * The default of a parameter as a setting's text (what {@code --help} and the configuration reference show):
     * the one declaration both the stream's settings and the offline commands' options take their defaults from,
     * readable without the Kafka configuration classes (so that {@code fit} and {@code score} start without them).
     */
    public static String defaultText(MixtureParameter p) {
        return switch (p) {
            case COMPONENTS -> Integer.toString(DEFAULT_COMPONENTS);
            case COVARIANCE_TYPE -> CovarianceType.FULL.wireName();
            case REG_COVAR -> Double.toString(DEFAULT_REG_COVAR);
            case HALF_LIFE -> SettingText.halfLife(DEFAULT_HALF_LIFE);
            case STEP_EXPONENT -> Double.toString(DEFAULT_STEP_EXPONENT);
            case BATCH_SIZE -> Integer.toString(DEFAULT_BATCH_SIZE);
            case WARMUP, MIN_WEIGHT -> SettingText.AUTO;
            case INIT_ITERATIONS -> Integer.toString(DEFAULT_INIT_ITERATIONS);
            case SEED -> Long.toString(DEFAULT_SEED);
            case MAX_COMPONENTS -> Integer.toString(DEFAULT_MAX_COMPONENTS);
        };
    }

    /** Largest supported K. */
    public static final int MAX_COMPONENTS = 1024;
    /** {@code components} of a configuration whose models choose their own K. */
    public static final int AUTO_COMPONENTS = 0;
    /** Default largest K of a model with automatic K. */
    public static final int DEFAULT_MAX_COMPONENTS = 10;

    /** A configuration with a fixed K (no {@code max_components}). */
    public MixtureConfig(int components, CovarianceType covarianceType, double regCovar, double halfLife,
                         double stepExponent, int batchSize, int warmup, int initIterations, double minWeight,
                         long seed) {
        this(components, covarianceType, regCovar, halfLife, stepExponent, batchSize, warmup, initIterations,
                minWeight, seed, 0);
    }

    public MixtureConfig {
        if (components == AUTO_COMPONENTS) {
            if (maxComponents < 1 || maxComponents > MAX_COMPONENTS) {
                throw invalid(MixtureParameter.MAX_COMPONENTS,
                        "must be in [1, " + MAX_COMPONENTS + "] when the number of components is auto, got "
                                + maxComponents);
            }
        } else if (components < 1 || components > MAX_COMPONENTS) {
            throw invalid(MixtureParameter.COMPONENTS, "must be auto or in [1, " + MAX_COMPONENTS + "], got "
                    + components);
        } else if (maxComponents != 0) {
            throw invalid(MixtureParameter.MAX_COMPONENTS, "only applies when the number of components is auto");
        }
        if (covarianceType == null) {
            throw invalid(MixtureParameter.COVARIANCE_TYPE, "must be given");
        }
        if (!(regCovar > 0) || Double.isInfinite(regCovar)) {
            throw invalid(MixtureParameter.REG_COVAR, "must be a finite number > 0, got " + regCovar);
        }
        if (!(halfLife >= 1)) {
            throw invalid(MixtureParameter.HALF_LIFE, "must be >= 1 point or none, got " + halfLife);
        }
        if (!(stepExponent > 0.5 && stepExponent <= 1.0)) {
            throw invalid(MixtureParameter.STEP_EXPONENT, "must be in (0.5, 1], got " + stepExponent);
        }
        if (batchSize < 1) {
            throw invalid(MixtureParameter.BATCH_SIZE, "must be >= 1, got " + batchSize);
        }
        int limit = components == AUTO_COMPONENTS ? maxComponents : components;
        if (warmup != 0 && warmup < limit) {
            throw invalid(MixtureParameter.WARMUP, "must be auto or >= the " + (components == AUTO_COMPONENTS
                    ? "largest number of components (" : "number of components (") + limit + "), got " + warmup);
        }
        if (initIterations < 1) {
            throw invalid(MixtureParameter.INIT_ITERATIONS, "must be >= 1, got " + initIterations);
        }
        if (!(minWeight > 0 && minWeight < 1.0 / limit)) {
            throw invalid(MixtureParameter.MIN_WEIGHT,
                    "must be in (0, 1/components) = (0, " + (1.0 / limit) + "), got " + minWeight);
        }
    }

    /** True when each model chooses its own K (up to {@link #maxComponents}). */
    public boolean automaticComponents() {
        return components == AUTO_COMPONENTS;
    }

    /** The largest K a model of this configuration can have: K, or max_components when automatic. */
    public int componentLimit() {
        return automaticComponents() ? maxComponents : components;
    }

    /** The configuration whose models choose their own K, at most {@code max}. */
    public MixtureConfig withAutomaticComponents(int max) {
        return new MixtureConfig(AUTO_COMPONENTS, covarianceType, regCovar, halfLife, stepExponent, batchSize, warmup,
                initIterations, minWeight, seed, max);
    }

    private static InvalidMixtureConfigException invalid(MixtureParameter parameter, String problem) {
        return new InvalidMixtureConfigException(parameter, problem);
    }

    /** The defaults for K components of the given type. */
    public static MixtureConfig defaults(int components, CovarianceType type) {
        return new MixtureConfig(components, type, DEFAULT_REG_COVAR, DEFAULT_HALF_LIFE,
                DEFAULT_STEP_EXPONENT, DEFAULT_BATCH_SIZE, 0, DEFAULT_INIT_ITERATIONS,
                defaultMinWeight(components), DEFAULT_SEED);
    }

    /** The automatic starvation threshold: min(0.005, 0.1/K). */
    public static double defaultMinWeight(int components) {
        return Math.min(DEFAULT_MIN_WEIGHT, 0.1 / components);
    }

    /** The defaults for K components with full covariances. */
    public static MixtureConfig defaults(int components) {
        return defaults(components, CovarianceType.FULL);
    }

    /** True when the statistics are never forgotten (half-life none). */
    public boolean hasNoHalfLife() {
        return Double.isInfinite(halfLife);
    }

    /** Automatic warm-up: max(100, 10·K·(D + 1)), enough points to place every component. */
    public static int defaultWarmup(int components, int dimension) {
        long w = 10L * components * (dimension + 1L);
        return (int) Math.min(Math.max(100L, w), 1_000_000L);
    }

    /**
     * The least warm-up that places K components safely: twice the points that make each component's covariance
     * estimable, 2·K·(D + 1) for full covariances (D + 1 points span a D-dimensional covariance) and 2·K·2 for
     * diagonal or spherical ones. Below it, initial fits put components on one or two points each and collapse
     * onto the covariance floor (seen with W = 5, K = 3, D = 2). The automatic W, max(100, 10·K·(D + 1)), is always
     * above it.
     */
    public static int safeWarmup(int components, CovarianceType type, int dimension) {
        long perComponent = type == CovarianceType.FULL ? dimension + 1L : 2L;
        return (int) Math.min(2L * components * perComponent, Integer.MAX_VALUE);
    }

    /** {@link #safeWarmup(int, CovarianceType, int)} as a formula, for messages: 2·K·(D+1) or 2·K·2. */
    public static String safeWarmupFormula(CovarianceType type) {
        return type == CovarianceType.FULL ? "2·K·(D+1)" : "2·K·2";
    }

    /** {@link #safeWarmup(int, CovarianceType, int)} for this K and covariance type. */
    public int safeWarmup(int dimension) {
        return safeWarmup(automaticComponents() ? 1 : components, covarianceType, dimension);
    }

    /** The warm-up length W for data of the given dimension (automatic K: the automatic W of the largest K). */
    public int warmupFor(int dimension) {
        return warmup > 0 ? warmup : defaultWarmup(componentLimit(), dimension);
    }

    /** η_min for one step of {@code batchSize} points: 1 − 2^(−m / halfLife), or 0 without half-life. */
    public double minStepSize() {
        return hasNoHalfLife() ? 0.0 : -Math.expm1(-Math.log(2.0) * batchSize / halfLife);
    }

    /** Step size of step n (0-based count of steps already taken): η_n = max((n + 2)^(−α), η_min). */
    public double stepSize(long n) {
        return stepSize(n, stepExponent, minStepSize());
    }

    /** η_n = max((n + 2)^(−α), η_min), with (n + 2)^(−1) as a division when α = 1 (no Math.pow). */
    static double stepSize(long n, double alpha, double minStep) {
        double decreasing = alpha == 1.0 ? 1.0 / (n + 2.0) : Math.pow(n + 2.0, -alpha);
        return Math.max(decreasing, minStep);
    }

    /** The configuration with a fixed K = k. */
    public MixtureConfig withComponents(int k) {
        return new MixtureConfig(k, covarianceType, regCovar, halfLife, stepExponent, batchSize, warmup,
                initIterations, minWeight, seed, 0);
    }

    public MixtureConfig withCovarianceType(CovarianceType t) {
        return new MixtureConfig(components, t, regCovar, halfLife, stepExponent, batchSize, warmup,
                initIterations, minWeight, seed, maxComponents);
    }

    public MixtureConfig withRegCovar(double r) {
        return new MixtureConfig(components, covarianceType, r, halfLife, stepExponent, batchSize, warmup,
                initIterations, minWeight, seed, maxComponents);
    }

    public MixtureConfig withHalfLife(double h) {
        return new MixtureConfig(components, covarianceType, regCovar, h, stepExponent, batchSize, warmup,
                initIterations, minWeight, seed, maxComponents);
    }

    public MixtureConfig withStepExponent(double a) {
        return new MixtureConfig(components, covarianceType, regCovar, halfLife, a, batchSize, warmup,
                initIterations, minWeight, seed, maxComponents);
    }

    public MixtureConfig withBatchSize(int m) {
        return new MixtureConfig(components, covarianceType, regCovar, halfLife, stepExponent, m, warmup,
                initIterations, minWeight, seed, maxComponents);
    }

    public MixtureConfig withWarmup(int w) {
        return new MixtureConfig(components, covarianceType, regCovar, halfLife, stepExponent, batchSize, w,
                initIterations, minWeight, seed, maxComponents);
    }

    public MixtureConfig withInitIterations(int i) {
        return new MixtureConfig(components, covarianceType, regCovar, halfLife, stepExponent, batchSize, warmup,
                i, minWeight, seed, maxComponents);
    }

    public MixtureConfig withMinWeight(double w) {
        return new MixtureConfig(components, covarianceType, regCovar, halfLife, stepExponent, batchSize, warmup,
                initIterations, w, seed, maxComponents);
    }

    public MixtureConfig withSeed(long s) {
        return new MixtureConfig(components, covarianceType, regCovar, halfLife, stepExponent, batchSize, warmup,
                initIterations, minWeight, s, maxComponents);
    }
}
