package dev.mixstream.streams;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.StreamsConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;

/**
 * This instance's static group membership ({@code group.instance.id}, KIP-345): an instance restarted
 * with the same id takes its partitions back at once, without a rebalance and without waiting for the
 * killed process's session to expire. With {@code mixstream.instance.id=auto} (the default) the id is made
 * once and kept in the state directory, {@code <state.dir>/mixstream-<application.id>.instance}: a restart
 * on the same state directory is the same member (as it is the same Kafka Streams process, whose
 * transactional ids it keeps), a fresh state directory is a new one. A fixed id (a StatefulSet's pod name)
 * suits state directories that do not survive a restart; {@code none} keeps dynamic membership. Two running
 * instances must never share an id: the second one fences the first.
 */
final class InstanceIdentity {
    static final String AUTO = "auto";
    static final String NONE = "none";

    private InstanceIdentity() {
    }

    /** Checks a {@code mixstream.instance.id} value; returns it. */
    static String validate(String value) {
        if (value == null || value.isBlank() || !value.matches("[A-Za-z0-9._-]{1,200}")) {
            throw new IllegalArgumentException("mixstream.instance.id must be auto, none or an id of letters, "
                    + "digits, '.', '_' and '-', got '" + value + "'");
        }
        return value;
    }

    /**
     * The {@code group.instance.id} to use: Kafka's own setting if given, else from
     * {@code mixstream.instance.id}; empty for dynamic membership.
     */
    static Optional<String> resolve(MixstreamSettings s) {
        String explicit = s.kafka().get(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        if (explicit != null && !explicit.isBlank()) {
            return Optional.of(explicit);
        }
        String id = s.instanceId();
        if (id.equals(NONE)) {
            return Optional.empty();
        }
        return Optional.of(id.equals(AUTO) ? stored(s) : id);
    }

    /** The id kept in the state directory, made on first use. */
    private static String stored(MixstreamSettings s) {
        String stateDir = s.kafka().getOrDefault(StreamsConfig.STATE_DIR_CONFIG,
                (String) StreamsConfig.configDef().defaultValues().get(StreamsConfig.STATE_DIR_CONFIG));
        String app = s.kafka().get(StreamsConfig.APPLICATION_ID_CONFIG);
        Path file = Path.of(stateDir, "mixstream-" + app + ".instance");
        try {
            if (Files.exists(file)) {
                String id = Files.readString(file, StandardCharsets.UTF_8).trim();
                if (!id.isEmpty()) {
                    return id;
                }
            }
            String id = app + "-" + UUID.randomUUID().toString().substring(0, 8);
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
            Files.writeString(tmp, id + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return id;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the instance id in " + file + ": " + e.getMessage(), e);
        }
    }
}
