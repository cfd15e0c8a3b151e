package dev.mixstream.snapshot;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads and writes {@link MixtureSnapshot} JSON. Doubles round-trip exactly (shortest repr). */
public final class SnapshotJson {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(SerializationFeature.FAIL_ON_EMPTY_BEANS, false);

    private SnapshotJson() {
    }

    /** The shared mapper (thread-safe once configured). */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    public static String toJson(MixtureSnapshot s) {
        try {
            return MAPPER.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] toBytes(MixtureSnapshot s) {
        try {
            return MAPPER.writeValueAsBytes(s);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @throws IllegalArgumentException if the text is not a snapshot */
    public static MixtureSnapshot fromJson(String json) {
        try {
            return MAPPER.readValue(json, MixtureSnapshot.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a mixstream snapshot: " + e.getOriginalMessage(), e);
        }
    }

    public static MixtureSnapshot fromBytes(byte[] json) {
        try {
            return MAPPER.readValue(json, MixtureSnapshot.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a mixstream snapshot: " + e.getMessage(), e);
        }
    }

    public static void write(MixtureSnapshot s, Path file) throws IOException {
        Files.writeString(file, MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(s) + "\n");
    }

    public static MixtureSnapshot read(Path file) throws IOException {
        return fromJson(Files.readString(file));
    }
}
