package dev.mixstream.gmm;

/**
 * A fixed mixture that scores points without learning (the {@code score} command; the HTTP scoring endpoint):
 * the same E-step and the same anomaly scoring as {@link OnlineMixture}, with the anomaly reference computed
 * once from these parameters. Not thread-safe: one instance per thread.
 */
public final class FrozenMixture {
    private final GaussianMixture mixture;
    private final LogLikelihoodReference reference = new LogLikelihoodReference();
    private final AnomalyPolicy policy;
    private final PointScore score;

    public FrozenMixture(GaussianMixture mixture, AnomalyPolicy policy) {
        this(mixture, null, policy);
    }

    /**
     * @param componentIds the components' ids (e.g. a snapshot's {@code component_ids}), or null for 0 … K−1
     * @throws IllegalArgumentException when the ids are not K numbers
     */
    public FrozenMixture(GaussianMixture mixture, int[] componentIds, AnomalyPolicy policy) {
        if (componentIds != null && componentIds.length != mixture.components()) {
            throw new IllegalArgumentException(componentIds.length + " component ids for " + mixture.components()
                    + " components");
        }
        this.mixture = mixture;
        this.policy = policy;
        this.score = new PointScore(mixture.components());
        this.score.componentIds = componentIds == null ? null : componentIds.clone();
        reference.refresh(mixture);
    }

    public GaussianMixture parameters() {
        return mixture;
    }

    /** The id of component c (0 … K−1 unless ids were given). */
    public int componentId(int c) {
        return score.componentId(c);
    }

    public AnomalyPolicy policy() {
        return policy;
    }

    public LogLikelihoodReference reference() {
        return reference;
    }

    /** What keeps this mixture from scoring the point ({@link PointProblem#of}), or null if nothing does. */
    public PointProblem check(double[] x) {
        return PointProblem.of(x, mixture.dimension());
    }

    /**
     * Scores one point of the mixture's dimension.
     *
     * @return the reused score (valid until the next call): responsibilities, component, log-likelihood and the
     *         anomaly fields; index, tag and model version are not set
     */
    public PointScore score(double[] x) {
        double ll = mixture.score(x, score.responsibilities);
        score.point = x;
        score.logLikelihood = ll;
        score.component = LogSumExp.argmax(score.responsibilities, mixture.components());
        score.scoreAnomaly(x, mixture, reference, policy);
        score.learned = false;
        return score;
    }
}
