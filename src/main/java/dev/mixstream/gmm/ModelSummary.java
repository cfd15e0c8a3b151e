package dev.mixstream.gmm;

/**
 * A model's vital numbers, read from its state's header without decoding it ({@link ModelStateCodec#summary}).
 *
 * @param components  K
 * @param dimension   D, or -1 before the first point
 * @param warmup      points buffered before initialisation (W), or -1 before the first point
 * @param pointsSeen  points learned or buffered so far
 * @param refits      re-fits so far
 * @param initialised false while the model is warming up (buffering its first W points)
 * @param avgLogLikelihood average log-likelihood per point, or null while warming up
 * @param anomalyRate recent anomaly rate, or null while warming up (or in a version-1 state, which has none)
 */
public record ModelSummary(int components, int dimension, int warmup, long pointsSeen, long refits,
                           boolean initialised, Double avgLogLikelihood, Double anomalyRate) {
}
