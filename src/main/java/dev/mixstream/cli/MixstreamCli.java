package dev.mixstream.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/**
 * The {@code mixstream} command line. Usage errors exit with 2 (reported by picocli with the
 * command's usage), data and I/O errors with 1 (one line on stderr), success with 0.
 */
@Command(name = "mixstream", mixinStandardHelpOptions = true, versionProvider = MixstreamCli.Version.class,
        header = "Online Gaussian mixture models over Kafka Streams.",
        descriptionHeading = "%n", commandListHeading = "%nCommands:%n",
        description = "Fit and score Gaussian mixtures offline on CSV files, or learn them online from "
                + "Kafka topics, one model per record key.",
        subcommands = {
            FitCommand.class,
            ScoreCommand.class,
            DemoCommand.class,
            RunCommand.class,
            ProduceCommand.class,
            ModelCommands.class,
            BrokerCommand.class,
            BenchCommand.class,
            AccuracyCommand.class,
            CommandLine.HelpCommand.class,
        })
public final class MixstreamCli implements Callable<Integer> {
    /** Version when the jar manifest has none (for example running from target/classes). */
    public static final String VERSION = "0.1.0";

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new MixstreamCli()).execute(args));
    }

    /** Without a subcommand: a usage error. */
    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    /** The jar manifest's Implementation-Version, else {@link #VERSION}. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = MixstreamCli.class.getPackage().getImplementationVersion();
            return new String[] {"mixstream " + (v != null ? v : VERSION)};
        }
    }
}
