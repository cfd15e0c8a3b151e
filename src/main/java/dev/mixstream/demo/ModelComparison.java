package dev.mixstream.demo;

import dev.mixstream.gmm.GaussianMixture;
import dev.mixstream.snapshot.MixtureSnapshot;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Matches a learned model's components to the generating ones (greedy, nearest means first). */
public final class ModelComparison {
    /** One true component and the learned component matched to it. */
    public record Match(int trueComponent, int learnedComponent, double trueWeight, double learnedWeight,
                        double[] trueMean, double[] learnedMean, double meanDistance) {
    }

    private ModelComparison() {
    }

    /** Pairs every true component with a distinct learned one, nearest pairs first. */
    public static List<Match> match(GaussianMixture truth, MixtureSnapshot learned) {
        int kt = truth.components();
        int kl = learned.components();
        boolean[] usedTrue = new boolean[kt];
        boolean[] usedLearned = new boolean[kl];
        List<Match> out = new ArrayList<>();
        for (int step = 0; step < Math.min(kt, kl); step++) {
            int bt = -1;
            int bl = -1;
            double best = Double.POSITIVE_INFINITY;
            for (int t = 0; t < kt; t++) {
                for (int l = 0; l < kl; l++) {
                    if (!usedTrue[t] && !usedLearned[l]) {
                        double d = distance(truth.mean(t), learned.means()[l]);
                        if (d < best) {
                            best = d;
                            bt = t;
                            bl = l;
                        }
                    }
                }
            }
            usedTrue[bt] = true;
            usedLearned[bl] = true;
            out.add(new Match(bt, bl, truth.weight(bt), learned.weights()[bl], truth.mean(bt), learned.means()[bl], best));
        }
        out.sort((a, b) -> Integer.compare(a.trueComponent(), b.trueComponent()));
        return out;
    }

    /** The largest distance between a true mean and its matched learned mean. */
    public static double worstMeanDistance(List<Match> matches) {
        return matches.stream().mapToDouble(Match::meanDistance).max().orElse(Double.NaN);
    }

    /** Text lines: true weight and mean next to the learned ones. */
    public static List<String> render(String model, List<Match> matches) {
        List<String> lines = new ArrayList<>();
        for (Match m : matches) {
            lines.add(String.format(Locale.ROOT, "%-10s true %.2f @ %-16s learned %.2f @ %-16s |Δμ| %.2f", model,
                    m.trueWeight(), LiveView.vector(m.trueMean()), m.learnedWeight(), LiveView.vector(m.learnedMean()),
                    m.meanDistance()));
            model = "";
        }
        return lines;
    }

    private static double distance(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (a[i] - b[i]) * (a[i] - b[i]);
        }
        return Math.sqrt(s);
    }
}
