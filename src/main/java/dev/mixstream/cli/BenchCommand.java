package dev.mixstream.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.mixstream.bench.ModelSizes;
import dev.mixstream.bench.RecordParts;
import dev.mixstream.bench.PipelineBenchmark;
import dev.mixstream.bench.PipelineBenchmark.App;
import dev.mixstream.bench.PipelineBenchmark.Run;
import dev.mixstream.broker.EmbeddedBroker;
import dev.mixstream.gmm.CovarianceType;
import dev.mixstream.streams.MixstreamConfig;
import dev.mixstream.streams.MixstreamSettings;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code bench}: the pipeline benchmark. Starts the embedded broker, then for each number of keys and
 * each processing guarantee runs a pass-through Kafka Streams application and the estimator over the
 * same pre-loaded points, and prints records/s, the estimator/pass-through ratio and the end-to-end
 * latency percentiles.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false,
        descriptionHeading = "%n", optionListHeading = "%nOptions:%n",
        header = "Benchmark the estimator against a pass-through Kafka Streams application, on an embedded broker.",
        description = "For each --keys value and each --guarantee: pre-loads --points points into a fresh topic, "
                + "runs the pass-through application and the estimator over the same points (throughput between the "
                + "first and the last record, start-up excluded), checks the output count with a read_committed "
                + "consumer, then sends --latency-points more at --latency-rate and measures the end-to-end latency "
                + "from each point's send time to its output's append time, and to when a read_committed consumer "
                + "sees it. Applications run one at a time, each with one stream thread.")
public final class BenchCommand extends MixstreamCommand {
    @Mixin
    KafkaLogOption logs = new KafkaLogOption();

    @Override
    protected KafkaLogLevel kafkaLogLevel() {
        return logs.levelOr(KafkaLogLevel.ERROR);
    }

    @Option(names = "--points", defaultValue = "200000", paramLabel = "N",
            description = "Points pre-loaded for each throughput run.")
    long points;

    @Option(names = "--keys", defaultValue = "16", split = ",", paramLabel = "N",
            description = "Distinct model keys (a list runs each; for example 1,100,10000,100000 for the scaling table).")
    List<Integer> keys;

    @Option(names = "--partitions", defaultValue = "4", paramLabel = "N", description = "Partitions of the topics.")
    int partitions;

    @Option(names = {"-k", "--components"}, defaultValue = "5", paramLabel = "K", description = "Components per model.")
    int components;

    @Option(names = {"-d", "--dim"}, defaultValue = "8", paramLabel = "D", description = "Dimension of the points.")
    int dimension;

    @Option(names = "--covariance", defaultValue = "full", paramLabel = "TYPE",
            description = "Covariance type of the estimator: full, diag or spherical.")
    String covariance;

    @Option(names = "--guarantee", defaultValue = "exactly_once_v2,at_least_once", split = ",", paramLabel = "G",
            description = "Processing guarantees to run: exactly_once_v2, at_least_once.")
    List<String> guarantees;

    @Option(names = "--apps", defaultValue = "pass-through,estimator", split = ",", paramLabel = "APP",
            description = "Applications to run: pass-through, estimator.")
    List<String> apps;

    @Option(names = "--latency-points", defaultValue = "10000", paramLabel = "M",
            description = "Points sent at --latency-rate after each throughput run to measure latency (0 = none).")
    long latencyPoints;

    @Option(names = "--latency-rate", defaultValue = "2000", paramLabel = "N", description = "Points per second of the latency phase.")
    double latencyRate;

    @Option(names = "--jit-warmup", defaultValue = "200000", paramLabel = "N",
            description = "Points of each unreported warm-up run (0 = no warm-up).")
    long jitWarmup;

    @Option(names = "--jit-rounds", defaultValue = "6", paramLabel = "R",
            description = "At most R rounds of warm-up runs (one of each application per round); they stop once "
                    + "the JIT compiler was busy < 5 %% of each run of a round.")
    int jitRounds;

    @Option(names = "--partitioner", defaultValue = "murmur2", paramLabel = "P",
            description = "Partitioner of the producer of the points: murmur2 (Java's) or crc32 (librdkafka's: "
                    + "Python, Go, .NET, kcat; the estimator then reroutes most points to their model's partition).")
    String partitioner;

    @Option(names = "--past-warmup", description = "Measure the estimator once every model is past its warm-up: each "
            + "run first gives every key its W warm-up points (not measured), restarts the application on its state, "
            + "and measures the --points that follow.")
    boolean pastWarmup;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "Seed of the synthetic points.")
    long seed;

    @Option(names = "--set", paramLabel = "KEY=VALUE", showDefaultValue = CommandLine.Help.Visibility.NEVER,
            preprocessor = KeyValueCheck.class,
            description = "Any Kafka Streams property for both applications, or mixstream.* property for the estimator (repeatable).")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Option(names = "--json-out", paramLabel = "FILE", description = "Also write the results as JSON.")
    Path jsonOut;

    /** Machine, configuration and results, as written by --json-out. */
    public record Report(String date, Map<String, Object> machine, Map<String, Object> config, List<Run> runs,
                         List<ModelSizes.Size> modelSizes, RecordParts parts) {
    }

    /** {@code --apps}, each checked against the known applications. */
    private List<App> parseApplications() {
        List<App> appList = new ArrayList<>();
        for (String a : apps) {
            appList.add(switch (a.trim()) {
                case "pass-through" -> App.PASS_THROUGH;
                case "estimator" -> App.ESTIMATOR;
                default -> throw usage("unknown application '" + a + "' (pass-through, estimator)");
            });
        }
        for (String g : guarantees) {
            if (!g.equals(StreamsConfig.EXACTLY_ONCE_V2) && !g.equals(StreamsConfig.AT_LEAST_ONCE)) {
                throw usage("unknown guarantee '" + g + "' (exactly_once_v2, at_least_once)");
            }
        }
        if (!partitioner.equals("murmur2") && !partitioner.equals("crc32")) {
            throw usage("unknown partitioner '" + partitioner + "' (murmur2, crc32)");
        }
        return appList;
    }

    /** {@code --json-out}: the machine, the configuration and the results. */
    private void writeReport(List<Run> runs, ModelSizes.Size size, RecordParts parts, PrintWriter err)
            throws java.io.IOException {
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("cores", Runtime.getRuntime().availableProcessors());
        machine.put("max_heap_mb", Runtime.getRuntime().maxMemory() >> 20);
        machine.put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        machine.put("jvm_args", ManagementFactory.getRuntimeMXBean().getInputArguments());
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("points", points);
        config.put("partitions", partitions);
        config.put("components", components);
        config.put("dimension", dimension);
        config.put("covariance", covariance);
        config.put("latency_points", latencyPoints);
        config.put("latency_rate", latencyRate);
        config.put("jit_warmup", jitWarmup);
        config.put("jit_rounds", jitRounds);
        config.put("seed", seed);
        config.put("partitioner", partitioner);
        config.put("past_warmup", pastWarmup);
        config.put("overrides", overrides);
        Report report = new Report(Instant.now().toString(), machine, config, runs, List.of(size), parts);
        Files.write(jsonOut, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .writeValueAsBytes(report));
        err.println("bench: results written to " + jsonOut);
        err.flush();
    }

    @Override
    protected int execute() throws Exception {
        if (points < 1 || keys.isEmpty() || keys.stream().anyMatch(k -> k < 1) || partitions < 1 || components < 1
                || dimension < 1 || latencyPoints < 0 || !(latencyRate > 0) || jitWarmup < 0 || jitRounds < 1) {
            throw usage("need --points, --keys, --partitions, --components, --dim >= 1, --latency-points >= 0, "
                    + "--latency-rate > 0, --jit-warmup >= 0, --jit-rounds >= 1");
        }
        List<App> appList = parseApplications();
        CovarianceType type;
        try {
            type = CovarianceType.parse(covariance);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put(MixstreamConfig.COVARIANCE_TYPE_CONFIG, covariance);
        settings.putAll(overrides);
        MixstreamSettings estimatorSettings;
        try { // fail on a bad --set before starting anything
            Map<String, String> check = new LinkedHashMap<>(settings);
            check.put("bootstrap.servers", "localhost:1");
            estimatorSettings = MixstreamSettings.from(check);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        if (jsonOut != null) {
            requireWritableTarget(jsonOut, "JSON output");
        }
        PrintWriter out = out();
        PrintWriter err = err();
        ModelSizes.Size size = ModelSizes.measure(components, dimension, type);
        PipelineBenchmark.Options options = new PipelineBenchmark.Options(points, keys, partitions, components,
                dimension, guarantees, appList, latencyPoints, latencyRate, jitWarmup, jitRounds, seed, settings,
                partitioner.equals("crc32"), pastWarmup);
        EmbeddedBrokerCheck.require("bench");
        err.println("bench: starting an embedded Kafka broker ...");
        err.flush();
        List<Run> runs;
        try (EmbeddedBroker broker = EmbeddedBroker.builder().start()) {
            runs = new PipelineBenchmark(broker.bootstrapServers(), options, err).runAll();
        }
        RecordParts parts = null;
        if (appList.contains(App.ESTIMATOR)) {
            err.println("bench: measuring the estimator's own parts per record in this process ...");
            err.flush();
            parts = RecordParts.measure(components, dimension, keys.get(0), seed, estimatorSettings);
        }
        printTable(out, runs);
        printThreadCores(out, runs);
        printSumOfParts(out, runs, parts);
        out.printf(Locale.ROOT, "model state in the store (K=%d, D=%d, %s): %,d bytes running, written at a commit as a "
                        + "head of %,d bytes (its anomaly reference, %,d bytes, at a refresh only); %,d bytes at the end "
                        + "of its %d-point warm-up, written at a commit as a head of at most %,d bytes and blocks of %,d "
                        + "bytes written once%n", components, dimension, size.covarianceType(), size.runningBytes(),
                size.runningHeadBytes(), size.referenceBytes(), size.warmupBytes(), size.warmup(),
                size.largestHeadBytes(), size.blockBytes());
        out.flush();
        if (jsonOut != null) {
            writeReport(runs, size, parts, err);
        }
        return 0;
    }

    /**
     * Per guarantee (first key count) with both applications: the CPU per record of each (the whole process: broker,
     * application and benchmark), their ratio, and the sum of parts: the pass-through's CPU per record plus the
     * estimator's own parts measured in-process.
     */
    private static void printSumOfParts(PrintWriter out, List<Run> runs, RecordParts parts) {
        if (parts == null) {
            return;
        }
        out.printf(Locale.ROOT, "estimator's own parts per record (in-process, one thread): parse %.2f µs, engine %.2f µs, "
                + "write %.2f µs%n", parts.parseMicros(), parts.engineMicros(), parts.writeMicros());
        for (Run e : runs) {
            Run base = passThroughOf(runs, e);
            if (!e.app().equals(App.ESTIMATOR.label()) || base == null) {
                continue;
            }
            double sum = base.cpuMicrosPerRecord() + parts.totalMicros();
            out.printf(Locale.ROOT, "%s, %,d keys: CPU per record %.2f core-µs estimator, %.2f pass-through (%.2f×); "
                            + "sum of parts %.2f (pass-through + parse + engine + write): the estimator is %.2f× it%n",
                    e.guarantee(), e.keys(), e.cpuMicrosPerRecord(), base.cpuMicrosPerRecord(),
                    e.cpuMicrosPerRecord() / base.cpuMicrosPerRecord(), sum, e.cpuMicrosPerRecord() / sum);
        }
    }

    private static Run passThroughOf(List<Run> runs, Run r) {
        return runs.stream().filter(b -> b.keys() == r.keys() && b.guarantee().equals(r.guarantee())
                && b.app().equals(App.PASS_THROUGH.label())).findFirst().orElse(null);
    }

    /** Per run, the cores each kind of thread kept busy in the measured phase (the {@code cores} column, split). */
    static void printThreadCores(PrintWriter out, List<Run> runs) {
        for (Run r : runs) {
            if (r.threadCores() == null || r.threadCores().isEmpty()) {
                continue;
            }
            StringBuilder line = new StringBuilder();
            r.threadCores().forEach((group, cores) -> line.append(line.length() == 0 ? "" : ", ")
                    .append(String.format(Locale.ROOT, "%s %.2f", group, cores)));
            out.printf(Locale.ROOT, "cores by thread, %s %s, %,d keys: %s%n", r.app(), r.guarantee(), r.keys(), line);
        }
    }

    private static void printTable(PrintWriter out, List<Run> runs) {
        out.printf("%-8s %-16s %-13s %12s %7s %12s %12s %12s %12s %19s %10s %12s %9s %12s %14s %6s %11s %5s%n",
                "keys", "guarantee", "application", "records/s", "ratio", "p50 append", "p99 append", "p50 visible",
                "p99 visible", "outputs/expected", "changelog", "changelog MB", "output MB", "snapshots MB",
                "punctuation ms", "cores", "core-µs/rec", "jit");
        for (Run r : runs) {
            Run base = passThroughOf(runs, r);
            String ratio = r.app().equals(App.ESTIMATOR.label()) && base != null
                    ? String.format(Locale.ROOT, "%.2f", r.recordsPerSecond() / base.recordsPerSecond()) : "";
            out.printf(Locale.ROOT, "%-8d %-16s %-13s %,12.0f %7s %12s %12s %12s %12s %19s %,10d %,12.1f %,9.1f %,12.1f "
                            + "%,14.1f %6.2f %11.2f %4.0f%%%n",
                    r.keys(), r.guarantee(),
                    r.app(), r.recordsPerSecond(), ratio,
                    ms(r.appendLatency() == null ? null : r.appendLatency().p50Ms()),
                    ms(r.appendLatency() == null ? null : r.appendLatency().p99Ms()),
                    ms(r.visibleLatency() == null ? null : r.visibleLatency().p50Ms()),
                    ms(r.visibleLatency() == null ? null : r.visibleLatency().p99Ms()),
                    String.format(Locale.ROOT, "%,d/%,d", r.outputs(), r.expectedOutputs()), r.changelogRecords(),
                    r.changelogBytes() / 1e6, r.outputBytes() / 1e6, r.snapshotBytes() / 1e6, r.punctuateMaxMs(),
                    r.processCores(),
                    r.cpuMicrosPerRecord(), 100 * r.compileShare());
        }
    }

    private static String ms(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.1f ms", v);
    }
}
