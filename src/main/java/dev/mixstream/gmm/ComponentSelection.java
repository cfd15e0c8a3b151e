package dev.mixstream.gmm;

import java.util.ArrayList;
import java.util.List;

/**
 * Offline choice of K: a batch EM fit (with its restarts) for each K from 1 to a maximum, the best by an information
 * criterion kept. Each K is fitted with the same seed and options, so a K's fit is exactly the one {@link BatchEm#fit}
 * gives for that K alone.
 */
public final class ComponentSelection {
    private ComponentSelection() {
    }

    /**
     * One candidate.
     *
     * @param components        K
     * @param meanLogLikelihood its fit's mean log-likelihood per point
     * @param parameters        its free parameters ({@link InformationCriterion#parameters})
     * @param criterionValue    the criterion's value (lower is better)
     * @param fit               the fit
     */
    public record Candidate(int components, double meanLogLikelihood, long parameters, double criterionValue,
                            BatchEm.Result fit) {
    }

    /**
     * The candidates in order of K, and the chosen one (the lowest criterion value; the smaller K on a tie).
     */
    public record Result(InformationCriterion criterion, List<Candidate> candidates, Candidate chosen) {
    }

    /**
     * Fits K = 1 … maxComponents (at most the number of points) and chooses by {@code criterion}.
     *
     * @param config its K is ignored; its min weight is replaced by the automatic one of each K when it does not fit
     *               that K (batch EM does not use it)
     * @throws IllegalArgumentException when maxComponents &lt; 1 or there are no points
     */
    public static Result select(double[][] points, MixtureConfig config, BatchEm.Options options, int maxComponents,
                                InformationCriterion criterion) {
        if (maxComponents < 1) {
            throw new IllegalArgumentException("the largest K must be >= 1, got " + maxComponents);
        }
        if (points.length == 0) {
            throw new IllegalArgumentException("no points to fit");
        }
        int n = points.length;
        int d = points[0].length;
        int largest = Math.min(maxComponents, n);
        List<Candidate> candidates = new ArrayList<>();
        Candidate chosen = null;
        for (int k = 1; k <= largest; k++) {
            MixtureConfig c = forComponents(config, k);
            BatchEm.Result fit = BatchEm.fit(points, c, options);
            long p = InformationCriterion.parameters(k, d, c.covarianceType());
            Candidate candidate = new Candidate(k, fit.meanLogLikelihood(), p,
                    criterion.value(fit.meanLogLikelihood(), n, p), fit);
            candidates.add(candidate);
            if (chosen == null || candidate.criterionValue() < chosen.criterionValue()) {
                chosen = candidate;
            }
        }
        return new Result(criterion, List.copyOf(candidates), chosen);
    }

    /** The configuration with K components, its min weight made valid for K, no warm-up (batch EM has none). */
    public static MixtureConfig forComponents(MixtureConfig config, int k) {
        double minWeight = config.minWeight() < 1.0 / k ? config.minWeight() : MixtureConfig.defaultMinWeight(k);
        return config.withWarmup(0).withMinWeight(minWeight).withComponents(k);
    }
}
