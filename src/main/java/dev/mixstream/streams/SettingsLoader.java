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
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SettingsLoader.class);

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
        merged.putAll(knownOnly(fromEnvironment(env), env));
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

    /**
     * The environment's settings without the {@code mixstream.*} keys mixstream does not know, with one
     * warning naming their variables (not their values): an orchestrator sets such variables of its own
     * (Kubernetes: {@code MIXSTREAM_SERVICE_HOST}, {@code MIXSTREAM_PORT} for a Service named mixstream), so
     * they are never fatal. Unknown keys in the file or on the command line stay errors.
     */
    static Map<String, String> knownOnly(Map<String, String> fromEnv, Map<String, String> env) {
        Map<String, String> out = new LinkedHashMap<>(fromEnv);
        out.keySet().removeIf(key -> key.startsWith("mixstream.") && !MixstreamSettings.isKnownKey(key));
        java.util.Set<String> ignored = new java.util.TreeSet<>();
        env.keySet().forEach(name -> {
            Map<String, String> one = fromEnvironment(Map.of(name, ""));
            if (!one.isEmpty() && !out.containsKey(one.keySet().iterator().next())) {
                ignored.add(name);
            }
        });
        if (!ignored.isEmpty()) {
            LOG.warn("ignoring environment variables that name no mixstream setting: {}", String.join(", ", ignored));
        }
        return out;
    }

    static Map<String, String> readFile(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            String why = e instanceof java.nio.file.NoSuchFileException ? "no such file"
                    : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                    : e.getMessage() == null || e.getMessage().equals(file.toString()) ? e.getClass().getSimpleName()
                    : e.getMessage();
            throw new IllegalArgumentException("cannot read configuration file " + file + ": " + why, e);
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : p.stringPropertyNames()) {
            out.put(name, p.getProperty(name));
        }
        return out;
    }
}
