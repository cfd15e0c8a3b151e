package dev.mixstream.cli;

/**
 * Whether this installation has the embedded broker's classes (Kafka's server jars). The container image leaves
 * them out (21 MB that the {@code run} command never uses), so {@code broker}, {@code demo} and {@code bench}
 * say so in one line there instead of failing with a {@link NoClassDefFoundError}.
 */
final class EmbeddedBrokerCheck {
    private static final String BROKER_CLASS = "kafka.server.KafkaRaftServer";

    private EmbeddedBrokerCheck() {
    }

    /** True if the embedded broker can start here. */
    static boolean present() {
        try {
            Class.forName(BROKER_CLASS, false, EmbeddedBrokerCheck.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /**
     * @throws CliException if the embedded broker's classes are missing, saying what to do instead
     */
    static void require(String command) {
        if (!present()) {
            throw new CliException("'mixstream " + command + "' needs the embedded Kafka broker, which this "
                    + "installation (the container image) leaves out; run it from a full build (bin/mixstream), "
                    + "or use 'mixstream run --bootstrap-servers HOST:PORT' against a Kafka cluster");
        }
    }
}
