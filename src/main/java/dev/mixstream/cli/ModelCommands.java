package dev.mixstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixstream.snapshot.MixtureSnapshot;
import dev.mixstream.snapshot.SnapshotJson;
import dev.mixstream.streams.MixstreamSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code model}: the lifecycle of a running application's models, through its control and snapshots topics
 * (README "Model lifecycle"): load a snapshot, reset, delete, get, list.
 */
@Command(name = "model", mixinStandardHelpOptions = true, sortOptions = false,
        descriptionHeading = "%n", commandListHeading = "%nCommands:%n",
        header = "Load, reset, delete, get or list the models of a running mixstream application.",
        description = "load, reset and delete send a command to the control topic (mixstream.topic.control) and "
                + "wait for the application's answer on the snapshots topic; get and list read the snapshots topic.",
        subcommands = {ModelCommands.Load.class, ModelCommands.Reset.class, ModelCommands.Delete.class,
            ModelCommands.Get.class, ModelCommands.ListModels.class})
public final class ModelCommands extends MixstreamCommand {
    @Override
    protected int execute() {
        throw usage("name a subcommand: load, reset, delete, get or list");
    }

    /** The options every subcommand shares. */
    abstract static class Sub extends MixstreamCommand {
        @Mixin
        KafkaLogOption logs = new KafkaLogOption();

        @Mixin
        SettingsOptions settingsOptions = new SettingsOptions();

        @Override
        protected KafkaLogLevel kafkaLogLevel() {
            return logs.levelOr(KafkaLogLevel.ERROR);
        }
    }

    /** A command that changes a model: sends it and waits for the answer. */
    abstract static class Change extends Sub {
        @Option(names = {"-k", "--key"}, required = true, paramLabel = "MODEL", description = "The model's key.")
        String key;

        @Option(names = "--timeout", defaultValue = "30", paramLabel = "SECONDS",
                description = "How long to wait for the application's answer on the snapshots topic.")
        int timeoutSeconds;

        @Option(names = "--no-wait", description = "Send the command without waiting for the answer.")
        boolean noWait;

        /** The command's JSON. */
        abstract byte[] command() throws IOException;

        /** The line that reports the answer. */
        abstract String done(ControlClient.Answer a);

        /** The settings in use (set when the command runs). */
        MixstreamSettings settings;

        @Override
        protected int execute() throws Exception {
            if (key.isEmpty()) {
                throw usage("--key must not be empty: a command names its model");
            }
            byte[] c = command();
            settings = settingsOptions.load();
            try (ControlClient client = new ControlClient(settings)) {
                ControlClient.Answer a = client.send(key, c, noWait ? null : Duration.ofSeconds(timeoutSeconds));
                PrintWriter out = out();
                out.println(a == null ? "sent to " + settings.controlTopic() + " (not waiting for the answer)"
                        : done(a));
                out.flush();
            }
            return 0;
        }
    }

    @Command(name = "load", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
            header = "Make a model a snapshot (from fit --model-out, or another key's snapshot).",
            description = "Its next point is scored by exactly these parameters, with no warm-up; learning "
                    + "continues from them with the application's half-life.")
    static final class Load extends Change {
        @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL.json",
                description = "The snapshot to load.")
        Path model;

        @Override
        byte[] command() throws IOException {
            MixtureSnapshot snapshot;
            try {
                snapshot = SnapshotJson.read(model);
                snapshot.toMixture();
            } catch (IllegalArgumentException e) {
                throw new CliException(model + " is not a model snapshot that can be loaded: " + e.getMessage());
            }
            JsonNode tree = SnapshotJson.mapper().readTree(Files.readAllBytes(model));
            ObjectNode c = SnapshotJson.mapper().createObjectNode();
            c.put("op", "load");
            c.set("snapshot", tree);
            return SnapshotJson.mapper().writeValueAsBytes(c);
        }

        @Override
        String done(ControlClient.Answer a) {
            if (a.snapshot() == null) {
                throw new CliException("'" + key + "' was reset or deleted meanwhile, not loaded");
            }
            MixtureSnapshot s = SnapshotJson.fromBytes(a.snapshot());
            return String.format(Locale.ROOT, "loaded %s: K=%d, D=%d, %s covariances, n_eff %.0f (its snapshot is "
                    + "on %s, partition %d, offset %d)", key, s.components(), s.dimension(), s.covarianceType(),
                    s.nEff(), settings.snapshotsTopic(), a.partition(), a.offset());
        }
    }

    /** A command the application answers with the key's tombstone: {@code {"op": <op>}}. */
    abstract static class Tombstoning extends Change {
        private final String op;
        private final String effect;

        Tombstoning(String op, String effect) {
            this.op = op;
            this.effect = effect;
        }

        @Override
        byte[] command() {
            return ("{\"op\":\"" + op + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }

        @Override
        String done(ControlClient.Answer a) {
            return effect.formatted(key) + " (snapshot tombstone at partition " + a.partition() + ", offset "
                    + a.offset() + ")";
        }
    }

    @Command(name = "reset", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
            header = "Forget a model's parameters: its next point starts a warm-up.")
    static final class Reset extends Tombstoning {
        Reset() {
            super("reset", "reset %s: its next point starts a warm-up");
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
            header = "Remove a model and its snapshot (a tombstone on the snapshots topic).")
    static final class Delete extends Tombstoning {
        Delete() {
            super("delete", "deleted %s");
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, sortOptions = false,
            header = "Print a model's latest snapshot (JSON) from the snapshots topic.")
    static final class Get extends Sub {
        @Option(names = {"-k", "--key"}, required = true, paramLabel = "MODEL", description = "The model's key.")
        String key;

        @Override
        protected int execute() {
            MixstreamSettings s = settingsOptions.load();
            TreeMap<String, byte[]> latest;
            try (ControlClient client = new ControlClient(s)) {
                latest = client.latest();
            }
            if (!latest.containsKey(key)) {
                throw new CliException("no snapshot of '" + key + "' on " + s.snapshotsTopic()
                        + " (unknown, or still warming up)");
            }
            if (latest.get(key) == null) {
                throw new CliException("'" + key + "' was deleted or reset: it has no snapshot now");
            }
            PrintWriter out = out();
            out.println(new String(latest.get(key), java.nio.charset.StandardCharsets.UTF_8));
            out.flush();
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, sortOptions = false,
            header = "List the models with a snapshot on the snapshots topic.")
    static final class ListModels extends Sub {
        @Override
        protected int execute() {
            MixstreamSettings s = settingsOptions.load();
            TreeMap<String, byte[]> latest;
            try (ControlClient client = new ControlClient(s)) {
                latest = client.latest();
            }
            PrintWriter out = out();
            out.printf(Locale.ROOT, "%-24s %8s %12s %12s  %s%n", "model", "K x D", "points_seen", "avg_ll",
                    "updated_at");
            int n = 0;
            for (Map.Entry<String, byte[]> e : latest.entrySet()) {
                if (e.getValue() == null) {
                    continue;
                }
                MixtureSnapshot m = SnapshotJson.fromBytes(e.getValue());
                out.printf(Locale.ROOT, "%-24s %8s %12d %12.4f  %s%n", e.getKey(), m.components() + " x "
                        + m.dimension(), m.pointsSeen(), m.avgLogLikelihood(), m.updatedAt() == null ? "-"
                        : java.time.Instant.ofEpochMilli(m.updatedAt()));
                n++;
            }
            out.println(n + " model" + (n == 1 ? "" : "s"));
            out.flush();
            return 0;
        }
    }
}
