package dev.mixstream.cli;

import dev.mixstream.streams.MixstreamApp;
import dev.mixstream.streams.MixstreamMetrics;
import dev.mixstream.streams.MixstreamSettings;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * {@code run}: the estimator against an existing Kafka cluster, until SIGTERM or Ctrl-C.
 */
@Command(name = "run", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false,
        descriptionHeading = "%n", optionListHeading = "%nOptions:%n",
        header = "Run the streaming estimator against a Kafka cluster until SIGTERM or Ctrl-C.",
        description = "Configuration, highest precedence first: --set and --bootstrap-servers, environment "
                + "variables (MIXSTREAM_FOO_BAR -> mixstream.foo.bar, MIXSTREAM_KAFKA_FOO_BAR -> Kafka property "
                + "foo.bar), the --config file, built-in defaults. Invalid configuration fails at start.")
public final class RunCommand extends MixstreamCommand {
    @Mixin
    KafkaLogOption logs = new KafkaLogOption();

    @Override
    protected KafkaLogLevel kafkaLogLevel() {
        return logs.levelOr(KafkaLogLevel.WARN);
    }

    /**
     * The command's logger, looked up when first used: picocli builds every subcommand at start-up, and a static
     * logger here would initialise logback (a third of a second) for every command, {@code --version} included.
     */
    private static Logger log() {
        return LoggerFactory.getLogger(RunCommand.class);
    }

    @Mixin
    SettingsOptions settingsOptions = new SettingsOptions();

    @Option(names = "--shutdown-timeout", defaultValue = "30", paramLabel = "SECONDS",
            description = "How long a clean shutdown may take.")
    int shutdownSeconds;

    /**
     * Logs one status line every interval (none when 0): state, records processed and their rate, dead letters,
     * models held by this instance (warming up among them) and the points topic's consumer lag.
     */
    private static ScheduledExecutorService statusLine(MixstreamApp app, long intervalMs) {
        ScheduledExecutorService status = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mixstream-status");
            t.setDaemon(true);
            return t;
        });
        long[] last = {0, System.nanoTime()};
        if (intervalMs > 0) {
            status.scheduleAtFixedRate(() -> {
                long processed = app.recordsProcessed();
                long now = System.nanoTime();
                double rate = (processed - last[0]) / Math.max(1e-9, (now - last[1]) / 1e9);
                last[0] = processed;
                last[1] = now;
                MixstreamMetrics m = app.metrics();
                log().info("status: {}, {} records processed, {} rec/s, {} dead letters, {} models held ({} warming "
                                + "up), lag {}", app.state(), processed, Math.round(rate), m.deadLetters(),
                        m.models(false) + m.models(true), m.models(true), Math.round(m.pointsLag()));
            }, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
        }
        return status;
    }

    @Override
    protected int execute() throws Exception {
        MixstreamSettings settings = settingsOptions.load();
        CountDownLatch stopped = new CountDownLatch(1);
        MixstreamApp app;
        try {
            app = MixstreamApp.start(settings, (now, before) -> {
                log().info("state {} -> {}", before, now);
                if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) {
                    stopped.countDown();
                }
            });
        } catch (RuntimeException e) {
            throw new CliException("cannot start: " + e.getMessage());
        }
        ScheduledExecutorService status = statusLine(app, settings.statusIntervalMs());
        Thread hook = new Thread(() -> {
            log().info("shutting down");
            app.close(Duration.ofSeconds(shutdownSeconds));
            stopped.countDown();
        }, "mixstream-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        dev.mixstream.gmm.MixtureConfig m = settings.mixture();
        log().info("mixstream running: {} -> {}, {}, {} (application.id {}, {}); new models: K={}, covariance {}, "
                        + "half-life {}{}", settings.pointsTopic(), settings.responsibilitiesTopic(),
                settings.snapshotsTopic(), settings.dlqTopic(), settings.kafka().get("application.id"),
                settings.kafka().get("processing.guarantee"), m.components(), m.covarianceType().wireName(),
                dev.mixstream.gmm.SettingText.halfLife(m.halfLife()), settings.overrides().rules().isEmpty() ? ""
                        : " (" + settings.overrides().rules().size() + " per-key rules)");
        stopped.await();
        status.shutdownNow();
        KafkaStreams.State end = app.state();
        if (end == KafkaStreams.State.ERROR) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // already shutting down
            }
            app.close(Duration.ofSeconds(shutdownSeconds));
            throw new CliException("the application failed (state ERROR); see the log above");
        }
        return 0;
    }
}
