package dev.mixstream.gmm;

/**
 * The scoring of one input point, handed to a {@link ScoreSink}. The engine reuses one instance
 * (and its arrays) for every point, so a sink must copy what it keeps beyond the callback.
 */
public final class PointScore {
    double[] point;
    byte[] tag;
    long index;
    final double[] responsibilities;
    int component;
    /** The scoring model's component ids (null: 0 … K−1); a view. */
    int[] componentIds;
    double logLikelihood;
    long modelVersion;
    double anomalyScore;
    boolean anomaly;
    final int[] anomalyFeatures = new int[AnomalyFeatures.MAX];
    final double[] featureDeviations = new double[AnomalyFeatures.MAX];
    int anomalyFeatureCount;
    boolean learned;

    PointScore(int components) {
        this.responsibilities = new double[components];
    }

    /**
     * Sets the anomaly score, flag and features of the point just scored (its log-likelihood and component
     * set); the one implementation behind the online model and {@link FrozenMixture}.
     *
     * @return whether the point is flagged
     */
    boolean scoreAnomaly(double[] x, GaussianMixture mixture, LogLikelihoodReference reference,
                         AnomalyPolicy policy) {
        double a = reference.anomalyScore(logLikelihood);
        boolean flagged = policy.flags(a);
        anomalyScore = a;
        anomaly = flagged;
        anomalyFeatureCount = flagged
                ? AnomalyFeatures.top(mixture, component, x, anomalyFeatures, featureDeviations)
                : 0;
        return flagged;
    }

    /** The point x as it was given. */
    public double[] point() {
        return point;
    }

    /** The opaque tag given with the point (may be null). */
    public byte[] tag() {
        return tag;
    }

    /** 0-based position of the point in the model's input sequence. */
    public long index() {
        return index;
    }

    /** γ_k = π_k N(x|μ_k,Σ_k) / Σ_j π_j N(x|μ_j,Σ_j), length K; a view, valid during the callback. */
    public double[] responsibilities() {
        return responsibilities;
    }

    /** argmax_k γ_k, the hard assignment, as an index into {@link #responsibilities()}. */
    public int component() {
        return component;
    }

    /** The id of the hard assignment's component ({@link #componentId(int)} of {@link #component()}). */
    public int componentIdOfAssignment() {
        return componentId(component);
    }

    /**
     * The id of the scoring model's component c: a model with automatic K gives each component an id for its life
     * (a new component a new id); with a fixed K it is c.
     */
    public int componentId(int c) {
        return componentIds == null ? c : componentIds[c];
    }

    /** log p(x) = log Σ_k π_k N(x|μ_k,Σ_k) under the parameters the point was scored with. */
    public double logLikelihood() {
        return logLikelihood;
    }

    /** Number of points absorbed into the parameters the point was scored with. */
    public long modelVersion() {
        return modelVersion;
    }

    /**
     * 1 − p, where p is the probability under the scoring model of drawing a point whose log-likelihood is at
     * most this one's ({@link LogLikelihoodReference}); in [0, 1], rising with abnormality.
     */
    public double anomalyScore() {
        return anomalyScore;
    }

    /** True when {@link #anomalyScore()} ≥ 1 − α of the model's {@link AnomalyPolicy}. */
    public boolean anomaly() {
        return anomaly;
    }

    /** How many {@link #anomalyFeature} indices a flagged point has (0 when not flagged; else min(3, D)). */
    public int anomalyFeatureCount() {
        return anomalyFeatureCount;
    }

    /**
     * The i-th coordinate index with the largest standardised deviation |x_j − μ_k,j| / σ_k,j from the most
     * likely component k, largest first; i &lt; {@link #anomalyFeatureCount()}.
     */
    public int anomalyFeature(int i) {
        if (i >= anomalyFeatureCount) {
            throw new IndexOutOfBoundsException(i);
        }
        return anomalyFeatures[i];
    }

    /** False when the point was flagged and the policy kept it out of the model (learn = false). */
    public boolean learned() {
        return learned;
    }
}
