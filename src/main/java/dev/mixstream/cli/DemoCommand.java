package dev.mixstream.cli;

import dev.mixstream.broker.EmbeddedBroker;
import dev.mixstream.demo.DemoWorkload;
import dev.mixstream.demo.OutputReader;
import dev.mixstream.demo.LiveView;
import dev.mixstream.demo.ModelComparison;
import dev.mixstream.gmm.AnomalyPolicy;
import dev.mixstream.snapshot.MixtureSnapshot;
import dev.mixstream.streams.MixstreamApp;
import dev.mixstream.streams.MixstreamConfig;
import dev.mixstream.streams.MixstreamSettings;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import dev.mixstream.io.DirectoryTree;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code demo}: the whole product in one process — an embedded Kafka broker, the estimator, a synthetic
 * drifting stream with a few bad records, a live view of the learned models, and a summary next to the
 * true generating models.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false,
        descriptionHeading = "%n", optionListHeading = "%nOptions:%n",
        header = "Run the estimator on a synthetic drifting stream, on an embedded Kafka broker.",
        description = "Starts a single-node Kafka broker inside this process (data in a temporary directory), "
                + "creates the topics, starts the estimator and streams three 2-D clusters per model key into it; "
                + "halfway every cluster jumps further than the spacing between clusters. A few malformed records "
                + "show the dead-letter topic, a few outliers the anomaly flags. Ends with the learned models next "
                + "to the true ones and the anomalies found.")
public final class DemoCommand extends MixstreamCommand {
    @Mixin
    KafkaLogOption logs = new KafkaLogOption();

    @Override
    protected KafkaLogLevel kafkaLogLevel() {
        return logs.levelOr(KafkaLogLevel.ERROR);
    }

    @Option(names = "--points", defaultValue = "40000", paramLabel = "N", description = "Valid points to send, over all keys.")
    long points;

    @Option(names = "--keys", defaultValue = "3", paramLabel = "N", description = "Model keys (sensor-a, sensor-b, ...).")
    int keys;

    @Option(names = "--rate", defaultValue = "5000", paramLabel = "N", description = "Points per second; 0 = as fast as possible.")
    double rate;

    @Option(names = "--drift-at", defaultValue = "0.5", paramLabel = "F", description = "Fraction of the points after which the clusters jump.")
    double driftAt;

    @Option(names = "--bad-records", defaultValue = "7", paramLabel = "N", description = "Malformed records to send.")
    int badRecords;

    @Option(names = "--outliers", defaultValue = "6", paramLabel = "N",
            description = "Points far from every cluster to inject (ids outlier-1, outlier-2, ...).")
    int outliers;

    @Option(names = "--half-life", defaultValue = "2000", paramLabel = "N", description = "Half-life of the models, in points.")
    String halfLife;

    @Option(names = "--bootstrap-port", defaultValue = "0", paramLabel = "PORT",
            description = "Port of the embedded broker (0 = any free port); point kafka-console-consumer at it.")
    int port;

    @Option(names = "--http-port", defaultValue = "0", paramLabel = "PORT",
            description = "Port of the dashboard and HTTP API on 127.0.0.1 (0 = any free port; the URL is printed).")
    int httpPort;

    @Option(names = "--forever", description = "Keep streaming until Ctrl-C.")
    boolean forever;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "Seed of the synthetic stream.")
    long seed;

    @Option(names = "--plain", description = "Plain periodic lines instead of the in-place table (default when "
            + "the output is not a terminal).")
    boolean plain;

    @Option(names = "--timeout", defaultValue = "180", paramLabel = "SECONDS",
            description = "Give up if the outputs are not complete this long after the last point was sent.")
    int timeoutSeconds;

    private final AtomicBoolean stop = new AtomicBoolean();

    @Override
    protected int execute() throws Exception {
        EmbeddedBrokerCheck.require("demo");
        if (points < 1 || keys < 1 || keys > 26 * 27 || !(rate >= 0) || !(driftAt >= 0 && driftAt <= 1)
                || outliers < 0) {
            throw usage("need --points >= 1, --keys in [1, 702], --rate >= 0, --drift-at in [0, 1], --outliers >= 0");
        }
        if (httpPort < 0 || httpPort > 65535) {
            throw usage("--http-port must be in [0, 65535], got " + httpPort);
        }
        if (forever) {
            for (String option : new String[]{"--points", "--drift-at", "--bad-records", "--outliers"}) {
                if (spec.commandLine().getParseResult().hasMatchedOption(option)) {
                    throw usage(option + " does not apply with --forever: the stream never ends, the clusters jump "
                            + "once after 200,000 points per key, one bad record follows every 10,000 points and one "
                            + "outlier every 20,000; "
                            + "leave " + option + " out, or drop --forever");
                }
            }
        }
        PrintWriter out = out();
        boolean terminal = !plain && System.console() != null;
        DemoWorkload workload = new DemoWorkload(keys, forever ? Long.MAX_VALUE : points, driftAt, badRecords, outliers,
                seed);
        Path stateDir = Files.createTempDirectory("mixstream-demo-state");
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.set(true);
            try {
                finished.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "mixstream-demo-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        out.println("mixstream demo: starting an embedded Kafka broker ...");
        out.flush();
        try (EmbeddedBroker broker = EmbeddedBroker.builder().port(port).start()) {
            MixstreamSettings settings = settings(broker.bootstrapServers(), stateDir);
            out.printf("broker on %s; topics %s -> %s, %s, %s%n", broker.bootstrapServers(), settings.pointsTopic(),
                    settings.responsibilitiesTopic(), settings.snapshotsTopic(), settings.dlqTopic());
            out.println("starting the estimator (exactly-once) ...");
            out.flush();
            try (MixstreamApp app = MixstreamApp.start(settings)) {
                if (!app.awaitRunning(Duration.ofSeconds(120))) {
                    throw new CliException("the estimator did not start (state " + app.state() + ")");
                }
                out.printf("dashboard on http://localhost:%d/ while the demo runs (--forever keeps it up; "
                        + "HTTP API: curl http://localhost:%d/models)%n", app.httpPort(), app.httpPort());
                out.flush();
                return stream(out, terminal, workload, settings, broker.bootstrapServers());
            }
        } finally {
            DirectoryTree.delete(stateDir);
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // the JVM is already shutting down
            }
        }
    }

    private MixstreamSettings settings(String bootstrap, Path stateDir) {
        Map<String, String> p = new HashMap<>();
        p.put("bootstrap.servers", bootstrap);
        p.put("application.id", "mixstream-demo");
        p.put("state.dir", stateDir.toString());
        p.put("commit.interval.ms", "200");
        p.put(MixstreamConfig.COMPONENTS_CONFIG, "3");
        p.put(MixstreamConfig.HALF_LIFE_CONFIG, halfLife);
        p.put(MixstreamConfig.SNAPSHOT_EVERY_POINTS_CONFIG, "500");
        p.put(MixstreamConfig.SNAPSHOT_INTERVAL_MS_CONFIG, "1000");
        p.put(MixstreamConfig.TOPICS_PARTITIONS_CONFIG, "4");
        p.put(MixstreamConfig.HTTP_PORT_CONFIG, Integer.toString(httpPort));
        p.put(MixstreamConfig.HTTP_HOST_CONFIG, "127.0.0.1"); // the demo is for this machine only
        p.put(MixstreamConfig.HTTP_ADVERTISED_HOST_CONFIG, "localhost");
        return MixstreamSettings.from(p);
    }

    private int stream(PrintWriter out, boolean terminal, DemoWorkload workload, MixstreamSettings settings,
                       String bootstrap) throws Exception {
        OutputReader reader = new OutputReader(consumer(bootstrap), settings.responsibilitiesTopic(),
                settings.snapshotsTopic(), settings.dlqTopic());
        Map<String, MixtureSnapshot> latest = reader.latest();
        LiveView view = new LiveView(out, terminal);
        long started = System.nanoTime();
        long lastDraw = 0;
        long lastOutputs = 0;
        long lastTime = started;
        double recordsPerSecond = 0;
        long doneSendingAt = 0;
        Map<String, Long> perKey = new HashMap<>();
        try (KafkaProducer<String, byte[]> producer = producer(bootstrap)) {
            while (!stop.get()) {
                long now = System.nanoTime();
                if (workload.hasNext()) {
                    long due = rate > 0 ? started + (long) (workload.validSent() * 1e9 / rate) : now;
                    if (due <= now) {
                        DemoWorkload.Item item = workload.next();
                        producer.send(new ProducerRecord<>(settings.pointsTopic(), item.key(), item.value()));
                        if (item.valid()) {
                            perKey.merge(item.key(), 1L, Long::sum);
                        }
                        continue;
                    }
                } else if (doneSendingAt == 0) {
                    producer.flush();
                    doneSendingAt = now;
                }
                if (now - lastDraw >= (terminal ? 250_000_000L : 2_000_000_000L)) {
                    long o = reader.answers();
                    recordsPerSecond = (o - lastOutputs) / Math.max(1e-9, (now - lastTime) / 1e9);
                    lastOutputs = o;
                    lastTime = now;
                    lastDraw = now;
                    view.draw(new LiveView.Frame(workload.validSent(), workload.total(), o, reader.deadLetters(),
                            reader.anomalies(), recordsPerSecond, workload.drifted(), workload.driftAt(), new TreeMap<>(latest)));
                }
                if (reader.failure() != null) {
                    throw new CliException("reading the output topics failed: " + reader.failure());
                }
                if (doneSendingAt != 0 && complete(workload, reader.answers(), reader.deadLetters(), latest, perKey)) {
                    break;
                }
                if (doneSendingAt != 0 && now - doneSendingAt > TimeUnit.SECONDS.toNanos(timeoutSeconds)) {
                    throw new CliException("outputs incomplete after " + timeoutSeconds + " s: " + reader.answers()
                            + " of " + workload.validSent() + " points answered");
                }
                Thread.sleep(rate > 0 && workload.hasNext() ? 1 : 20);
            }
            producer.flush();
        } finally {
            reader.close();
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        view.draw(new LiveView.Frame(workload.validSent(), workload.total(), reader.answers(), reader.deadLetters(),
                reader.anomalies(), reader.answers() / Math.max(seconds, 1e-9), workload.drifted(), workload.driftAt(), new TreeMap<>(latest)));
        summary(out, workload, latest, reader.answers(), reader.deadLetters(), reader.reasons(), (System.nanoTime() - started) / 1e9);
        anomalies(out, workload, reader);
        return 0;
    }

    private static boolean complete(DemoWorkload w, long outputs, long deadLetters, Map<String, MixtureSnapshot> latest,
                                    Map<String, Long> perKey) {
        if (outputs < w.validSent() || deadLetters < w.badSent()) {
            return false;
        }
        for (Map.Entry<String, Long> e : perKey.entrySet()) {
            MixtureSnapshot s = latest.get(e.getKey());
            if (s == null || s.pointsSeen() < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    private void summary(PrintWriter out, DemoWorkload w, Map<String, MixtureSnapshot> latest, long outputs,
                         long deadLetters, Map<String, Long> reasons, double seconds) {
        out.println();
        String answered = outputs == w.validSent() ? "exactly one each"
                : String.format(Locale.ROOT, "%,d not answered yet when the demo stopped", w.validSent() - outputs);
        out.printf(Locale.ROOT, "done in %.1f s: %,d points sent, %,d answered (%s), %d dead letters %s%n",
                seconds, w.validSent(), outputs, answered, deadLetters, new TreeMap<>(reasons));
        out.println(w.drifted() ? "learned models vs the true ones after the jump:" : "learned models vs the true ones:");
        List<String> keyNames = w.keys();
        for (int i = 0; i < keyNames.size(); i++) {
            MixtureSnapshot s = latest.get(keyNames.get(i));
            if (s == null) {
                out.printf("%-10s (still warming up)%n", keyNames.get(i));
                continue;
            }
            List<ModelComparison.Match> matches = ModelComparison.match(w.truth(i), s);
            ModelComparison.render(keyNames.get(i), matches).forEach(out::println);
            out.printf(Locale.ROOT, "%-10s worst |Δμ| %.3f, refits %d, avg log-likelihood %.3f%n", "",
                    ModelComparison.worstMeanDistance(matches), s.refits(), s.avgLogLikelihood());
        }
        out.flush();
    }

    /** How many answers were flagged, how many of the injected outliers among them, and one or two of those. */
    private static void anomalies(PrintWriter out, DemoWorkload w, OutputReader reader) {
        long flagged = reader.anomalies();
        long outliersFlagged = reader.outliersFlagged();
        out.printf(Locale.ROOT, "anomalies: %,d answers flagged (anomaly_score >= %s): %d of the %d injected "
                        + "outliers, and %,d other points (%s)%n", flagged, 1 - AnomalyPolicy.DEFAULT_ALPHA,
                outliersFlagged, w.outliersSent(),
                flagged - outliersFlagged, w.drifted() ? "mostly the moved data, until the re-fit after the jump"
                        : "the model's own rare points: about 1 in 1,000");
        for (String example : reader.flaggedOutlierExamples()) {
            out.println("  " + example);
        }
        out.flush();
    }

    private static KafkaProducer<String, byte[]> producer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return new KafkaProducer<>(p);
    }

    private static KafkaConsumer<String, byte[]> consumer(String bootstrap) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "mixstream-demo-view");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return new KafkaConsumer<>(p);
    }
}
