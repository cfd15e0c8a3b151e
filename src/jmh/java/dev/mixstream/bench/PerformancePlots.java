package dev.mixstream.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.File;
import java.text.DecimalFormat;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Draws the plots of {@code docs/PERFORMANCE.md} from the committed raw results:
 * {@code engine-throughput.png} (points/s of the engine against K·D², from the JMH JSON) and
 * {@code keys-scaling.png} (estimator records/s against the number of model keys, from the
 * {@code bench --json-out} of the scaling run). Usage: {@code PerformancePlots JMH.json SCALING.json OUTDIR}.
 */
public final class PerformancePlots {
    private PerformancePlots() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: PerformancePlots JMH.json SCALING.json OUTDIR");
            System.exit(2);
        }
        System.setProperty("java.awt.headless", "true");
        ObjectMapper json = new ObjectMapper();
        File out = new File(args[2]);
        if (!out.isDirectory() && !out.mkdirs()) {
            throw new IOException("cannot create " + out);
        }
        engine(json.readTree(new File(args[0])), new File(out, "engine-throughput.png"));
        keys(json.readTree(new File(args[1])), new File(out, "keys-scaling.png"));
    }

    /** Points/s against K·D², one series per (benchmark, covariance, batch size); log–log axes. */
    static void engine(JsonNode jmh, File png) throws IOException {
        Map<String, XYSeries> series = new LinkedHashMap<>();
        for (JsonNode run : jmh) {
            String benchmark = run.get("benchmark").asText();
            JsonNode p = run.get("params");
            String[] kd = p.get("shape").asText().split("x");
            double kdd = Double.parseDouble(kd[0]) * Math.pow(Double.parseDouble(kd[1]), 2);
            String name = benchmark.endsWith(".score") ? "E-step only (" + p.get("covariance").asText() + ")"
                    : "score + update, " + p.get("covariance").asText() + ", batch " + p.get("batchSize").asText();
            series.computeIfAbsent(name, n -> new XYSeries(n, true, false))
                    .add(kdd, run.get("primaryMetric").get("score").asDouble());
        }
        XYSeriesCollection data = new XYSeriesCollection();
        series.values().forEach(data::addSeries);
        LogAxis x = decades(new LogAxis("K·D²  (shapes K×D: 3×2, 5×8, 10×32, 16×64)"));
        LogAxis y = decades(new LogAxis("points per second (one thread)"));
        write(new XYPlot(data, x, y, renderer(series.size())), "Engine throughput against K·D² (JMH)", png);
    }

    /** Estimator records/s against the number of distinct keys; log x axis. */
    static void keys(JsonNode bench, File png) throws IOException {
        Map<String, XYSeries> series = new LinkedHashMap<>();
        for (JsonNode run : bench.get("runs")) {
            String name = run.get("app").asText() + ", " + run.get("guarantee").asText();
            series.computeIfAbsent(name, n -> new XYSeries(n, true, false))
                    .add(run.get("keys").asDouble(), run.get("recordsPerSecond").asDouble());
        }
        XYSeriesCollection data = new XYSeriesCollection();
        series.values().forEach(data::addSeries);
        LogAxis x = decades(new LogAxis("distinct model keys"));
        NumberAxis y = new NumberAxis("records per second");
        JsonNode c = bench.get("config");
        String title = String.format("Pipeline throughput against keys (K=%s, D=%s, %s points, %s partitions)",
                c.get("components").asText(), c.get("dimension").asText(), c.get("points").asText(),
                c.get("partitions").asText());
        write(new XYPlot(data, x, y, renderer(series.size())), title, png);
    }

    /** Ticks at the powers of ten, labelled as plain numbers. */
    private static LogAxis decades(LogAxis axis) {
        axis.setBase(10);
        axis.setTickUnit(new NumberTickUnit(1));
        axis.setMinorTickMarksVisible(true);
        axis.setNumberFormatOverride(new DecimalFormat("#,##0"));
        return axis;
    }

    private static XYLineAndShapeRenderer renderer(int n) {
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
        Color[] colors = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
            new Color(0x9467bd), new Color(0x8c564b)};
        for (int i = 0; i < n; i++) {
            r.setSeriesPaint(i, colors[i % colors.length]);
            r.setSeriesStroke(i, new BasicStroke(2f));
        }
        return r;
    }

    private static void write(XYPlot plot, String title, File png) throws IOException {
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart(title, new Font("SansSerif", Font.BOLD, 14), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        ChartUtils.saveChartAsPNG(png, chart, 900, 560);
        System.out.println("wrote " + png);
    }
}
