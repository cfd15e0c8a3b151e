package dev.mixstream.broker;

import dev.mixstream.io.DirectoryTree;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.properties.MetaPropertiesEnsemble;
import org.apache.kafka.metadata.storage.Formatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, combined broker + controller) running inside this JVM.
 *
 * <p>It is started from the broker's own entry points, exactly as {@code kafka-storage.sh format}
 * followed by {@code kafka-server-start.sh} would do: the data directory is formatted with
 * Kafka's storage {@link Formatter} (only when it holds no {@code meta.properties} yet), then a
 * {@link KafkaRaftServer} is started on it. One PLAINTEXT listener on {@code localhost} serves
 * clients; a second, CONTROLLER listener serves the KRaft quorum of one.
 *
 * <p>The defaults suit a single node: internal topics (consumer offsets, transaction state, share
 * state) have replication factor 1 and min ISR 1 (without that, consumer groups and exactly-once
 * hang), {@code group.initial.rebalance.delay.ms=0}, topics are never auto-created, and records up
 * to {@link #DEFAULT_MAX_MESSAGE_BYTES} are accepted. Any broker property can be overridden with
 * {@link Builder#property(String, String)}.
 *
 * <p>Like a stand-alone broker, a fatal fault inside the broker (for example a failing metadata
 * log disk) terminates the JVM.
 *
 * <pre>{@code
 * try (EmbeddedBroker broker = EmbeddedBroker.builder().port(0).start()) {
 *     String bootstrap = broker.bootstrapServers();   // "localhost:PORT"
 * }
 * }</pre>
 */
public final class EmbeddedBroker implements AutoCloseable {

    /** Node id of the single node (broker and controller). */
    public static final int NODE_ID = 1;
    /** Largest record batch the broker accepts by default (16 MiB). */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
    /** Default partition count of topics created without an explicit count. */
    public static final int DEFAULT_PARTITIONS = 4;
    /** How long {@link #close()} waits for a clean shutdown by default. */
    public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedBroker.class);
    private static final String HOST = "localhost";
    private static final int PORT_ATTEMPTS = 5;

    private final KafkaRaftServer server;
    private final int port;
    private final int controllerPort;
    private final Path dataDir;
    private final boolean temporary;
    private final boolean formatted;
    private final Duration shutdownTimeout;
    private boolean closed;

    private EmbeddedBroker(KafkaRaftServer server, int port, int controllerPort, Path dataDir,
                           boolean temporary, boolean formatted, Duration shutdownTimeout) {
        this.server = server;
        this.port = port;
        this.controllerPort = controllerPort;
        this.dataDir = dataDir;
        this.temporary = temporary;
        this.formatted = formatted;
        this.shutdownTimeout = shutdownTimeout;
    }

    /** Returns a builder with the defaults: free ports, temporary data directory. */
    public static Builder builder() {
        return new Builder();
    }

    /** Starts a broker with all defaults (free port, temporary data directory). */
    public static EmbeddedBroker start() {
        return builder().start();
    }

    /** The client bootstrap address, {@code localhost:PORT}. */
    public String bootstrapServers() {
        return HOST + ":" + port;
    }

    /** The client (PLAINTEXT) port. */
    public int port() {
        return port;
    }

    /** The KRaft controller port. */
    public int controllerPort() {
        return controllerPort;
    }

    /** The data directory (log dir and metadata log dir). */
    public Path dataDir() {
        return dataDir;
    }

    /** True when the data directory is temporary and is deleted by {@link #close()}. */
    public boolean isTemporary() {
        return temporary;
    }

    /** True when this start formatted the data directory (false when it reused a formatted one). */
    public boolean formattedOnStart() {
        return formatted;
    }

    /**
     * Shuts the broker down cleanly, waiting at most the shutdown timeout, then deletes the data
     * directory when it is temporary. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        Thread stopper = new Thread(() -> {
            server.shutdown();
            server.awaitShutdown();
        }, "mixstream-broker-shutdown");
        stopper.setDaemon(true);
        stopper.start();
        try {
            stopper.join(shutdownTimeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (stopper.isAlive()) {
            LOG.warn("Broker on port {} did not shut down within {}", port, shutdownTimeout);
        }
        if (temporary) {
            deleteRecursively(dataDir);
        }
    }

    /** Builder of an {@link EmbeddedBroker}. */
    public static final class Builder {
        private int port;
        private int controllerPort;
        private Path dataDir;
        private Duration startupTimeout = Duration.ofSeconds(60);
        private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
        private final Map<String, String> overrides = new LinkedHashMap<>();

        private Builder() {
        }

        /** Client port on localhost; 0 (default) picks a free one. */
        public Builder port(int port) {
            this.port = checkPort(port);
            return this;
        }

        /** KRaft controller port on localhost; 0 (default) picks a free one. */
        public Builder controllerPort(int controllerPort) {
            this.controllerPort = checkPort(controllerPort);
            return this;
        }

        /**
         * Data directory kept across restarts (created if missing, formatted only when not yet
         * formatted); null (default) uses a temporary directory deleted on close.
         */
        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        /** Overrides (or adds) one broker property. */
        public Builder property(String key, String value) {
            overrides.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** How long {@link EmbeddedBroker#close()} waits for a clean shutdown. */
        public Builder shutdownTimeout(Duration timeout) {
            this.shutdownTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /** How long {@link #start()} waits for the broker to start. */
        public Builder startupTimeout(Duration timeout) {
            this.startupTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * Formats the data directory if needed and starts the broker; returns once the broker
         * serves clients.
         *
         * @throws IllegalStateException when the broker cannot start (e.g. the port is taken)
         */
        public EmbeddedBroker start() {
            boolean temporary = dataDir == null;
            Path dir;
            try {
                dir = temporary ? Files.createTempDirectory("mixstream-broker-")
                        : Files.createDirectories(dataDir.toAbsolutePath());
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot create broker data directory", e);
            }
            try {
                return startIn(dir, temporary);
            } catch (RuntimeException | Error e) {
                if (temporary) {
                    deleteRecursively(dir);
                }
                throw e;
            }
        }

        private EmbeddedBroker startIn(Path dir, boolean temporary) {
            checkNotLocked(dir);
            RuntimeException last = null;
            boolean formatted = false;
            for (int attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
                checkFree(port);
                checkFree(controllerPort);
                int p = port != 0 ? port : freePort();
                int cp = controllerPort != 0 ? controllerPort : freePort(p);
                Properties props = brokerProperties(p, cp, dir);
                KafkaConfig config = KafkaConfig.fromProps(props, false);
                formatted |= formatIfNeeded(config, dir);
                KafkaRaftServer server = null;
                try {
                    server = new KafkaRaftServer(config, Time.SYSTEM);
                    startWithTimeout(server, startupTimeout);
                    return new EmbeddedBroker(server, p, cp, dir, temporary, formatted, shutdownTimeout);
                } catch (RuntimeException e) {
                    if (server != null) {
                        shutdownQuietly(server);
                    }
                    last = e;
                    boolean picked = port == 0 || controllerPort == 0;
                    if (!(picked && causedByBind(e))) {
                        break;
                    }
                    LOG.info("Port race while starting the broker, retrying with other ports", e);
                }
            }
            throw new IllegalStateException("Embedded Kafka broker failed to start: " + last.getMessage(), last);
        }

        private Properties brokerProperties(int p, int cp, Path dir) {
            Properties props = new Properties();
            props.put("process.roles", "broker,controller");
            props.put("node.id", Integer.toString(NODE_ID));
            props.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + cp);
            props.put("listeners", "PLAINTEXT://" + HOST + ":" + p + ",CONTROLLER://" + HOST + ":" + cp);
            props.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + p);
            props.put("controller.listener.names", "CONTROLLER");
            props.put("inter.broker.listener.name", "PLAINTEXT");
            props.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
            props.put("log.dirs", dir.toString());
            // single node: every internal topic has one replica, or groups and transactions hang
            props.put("offsets.topic.replication.factor", "1");
            props.put("offsets.topic.num.partitions", "10");
            props.put("transaction.state.log.replication.factor", "1");
            props.put("transaction.state.log.min.isr", "1");
            props.put("transaction.state.log.num.partitions", "10");
            props.put("share.coordinator.state.topic.replication.factor", "1");
            props.put("share.coordinator.state.topic.min.isr", "1");
            props.put("default.replication.factor", "1");
            props.put("min.insync.replicas", "1");
            props.put("group.initial.rebalance.delay.ms", "0");
            // after a crash the restarted node waits for its old registration to expire: keep it short
            props.put("broker.heartbeat.interval.ms", "500");
            props.put("broker.session.timeout.ms", "3000");
            props.put("num.partitions", Integer.toString(DEFAULT_PARTITIONS));
            props.put("auto.create.topics.enable", "false");
            props.put("message.max.bytes", Integer.toString(DEFAULT_MAX_MESSAGE_BYTES));
            props.put("replica.fetch.max.bytes", Integer.toString(DEFAULT_MAX_MESSAGE_BYTES));
            // a dev broker need not reserve the default 128 MiB heap for compaction
            props.put("log.cleaner.dedupe.buffer.size", Integer.toString(16 * 1024 * 1024));
            props.putAll(overrides);
            return props;
        }
    }

    /** Formats {@code dir} as the storage tool would, unless it already holds meta.properties. */
    private static boolean formatIfNeeded(KafkaConfig config, Path dir) {
        if (Files.exists(dir.resolve(MetaPropertiesEnsemble.META_PROPERTIES_NAME))) {
            return false;
        }
        Formatter formatter = new Formatter()
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8))
                .setNodeId(NODE_ID)
                .setClusterId(Uuid.randomUuid().toString())
                .setUnstableFeatureVersionsEnabled(false)
                .setIgnoreFormatted(false)
                .setControllerListenerName("CONTROLLER")
                .setMetadataLogDirectory(config.metadataLogDir())
                .addDirectory(dir.toString());
        try {
            formatter.run();
        } catch (Exception e) {
            throw new IllegalStateException("Cannot format broker data directory " + dir + ": " + e.getMessage(), e);
        }
        return true;
    }

    private static void startWithTimeout(KafkaRaftServer server, Duration timeout) {
        RuntimeException[] failure = new RuntimeException[1];
        Thread starter = new Thread(() -> {
            try {
                server.startup();
            } catch (RuntimeException e) {
                failure[0] = e;
            }
        }, "mixstream-broker-startup");
        starter.setDaemon(true);
        starter.start();
        try {
            starter.join(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while starting the broker", e);
        }
        if (starter.isAlive()) {
            throw new IllegalStateException("Broker did not start within " + timeout);
        }
        if (failure[0] != null) {
            throw failure[0];
        }
    }

    private static void shutdownQuietly(KafkaRaftServer server) {
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (RuntimeException e) {
            LOG.debug("Error while shutting down a broker that failed to start", e);
        }
    }

    private static boolean causedByBind(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException
                    || String.valueOf(t.getMessage()).contains("Address already in use")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Fails fast when another broker (in this or another process) holds the Kafka lock file of
     * {@code dir}; starting anyway would open its metadata log before Kafka notices.
     */
    private static void checkNotLocked(Path dir) {
        Path lockFile = dir.resolve(".lock");
        if (!Files.exists(lockFile)) {
            return;
        }
        boolean locked;
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            locked = lock == null;
            if (lock != null) {
                lock.release();
            }
        } catch (OverlappingFileLockException e) {
            locked = true;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot check the lock of broker data directory " + dir, e);
        }
        if (locked) {
            throw new IllegalStateException("Embedded Kafka broker failed to start: data directory " + dir
                    + " is in use by another broker");
        }
    }

    /** Fails fast, before formatting or starting anything, when a given port is taken. */
    private static void checkFree(int port) {
        if (port == 0) {
            return;
        }
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), port), 1);
        } catch (IOException e) {
            throw new IllegalStateException("Embedded Kafka broker failed to start: port " + port
                    + " on " + HOST + " is already in use");
        }
    }

    private static int checkPort(int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in 0..65535, got " + port);
        }
        return port;
    }

    /** A currently free localhost port other than {@code avoid}. */
    private static int freePort(int... avoid) {
        for (int i = 0; i < 20; i++) {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
                socket.setReuseAddress(true);
                int candidate = socket.getLocalPort();
                if (avoid.length == 0 || candidate != avoid[0]) {
                    return candidate;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot find a free port", e);
            }
        }
        throw new IllegalStateException("Cannot find a free port");
    }

    static void deleteRecursively(Path dir) {
        if (!DirectoryTree.delete(dir)) {
            LOG.warn("Cannot delete all of the broker data directory {}", dir);
        }
    }
}
