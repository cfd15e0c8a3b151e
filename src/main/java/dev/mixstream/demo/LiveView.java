package dev.mixstream.demo;

import dev.mixstream.snapshot.MixtureSnapshot;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders the demo's live status: a progress bar, throughput, dead letters and a table of each model's
 * weights and means. On a terminal the block is redrawn in place (ANSI cursor movement); otherwise
 * each refresh prints plain lines.
 */
public final class LiveView {
    /** Everything one frame shows. */
    public record Frame(long pointsSent, long pointsTotal, long outputs, long deadLetters, long anomalies,
                        double recordsPerSecond,
                        boolean drifted, long driftAt, Map<String, MixtureSnapshot> models) {
    }

    private final PrintWriter out;
    private final boolean terminal;
    private int linesDrawn;

    public LiveView(PrintWriter out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    /** Draws one frame (in place on a terminal). */
    public void draw(Frame f) {
        List<String> lines = render(f);
        StringBuilder sb = new StringBuilder();
        if (terminal && linesDrawn > 0) {
            sb.append("\033[").append(linesDrawn).append('F'); // cursor up to the frame's first line
        }
        for (String line : lines) {
            if (terminal) {
                sb.append("\033[2K"); // clear the line
            }
            sb.append(line).append('\n');
        }
        if (terminal) {
            for (int i = lines.size(); i < linesDrawn; i++) {
                sb.append("\033[2K\n");
            }
            linesDrawn = Math.max(linesDrawn, lines.size());
        }
        out.print(sb);
        out.flush();
    }

    /** The frame as text lines (no escape codes). */
    public static List<String> render(Frame f) {
        List<String> lines = new ArrayList<>();
        boolean forever = f.pointsTotal() == Long.MAX_VALUE;
        String bar = forever ? "" : bar(f.outputs(), f.pointsTotal(), 30) + " ";
        // behind = sent − answered: the points on their way, or in a model's warm-up (answered at its end)
        lines.add(String.format(Locale.ROOT, "%spoints sent %,d%s  answered %,d (%,d behind)  %,.0f answers/s  "
                        + "dead letters %d  anomalies %,d  %s",
                bar, f.pointsSent(), forever ? "" : "/" + String.format(Locale.ROOT, "%,d", f.pointsTotal()),
                f.outputs(), Math.max(0, f.pointsSent() - f.outputs()), f.recordsPerSecond(), f.deadLetters(),
                f.anomalies(),
                f.drifted() ? "DRIFTED (clusters jumped)" : String.format(Locale.ROOT, "drift at %,d", f.driftAt())));
        lines.add(String.format(Locale.ROOT, "%-10s %9s %6s %9s  %s", "model", "points", "refits", "avg LL",
                "components: weight @ mean"));
        for (Map.Entry<String, MixtureSnapshot> e : f.models().entrySet()) {
            MixtureSnapshot s = e.getValue();
            StringBuilder comps = new StringBuilder();
            for (int c = 0; c < s.components(); c++) {
                comps.append(String.format(Locale.ROOT, "%.2f@%s  ", s.weights()[c], vector(s.means()[c])));
            }
            lines.add(String.format(Locale.ROOT, "%-10s %9d %6d %9.3f  %s", e.getKey(), s.pointsSeen(), s.refits(),
                    s.avgLogLikelihood(), comps.toString().trim()));
        }
        return lines;
    }

    static String bar(long done, long total, int width) {
        double frac = total <= 0 ? 1 : Math.min(1.0, (double) done / total);
        int full = (int) Math.round(frac * width);
        return "[" + "#".repeat(full) + "-".repeat(width - full) + String.format(Locale.ROOT, "] %3.0f%%", 100 * frac);
    }

    static String vector(double[] v) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < v.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(String.format(Locale.ROOT, "%.1f", v[i]));
        }
        return sb.append(')').toString();
    }
}
