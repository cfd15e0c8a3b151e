package dev.mixstream.cli;

import dev.mixstream.gmm.AnomalyPolicy;
import dev.mixstream.gmm.BatchEm;
import dev.mixstream.gmm.ComponentSelection;
import dev.mixstream.gmm.CovarianceType;
import dev.mixstream.gmm.InformationCriterion;
import dev.mixstream.gmm.InvalidMixtureConfigException;
import dev.mixstream.gmm.MixtureConfig;
import dev.mixstream.gmm.MixtureParameter;
import dev.mixstream.gmm.SettingText;
import dev.mixstream.gmm.OnlineMixture;
import dev.mixstream.gmm.PointScore;
import dev.mixstream.gmm.ScoreSink;
import dev.mixstream.io.ColumnSelection;
import dev.mixstream.io.CsvFormatException;
import dev.mixstream.io.CsvPoints;
import dev.mixstream.io.PrefetchedRows;
import dev.mixstream.snapshot.MixtureSnapshot;
import dev.mixstream.snapshot.SnapshotConfig;
import dev.mixstream.snapshot.SnapshotJson;
import dev.mixstream.streams.ResponsibilityWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help.Visibility;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.TypeConversionException;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code mixstream fit}: fits a Gaussian mixture to the points of a CSV file, online (one
 * {@link OnlineMixture} streamed over the rows, in order, for P passes) or by batch EM, and writes
 * the model as a JSON snapshot.
 */
@Command(name = "fit", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false,
        defaultValueProvider = FitCommand.Defaults.class,
        descriptionHeading = "%n", optionListHeading = "%nOptions:%n",
        footerHeading = "%n",
        header = "Fit a Gaussian mixture to a CSV file of points and write it as a JSON snapshot.",
        description = {
            "Online (the default): the rows are streamed, in file order, through one online model "
                    + "(stepwise EM, the engine the streaming application uses); the file is never loaded into "
                    + "memory and is read again for each of the --passes.",
            "Batch (--batch-em): the points are loaded and fitted by classic EM with k-means++ starts.",
            "Online, --scores-out writes for every row, in order, the responsibilities record the stream would emit "
                    + "for it (a CSV replay of the stream: same fields and numbers, without id, ts, partition and "
                    + "offset).",
            "Progress and a one-line summary go to stderr; stdout stays empty."},
        footer = {"Examples:", "  mixstream fit --input points.csv --components 5 --model-out model.json",
            "  mixstream fit -i points.csv -k 5 -o model.json --scores-out scores.jsonl --model-id sensor-1"})
public final class FitCommand extends MixstreamCommand {

    @Option(names = {"-i", "--input"}, required = true, paramLabel = "FILE",
            description = "CSV file of points, one per row (.gz is decompressed).")
    Path input;

    @Option(names = {"-k", "--components"}, required = true, paramLabel = "K|auto", showDefaultValue = Visibility.NEVER,
            converter = ComponentsConverter.class,
            description = "Number of Gaussian components, or auto: online, the model chooses its own K up to "
                    + "--max-components and changes it as the data change (components born, split, merged, dying); "
                    + "with --batch-em, each K from 1 to --max-components is fitted and the best by --criterion "
                    + "kept.")
    int components;

    @Option(names = "--max-components", paramLabel = "N",
            description = "With --components auto: the largest K (tried, with --batch-em).")
    int maxComponents;

    @Option(names = "--criterion", paramLabel = "bic|aic", converter = CriterionConverter.class,
            description = "With --components auto and --batch-em: bic (Bayesian information criterion) or aic "
                    + "(Akaike's); lower wins.")
    InformationCriterion criterion;

    @Option(names = {"-o", "--model-out"}, required = true, paramLabel = "MODEL.json",
            description = "Where to write the model snapshot (JSON).")
    Path modelOut;

    @Option(names = "--covariance", paramLabel = "TYPE", converter = CovarianceConverter.class,
            description = "Covariance type: full, diag or spherical.")
    CovarianceType covariance;

    @Option(names = "--half-life", paramLabel = "N|none", converter = HalfLifeConverter.class,
            description = "Half-life of the statistics in points (online), or none to never forget.")
    double halfLife;

    @Option(names = "--step-exponent", paramLabel = "A",
            description = "Step exponent α in (0.5, 1]: step size (n + 2)^-α (online).")
    double stepExponent;

    @Option(names = "--batch-size", paramLabel = "M",
            description = "Points per stepwise-EM step (online).")
    int batchSize;

    @Option(names = "--warmup", paramLabel = "W|auto", converter = AutoIntConverter.class,
            description = "Points buffered before the model is initialised by EM (online); "
                    + "auto = max(100, 10·K·(D+1)); at least 2·K·(D+1) (full) or 4·K (diag, spherical).")
    int warmup;

    @Option(names = "--init-iterations", paramLabel = "N",
            description = "Maximum EM iterations on the warm-up buffer (online).")
    int initIterations;

    @Option(names = "--min-weight", paramLabel = "W|auto", converter = AutoDoubleConverter.class,
            description = "Online: a component whose share of recent responsibility falls below this is starving and "
                    + "triggers a drift re-fit; keep it below the smallest real cluster's weight; "
                    + "auto = min(0.005, 0.1/K).")
    double minWeight;

    @Option(names = "--reg-covar", paramLabel = "R",
            description = "Added to every covariance diagonal (keeps components non-singular).")
    double regCovar;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the k-means++ initialisation.")
    long seed;

    @Option(names = "--passes", paramLabel = "P",
            description = "Online passes over the file, each in row order (online).")
    int passes;

    @Option(names = "--scores-out", paramLabel = "FILE.jsonl",
            description = "Online, one pass: write the responsibilities record of every row (JSON lines, in row order), "
                    + "exactly as the stream would emit it, anomaly fields included.")
    Path scoresOut;

    @Option(names = "--model-id", paramLabel = "NAME",
            description = "The model field of the --scores-out records (the stream's record key).")
    String modelId;

    @Option(names = "--anomaly-alpha", paramLabel = "A",
            description = "Online: a point is flagged when its anomaly_score >= 1 - A (mixstream.anomaly.alpha).")
    double anomalyAlpha;

    @Option(names = "--anomaly-learn", negatable = true, fallbackValue = "true",
            description = "Online: learn from flagged points; --no-anomaly-learn answers them without learning them "
                    + "(mixstream.anomaly.learn).")
    boolean anomalyLearn = true;

    @Option(names = "--batch-em", description = "Fit by batch EM on the whole file instead of online.")
    boolean batchEm;

    @Option(names = "--n-init", paramLabel = "N", description = "Batch EM: number of initialisations; the best wins.")
    int nInit;

    @Option(names = "--max-iter", paramLabel = "N", description = "Batch EM: maximum iterations per initialisation.")
    int maxIter;

    @Option(names = "--tol", paramLabel = "T",
            description = "Batch EM: stop when the mean log-likelihood changes by less than this.")
    double tol;

    @Option(names = "--columns", paramLabel = "COLS", converter = ColumnsConverter.class,
            description = "The columns that hold the coordinates: 1-based numbers and ranges (1-4, 1,3,5) or header "
                    + "names (x,y); the others (labels, ids) are ignored. Default: every column.")
    ColumnSelection columns;

    @Option(names = "--skip-bad-rows",
            description = "Skip (and count) malformed rows instead of stopping at the first one.")
    boolean skipBadRows;

    @Option(names = "--progress", negatable = true,
            description = "Show a progress bar on stderr (default: only for inputs of 4 MiB or more "
                    + "when stderr is a terminal).")
    Boolean progress;

    private static final String[] ONLINE_ONLY = {"--half-life", "--step-exponent", "--batch-size", "--warmup",
        "--init-iterations", "--min-weight", "--passes", "--scores-out", "--model-id", "--anomaly-alpha",
        "--anomaly-learn"};
    private static final String[] BATCH_ONLY = {"--n-init", "--max-iter", "--tol"};

    /** The option of each model parameter, for messages about a value out of its range. */
    private static final Map<MixtureParameter, String> OPTION_OF = Map.ofEntries(
            Map.entry(MixtureParameter.COMPONENTS, "--components"),
            Map.entry(MixtureParameter.COVARIANCE_TYPE, "--covariance"),
            Map.entry(MixtureParameter.REG_COVAR, "--reg-covar"),
            Map.entry(MixtureParameter.HALF_LIFE, "--half-life"),
            Map.entry(MixtureParameter.STEP_EXPONENT, "--step-exponent"),
            Map.entry(MixtureParameter.BATCH_SIZE, "--batch-size"),
            Map.entry(MixtureParameter.WARMUP, "--warmup"),
            Map.entry(MixtureParameter.INIT_ITERATIONS, "--init-iterations"),
            Map.entry(MixtureParameter.MIN_WEIGHT, "--min-weight"),
            Map.entry(MixtureParameter.SEED, "--seed"),
            Map.entry(MixtureParameter.MAX_COMPONENTS, "--max-components"));

    /** Whether K is chosen by the data (--components auto). */
    private boolean autoComponents() {
        return components == 0;
    }

    /**
     * The engine configuration the options describe: online with --components auto, automatic K up to
     * --max-components; with --batch-em, K = 1 (each K is set in turn).
     */
    MixtureConfig config() {
        boolean online = autoComponents() && !batchEm;
        int components = autoComponents() ? (online ? MixtureConfig.AUTO_COMPONENTS : 1) : this.components;
        int largest = online ? maxComponents : 0;
        try {
            return new MixtureConfig(components, covariance, regCovar, halfLife, stepExponent, batchSize, warmup,
                    initIterations, Double.isNaN(minWeight)
                    ? MixtureConfig.defaultMinWeight(online ? largest : components) : minWeight, seed, largest);
        } catch (InvalidMixtureConfigException e) {
            throw usage(OPTION_OF.get(e.parameter()) + " " + e.problem());
        }
    }

    @Override
    protected int execute() throws IOException {
        ParseResult parsed = spec.commandLine().getParseResult();
        for (String name : batchEm ? ONLINE_ONLY : BATCH_ONLY) {
            if (parsed.hasMatchedOption(name)) {
                throw usage(name + (batchEm ? " applies to online fitting only, not with --batch-em"
                        : " applies to --batch-em only"));
            }
        }
        if (passes < 1) {
            throw usage("--passes must be >= 1, got " + passes);
        }
        if (scoresOut != null && passes > 1) {
            throw usage("--scores-out replays the stream, which sees every point once: use it with --passes 1");
        }
        if (parsed.hasMatchedOption("--model-id") && scoresOut == null) {
            throw usage("--model-id names the model in the --scores-out records; add --scores-out FILE.jsonl");
        }
        AnomalyPolicy anomaly;
        try {
            anomaly = new AnomalyPolicy(anomalyAlpha, anomalyLearn);
        } catch (IllegalArgumentException e) {
            throw usage("--anomaly-alpha must be in (0, 1), got " + anomalyAlpha);
        }
        for (String name : new String[]{"--max-components", "--criterion"}) {
            if (!autoComponents() && parsed.hasMatchedOption(name)) {
                throw usage(name + " applies to --components auto only");
            }
        }
        if (!batchEm && parsed.hasMatchedOption("--criterion")) {
            throw usage("--criterion applies to --batch-em only: online, K is chosen by reviews judged on held-out "
                    + "points (docs/ESTIMATOR.md)");
        }
        if (autoComponents() && (maxComponents < 1 || maxComponents > MixtureConfig.MAX_COMPONENTS)) {
            throw usage("--max-components must be in [1, " + MixtureConfig.MAX_COMPONENTS + "], got " + maxComponents);
        }
        MixtureConfig config = config();
        BatchEm.Options batchOptions = null;
        if (batchEm) {
            try {
                batchOptions = new BatchEm.Options(nInit, maxIter, tol);
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
        }
        requireReadableFile(input, "input file");
        requireWritableTarget(modelOut, "model file");
        if (scoresOut != null) {
            requireWritableTarget(scoresOut, "scores file");
            if (scoresOut.toAbsolutePath().normalize().equals(modelOut.toAbsolutePath().normalize())) {
                throw usage("--scores-out and --model-out are the same file: " + scoresOut);
            }
        }

        CsvPoints.Options csv = CsvPoints.Options.strict().withSkipBadRows(skipBadRows)
                .withMaxAbs(OnlineMixture.MAX_ABS_COORDINATE).withSelection(columns);
        long started = System.nanoTime();
        Stats stats = new Stats();
        Fitted fitted;
        try (Progress bar = Progress.start("fit", Files.size(input) * (batchEm ? 1 : passes), progress)) {
            fitted = batchEm ? fitBatch(csv, stats, bar, config, batchOptions)
                    : fitOnline(csv, stats, bar, config, anomaly);
        }
        MixtureSnapshot snapshot = fitted.snapshot();
        String fitSummary = fitted.summary();
        SnapshotJson.write(snapshot, modelOut);
        double seconds = (System.nanoTime() - started) / 1e9;
        long learned = stats.rows * (batchEm ? 1 : passes);
        err().println("fit: " + plural(stats.rows, "row") + (passes > 1 ? " x " + passes + " passes" : "")
                + ", " + plural(stats.bad, "bad row") + " skipped, "
                + seconds(seconds) + " s, "
                + format(Math.round(learned / Math.max(seconds, 1e-9))) + " points/s, " + fitSummary
                + "; model written to " + modelOut + (scoresOut == null ? "" : ", scores to " + scoresOut));
        err().flush();
        return 0;
    }

    /** A fitted model and the summary line's words about it. */
    private record Fitted(MixtureSnapshot snapshot, String summary) {
    }

    /** Batch EM on the whole file, loaded into memory. */
    private Fitted fitBatch(CsvPoints.Options csv, Stats stats, Progress bar, MixtureConfig config,
                            BatchEm.Options batchOptions) throws IOException {
        List<double[]> points = new ArrayList<>();
        read(csv, stats, bar, 0, x -> points.add(x));
        double[][] data = points.toArray(new double[0][]);
        if (autoComponents()) {
            return selectComponents(data, config, batchOptions);
        }
        requireRowsForComponents(data.length);
        BatchEm.Result r = BatchEm.fit(data, config, batchOptions);
        MixtureSnapshot snapshot = MixtureSnapshot.of(r.mixture(), data.length, data.length, r.meanLogLikelihood(), 0,
                SnapshotConfig.ofBatch(config, batchOptions.nInit(), batchOptions.maxIter(), batchOptions.tol()));
        return new Fitted(snapshot, "mean log-likelihood " + format(r.meanLogLikelihood()) + ", " + r.iterations()
                + " EM iterations, " + (r.converged() ? "converged" : "not converged"));
    }

    /** --components auto: every K from 1 to --max-components, the table on stderr, the best kept. */
    private Fitted selectComponents(double[][] data, MixtureConfig config, BatchEm.Options batchOptions) {
        ComponentSelection.Result r = ComponentSelection.select(data, config, batchOptions, maxComponents, criterion);
        String name = criterion.name();
        err().printf(Locale.ROOT, "%4s %16s %10s %16s%n", "K", "log-likelihood", "parameters", name);
        for (ComponentSelection.Candidate c : r.candidates()) {
            err().printf(Locale.ROOT, "%4d %16.4f %10d %16.4f%s%n", c.components(), c.meanLogLikelihood() * data.length,
                    c.parameters(), c.criterionValue(), c == r.chosen() ? "  <- chosen" : "");
        }
        if (r.candidates().size() < maxComponents) {
            err().println("note: K stopped at " + r.candidates().size() + ", the number of rows");
        }
        ComponentSelection.Candidate best = r.chosen();
        MixtureConfig chosen = ComponentSelection.forComponents(config, best.components());
        MixtureSnapshot snapshot = MixtureSnapshot.of(best.fit().mixture(), data.length, data.length,
                best.meanLogLikelihood(), 0, SnapshotConfig.ofBatch(chosen, batchOptions.nInit(), batchOptions.maxIter(),
                        batchOptions.tol()).withSelection(criterion, maxComponents, best.criterionValue()));
        return new Fitted(snapshot, "K=" + best.components() + " chosen by " + name + " among 1.." + r.candidates().size()
                + ", mean log-likelihood " + format(best.meanLogLikelihood()));
    }

    /**
     * One online model streamed over the file's rows, in order, for each of the passes; with --scores-out, each
     * row's record is written as the model answers it (warm-up rows when the warm-up ends, as in the stream).
     */
    private Fitted fitOnline(CsvPoints.Options csv, Stats stats, Progress bar, MixtureConfig config,
                             AnomalyPolicy anomaly) throws IOException {
        OnlineMixture model = new OnlineMixture(config);
        model.setAnomalyPolicy(anomaly);
        long size = Files.size(input);
        try (ScoresFile scores = scoresOut == null ? null : new ScoresFile(scoresOut, modelId)) {
            ScoreSink sink = scores == null ? ScoreSink.IGNORE : scores;
            for (int pass = 0; pass < passes; pass++) {
                Stats passStats = pass == 0 ? stats : new Stats();
                read(csv, passStats, bar, pass * size, x -> {
                    if (model.dimension() < 0) {
                        requireSafeWarmup(config, x.length);
                    }
                    model.learn(x, null, sink);
                });
            }
            requireRowsForComponents(stats.rows);
            if (!model.isInitialised()) {
                err().println("note: the input ended during the warm-up (" + model.pointsSeen() + " of "
                        + model.warmup() + " points); the model is initialised from those "
                        + model.pointsSeen() + " points" + (scores == null ? ""
                        : ", which are answered by it (the stream would still be waiting for more)"));
                model.initialiseNow(sink);
            }
            if (scores != null) {
                scores.finish();
            }
        }
        return new Fitted(MixtureSnapshot.of(model), (config.automaticComponents() ? componentsSummary(model) + ", "
                : "") + "avg log-likelihood " + format(model.avgLogLikelihood())
                + " (prequential" + (config.hasNoHalfLife() ? "" : ", half-life " + format(config.halfLife())) + ")"
                + (model.refits() > 0 ? ", " + model.refits() + " drift re-fits" : ""));
    }

    /** What automatic K did: "K=4 (auto, at most 10; 2 births, 1 split, 0 merges, 1 death in 9 reviews)". */
    private static String componentsSummary(OnlineMixture m) {
        return "K=" + m.components() + " (auto, at most " + m.config().maxComponents() + "; "
                + plural(m.births(), "birth") + ", " + plural(m.splits(), "split") + ", "
                + plural(m.merges(), "merge") + ", " + plural(m.deaths(), "death") + " in "
                + plural(m.reviews(), "review") + ")";
    }

    /** Refuses an explicit --warmup below the safe minimum for K and the data's D ({@link MixtureConfig#safeWarmup}). */
    private void requireSafeWarmup(MixtureConfig config, int dimension) {
        int safe = config.safeWarmup(dimension);
        if (config.warmup() != 0 && config.warmup() < safe) {
            throw usage("--warmup " + config.warmup() + " is below the safe minimum for K="
                    + SettingText.components(config.components()) + " "
                    + config.covarianceType().wireName() + " at D=" + dimension + ": " + safe + " points ("
                    + MixtureConfig.safeWarmupFormula(config.covarianceType())
                    + "); a shorter warm-up collapses components onto a few points. Use --warmup " + safe
                    + " or more, or auto");
        }
    }

    /** The --scores-out file: one responsibilities record per answered point, as JSON lines. */
    private static final class ScoresFile implements ScoreSink, AutoCloseable {
        private final ResponsibilityWriter writer = new ResponsibilityWriter();
        private final OutputStream out;
        private final String model;
        private IOException failure;

        ScoresFile(Path file, String model) throws IOException {
            this.out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
            this.model = model;
        }

        @Override
        public void accept(PointScore score) {
            if (failure != null) {
                return;
            }
            try {
                out.write(writer.writeOffline(model, score));
                out.write('\n');
            } catch (IOException e) {
                failure = e;
            }
        }

        /** Flushes the file; reports the first write failure. */
        void finish() throws IOException {
            if (failure != null) {
                throw failure;
            }
            out.flush();
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }

    /** A mixture of K components needs at least K points. */
    private void requireRowsForComponents(long rows) {
        if (rows < components) {
            throw new CliException("--components " + components + " is more than the " + plural(rows, "valid row")
                    + " of " + input + ": a mixture needs at least one point per component; lower --components");
        }
    }

    /** Counts of one pass over the input. */
    private static final class Stats {
        long rows;
        long bad;
    }

    /** Receives the points of one pass. */
    @FunctionalInterface
    private interface PointConsumer {
        void accept(double[] x);
    }

    /** Streams the input once through {@code consumer}; counts rows; fails on zero valid rows. */
    private void read(CsvPoints.Options options, Stats stats, Progress bar, long bytesBefore, PointConsumer consumer)
            throws IOException {
        try (CsvPoints csv = CsvPoints.open(input, options);
             PrefetchedRows rows = PrefetchedRows.start(csv)) { // parsing on one core, the consumer on another
            rows.forEach(row -> consumer.accept(row.values()), bytes -> bar.update(bytesBefore + bytes));
            stats.rows = csv.rows();
            stats.bad = csv.badRows();
            if (csv.badRows() > 0 && bytesBefore == 0) {
                err().println("warning: skipped " + plural(csv.badRows(), "bad row")
                        + " of " + input + " (first: " + csv.firstBadRow().getMessage() + ")");
            }
            if (csv.rows() == 0) {
                throw new CliException("no valid rows in " + input
                        + (csv.badRows() > 0 ? " (" + plural(csv.badRows(), "bad row") + " skipped)" : ""));
            }
        } catch (CsvFormatException e) {
            throw new CliException(describe(input, e, columns != null));
        }
    }

    // ---- defaults and converters --------------------------------------------------------------

    /**
     * Defaults shown in --help: the model settings' from their one declaration ({@link MixtureConfig#defaultText},
     * which {@link dev.mixstream.streams.MixstreamConfig} defines the stream's settings with), the anomaly options' from
     * {@link AnomalyPolicy#DEFAULT}, the batch options' from {@link BatchEm.Options#defaults()}. None of them loads
     * a Kafka class.
     */
    static final class Defaults implements IDefaultValueProvider {
        @Override
        public String defaultValue(ArgSpec arg) {
            if (!(arg instanceof OptionSpec option)) {
                return null;
            }
            BatchEm.Options b = BatchEm.Options.defaults();
            return switch (option.longestName()) {
                case "--covariance" -> MixtureConfig.defaultText(MixtureParameter.COVARIANCE_TYPE);
                case "--half-life" -> MixtureConfig.defaultText(MixtureParameter.HALF_LIFE);
                case "--step-exponent" -> MixtureConfig.defaultText(MixtureParameter.STEP_EXPONENT);
                case "--batch-size" -> MixtureConfig.defaultText(MixtureParameter.BATCH_SIZE);
                case "--warmup" -> MixtureConfig.defaultText(MixtureParameter.WARMUP);
                case "--init-iterations" -> MixtureConfig.defaultText(MixtureParameter.INIT_ITERATIONS);
                case "--min-weight" -> MixtureConfig.defaultText(MixtureParameter.MIN_WEIGHT);
                case "--reg-covar" -> MixtureConfig.defaultText(MixtureParameter.REG_COVAR);
                case "--seed" -> MixtureConfig.defaultText(MixtureParameter.SEED);
                case "--passes" -> "1";
                case "--model-id" -> "default";
                case "--anomaly-alpha" -> Double.toString(AnomalyPolicy.DEFAULT.alpha());
                case "--anomaly-learn" -> Boolean.toString(AnomalyPolicy.DEFAULT.learn());
                case "--max-components" -> MixtureConfig.defaultText(MixtureParameter.MAX_COMPONENTS);
                case "--criterion" -> "bic";
                case "--n-init" -> Integer.toString(b.nInit());
                case "--max-iter" -> Integer.toString(b.maxIter());
                case "--tol" -> Double.toString(b.tol());
                default -> null;
            };
        }
    }

    /** bic or aic. */
    static final class CriterionConverter implements ITypeConverter<InformationCriterion> {
        @Override
        public InformationCriterion convert(String value) {
            try {
                return InformationCriterion.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** full, diag or spherical. */
    static final class CovarianceConverter implements ITypeConverter<CovarianceType> {
        @Override
        public CovarianceType convert(String value) {
            try {
                return CovarianceType.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("'" + value + "' is not full, diag or spherical");
            }
        }
    }

    /** A number of points, or none (∞): {@link SettingText#halfLife(String)}, as in the configuration file. */
    static final class HalfLifeConverter implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            try {
                return SettingText.halfLife(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** An integer, or auto (0): {@link SettingText#warmup(String)}. */
    /** A number of components, or auto (0): {@link SettingText#components(String)} (0 itself is refused). */
    static final class ComponentsConverter implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            try {
                return SettingText.components(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class AutoIntConverter implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            try {
                return SettingText.warmup(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** A number, or auto (NaN): {@link SettingText#minWeight(String)}. */
    static final class AutoDoubleConverter implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            try {
                return SettingText.minWeight(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
