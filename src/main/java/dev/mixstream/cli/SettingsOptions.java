package dev.mixstream.cli;

import dev.mixstream.streams.MixstreamSettings;
import dev.mixstream.streams.SettingsLoader;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The options that say which application and cluster a command works with (a picocli mixin): {@code --config},
 * {@code --bootstrap-servers} and {@code --set}, over the environment and the built-in defaults.
 */
final class SettingsOptions {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Properties file (see config/mixstream.properties).")
    Path config;

    @Option(names = {"-b", "--bootstrap-servers"}, paramLabel = "HOST:PORT",
            description = "Kafka bootstrap servers (overrides bootstrap.servers).")
    String bootstrapServers;

    @Option(names = "--set", paramLabel = "KEY=VALUE", showDefaultValue = CommandLine.Help.Visibility.NEVER,
            preprocessor = KeyValueCheck.class,
            description = "Set any mixstream.* or Kafka property (repeatable), for example --set mixstream.components=5.")
    Map<String, String> overrides = new LinkedHashMap<>();

    /** The environment; replaceable in tests. */
    Map<String, String> environment = System.getenv();

    /** The merged, validated settings, or one line saying what is wrong. */
    MixstreamSettings load() {
        Map<String, String> flags = new LinkedHashMap<>(overrides);
        if (bootstrapServers != null) {
            flags.put("bootstrap.servers", bootstrapServers);
        }
        try {
            MixstreamSettings settings = SettingsLoader.load(config, environment, flags);
            settings.requireBootstrapServers();
            return settings;
        } catch (IllegalArgumentException e) {
            throw new CliException("invalid configuration: " + e.getMessage());
        }
    }
}
