package dev.mixstream.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * The {@code mixstream} command line. Usage errors exit with 2 (reported by picocli with the
 * command's usage), data and I/O errors with 1 (one line on stderr), success with 0.
 */
@Command(name = "mixstream", mixinStandardHelpOptions = true, versionProvider = MixstreamCli.Version.class,
        header = "Online Gaussian mixture models over Kafka Streams.",
        descriptionHeading = "%n", commandListHeading = "%nCommands:%n",
        description = "Fit and score Gaussian mixtures offline on CSV files, or learn them online from "
                + "Kafka topics, one model per record key.")
public final class MixstreamCli implements Callable<Integer> {
    /** Version when the jar manifest has none (for example running from target/classes). */
    public static final String VERSION = "0.1.0";

    /** The subcommands, in the order {@code mixstream --help} lists them. */
    static final List<Class<?>> SUBCOMMANDS = List.of(
            FitCommand.class,
            ScoreCommand.class,
            DemoCommand.class,
            RunCommand.class,
            ProduceCommand.class,
            ModelCommands.class,
            BrokerCommand.class,
            BenchCommand.class,
            AccuracyCommand.class,
            CommandLine.HelpCommand.class);

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine(args).execute(args));
    }

    /**
     * The command line to run {@code args} with: every subcommand, or only the one {@code args[0]} names. Picocli
     * builds the model of each registered command by reflection when the command line is made, interpreted at that
     * point of a JVM's life: ≈ 0.1 s for all ten, which every command would pay at start.
     */
    public static CommandLine commandLine(String... args) {
        CommandLine cli = new CommandLine(new MixstreamCli());
        Class<?> named = args.length == 0 ? null : subcommandNamed(args[0]);
        for (Class<?> subcommand : SUBCOMMANDS) {
            if (named == null || subcommand == named) {
                cli.addSubcommand(subcommand);
            }
        }
        return cli;
    }

    /** The subcommand whose name is {@code name}, or null; null for help, which lists the others. */
    private static Class<?> subcommandNamed(String name) {
        for (Class<?> subcommand : SUBCOMMANDS) {
            String own = subcommand.getAnnotation(Command.class).name();
            if (own.equals(name) && subcommand != CommandLine.HelpCommand.class) {
                return subcommand;
            }
        }
        return null;
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
