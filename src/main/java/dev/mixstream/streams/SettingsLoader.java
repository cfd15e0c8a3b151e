package dev.mixstream.streams;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Merges the configuration sources, highest precedence first: command-line overrides, environment
 * variables ({@code MIXSTREAM_FOO_BAR} → {@code mixstream.foo.bar}; {@code MIXSTREAM_KAFKA_FOO_BAR} →
 * Kafka property {@code foo.bar}), the properties file, built-in defaults.
 */
public final class SettingsLoader {
    private static final String ENV_PREFIX = "MIXSTREAM_";
    private static final String ENV_KAFKA_PREFIX = "MIXSTREAM_KAFKA_";

    private SettingsLoader() {
    }

    /**
     * @param file      properties file, or null
     * @param env       environment variables (System.getenv() in production)
     * @param overrides command-line overrides
     * @throws IllegalArgumentException for unreadable files and invalid values, naming the key
     */
    public static MixstreamSettings load(Path file, Map<String, String> env, Map<String, String> overrides) {
        Map<String, String> merged = new LinkedHashMap<>();
        if (file != null) {
            merged.putAll(readFile(file));
        }
        merged.putAll(fromEnvironment(env));
        merged.putAll(overrides);
        return MixstreamSettings.from(merged);
    }

    /** The properties named by {@code MIXSTREAM_*} environment variables. */
    public static Map<String, String> fromEnvironment(Map<String, String> env) {
        Map<String, String> out = new LinkedHashMap<>();
        env.forEach((name, value) -> {
            if (name.startsWith(ENV_KAFKA_PREFIX) && name.length() > ENV_KAFKA_PREFIX.length()) {
                out.put(name.substring(ENV_KAFKA_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.'), value);
            } else if (name.startsWith(ENV_PREFIX) && name.length() > ENV_PREFIX.length()) {
                out.put("mixstream." + name.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.'),
                        value);
            }
        });
        return out;
    }

    static Map<String, String> readFile(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read configuration file " + file + ": " + e.getMessage(), e);
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : p.stringPropertyNames()) {
            out.put(name, p.getProperty(name));
        }
        return out;
    }
}
