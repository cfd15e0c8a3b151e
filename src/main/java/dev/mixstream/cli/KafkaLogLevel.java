package dev.mixstream.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How much of Kafka's own logging (clients, Streams, the embedded broker) reaches stderr; mixstream's own
 * messages always do. The commands that talk to Kafka show only its errors by default ({@code run}: its
 * warnings too, since a service's operator wants them), and take {@code --log-level} to see more.
 */
enum KafkaLogLevel {
    ERROR(Level.ERROR), WARN(Level.WARN), INFO(Level.INFO), DEBUG(Level.DEBUG);

    /** The roots of Kafka's loggers (clients and Streams under org.apache.kafka; the broker also under kafka). */
    static final List<String> ROOTS = List.of("org.apache.kafka", "kafka", "state.change.logger");
    /**
     * Loggers the packaged logback.xml quiets below the roots (repeated retries, unreachable-broker lines that
     * mixstream reports itself in one line): at INFO and DEBUG they speak again.
     */
    static final List<String> QUIETED = List.of("org.apache.kafka.clients.NetworkClient",
            "org.apache.kafka.clients.ClientUtils",
            "org.apache.kafka.streams.processor.internals.assignment.DefaultStandbyTaskAssignor",
            "org.apache.kafka.clients.producer.internals.Sender", "kafka.server.ReplicaManager",
            "org.apache.kafka.controller", "org.apache.kafka.raft", "org.apache.kafka.metadata",
            "org.apache.kafka.image", "org.apache.kafka.server", "org.apache.kafka.storage",
            "org.apache.kafka.coordinator");

    private final Level level;

    KafkaLogLevel(Level level) {
        this.level = level;
    }

    /**
     * Applies this level when logback is the slf4j backend (it is in the jar).
     *
     * @return the previous levels, for {@link #restore}
     */
    Map<String, Level> apply() {
        Map<String, Level> previous = new LinkedHashMap<>();
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            for (String name : ROOTS) {
                previous.put(name, context.getLogger(name).getLevel());
                context.getLogger(name).setLevel(level);
            }
            for (String name : QUIETED) {
                Level before = context.getLogger(name).getLevel();
                previous.put(name, before);
                if (level.isGreaterOrEqual(Level.WARN)) {
                    // the quieted ones stay at most as loud as they were
                    if (before == null || level.isGreaterOrEqual(before)) {
                        context.getLogger(name).setLevel(level);
                    }
                } else {
                    context.getLogger(name).setLevel(null); // inherit the requested level
                }
            }
        }
        return previous;
    }

    /** Puts back levels {@link #apply} returned. */
    static void restore(Map<String, Level> previous) {
        // nothing to put back for a command that did not apply a level: logging stays uninitialised (fit, score)
        if (!previous.isEmpty() && LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            previous.forEach((name, level) -> context.getLogger(name).setLevel(level));
        }
    }

    /** error, warn, info or debug, in any case. */
    static final class Converter implements ITypeConverter<KafkaLogLevel> {
        @Override
        public KafkaLogLevel convert(String value) {
            try {
                return valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("'" + value + "' is not error, warn, info or debug");
            }
        }
    }
}
