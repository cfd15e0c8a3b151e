package dev.mixstream.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import ch.qos.logback.classic.Level;
import dev.mixstream.broker.EmbeddedBroker;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code mixstream broker}: runs a single-node Kafka broker (KRaft, in this JVM) in the foreground
 * until Ctrl-C or SIGTERM, for local development and demos.
 *
 * <p>Prints {@code mixstream broker ready on localhost:PORT} on stdout once clients can connect;
 * everything else goes to stderr. With {@code --data-dir} the topics and records survive restarts;
 * without it a temporary directory is used and removed on exit.
 */
@Command(name = "broker", mixinStandardHelpOptions = true,
        description = {
            "Run a single-node Kafka broker (KRaft, combined broker + controller) in the foreground "
                + "until Ctrl-C or SIGTERM.",
            "Prints 'mixstream broker ready on localhost:PORT' on stdout once clients can connect."
        })
public final class BrokerCommand implements Callable<Integer> {

    /** Prefix of the line printed on stdout once the broker is ready; the address follows. */
    public static final String READY_PREFIX = "mixstream broker ready on ";

    /** Kafka's logger roots, including the broker packages that logback.xml sets apart. */
    @Spec
    private CommandSpec spec;

    @Option(names = "--port", defaultValue = "9092", paramLabel = "PORT",
            description = "Client (PLAINTEXT) port on localhost; 0 picks a free port (default: ${DEFAULT-VALUE}).")
    private int port;

    @Option(names = "--controller-port", defaultValue = "0", paramLabel = "PORT",
            description = "KRaft controller port on localhost; 0 picks a free port (default: ${DEFAULT-VALUE}).")
    private int controllerPort;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Data directory, kept across restarts (formatted on first use). "
                + "Default: a temporary directory removed on exit.")
    private Path dataDir;

    @Option(names = "--set", paramLabel = "KEY=VALUE", showDefaultValue = CommandLine.Help.Visibility.NEVER,
            preprocessor = KeyValueCheck.class,
            description = "Override a broker property, for example --set num.partitions=8 (repeatable).")
    private Map<String, String> properties = new LinkedHashMap<>();

    @Option(names = {"-v", "--verbose"},
            description = "Show the broker's INFO logs (default: errors only).")
    private boolean verbose;

    private final CountDownLatch stopRequested = new CountDownLatch(1);

    /** Runs the command as its own program (the packaged jar reaches it as {@code mixstream broker}). */
    public static void main(String[] args) {
        System.exit(new CommandLine(new BrokerCommand()).execute(args));
    }

    /** Asks a running {@link #call()} to stop the broker and return (the programmatic Ctrl-C). */
    public void stop() {
        stopRequested.countDown();
    }

    @Override
    public Integer call() {
        if (!EmbeddedBrokerCheck.present()) {
            try {
                EmbeddedBrokerCheck.require("broker");
            } catch (CliException e) {
                spec.commandLine().getErr().println("mixstream broker: " + e.getMessage());
                spec.commandLine().getErr().flush();
                return CliException.DATA_ERROR;
            }
        }
        Map<String, Level> previousLevels = (verbose ? KafkaLogLevel.INFO : KafkaLogLevel.ERROR).apply();
        try {
            return runBroker();
        } finally {
            KafkaLogLevel.restore(previousLevels);
        }
    }

    private int runBroker() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();

        EmbeddedBroker.Builder builder = EmbeddedBroker.builder()
                .port(port)
                .controllerPort(controllerPort)
                .dataDir(dataDir);
        properties.forEach(builder::property);
        EmbeddedBroker broker;
        try {
            broker = builder.start();
        } catch (RuntimeException e) {
            err.println("mixstream broker: cannot start: " + e.getMessage());
            err.flush();
            return 1;
        }

        AtomicBoolean stopped = new AtomicBoolean();
        Runnable shutdown = () -> {
            broker.close();
            if (stopped.compareAndSet(false, true)) {
                err.println("mixstream broker stopped");
                err.flush();
            }
        };
        Thread hook = new Thread(() -> {
            shutdown.run();
            stopRequested.countDown();
        }, "mixstream-broker-shutdown-hook");
        Runtime.getRuntime().addShutdownHook(hook);

        err.println("data directory: " + broker.dataDir()
                + (broker.isTemporary() ? " (temporary, removed on exit)" : ""));
        err.flush();
        out.println(READY_PREFIX + broker.bootstrapServers());
        out.flush();

        try {
            stopRequested.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run: it closes the broker
        }
        shutdown.run();
        return 0;
    }
}
