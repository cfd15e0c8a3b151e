package dev.mixstream.cli;

import picocli.CommandLine.Option;

/** The {@code --log-level} option of the commands that talk to Kafka (a picocli mixin). */
final class KafkaLogOption {
    @Option(names = "--log-level", paramLabel = "LEVEL", converter = KafkaLogLevel.Converter.class,
            description = "How much of Kafka's own logging shows on stderr: error, warn, info or debug "
                    + "(mixstream's own messages always show). Default: error; warn for run.")
    KafkaLogLevel level;

    /** The level asked for, or the command's default. */
    KafkaLogLevel levelOr(KafkaLogLevel commandDefault) {
        return level != null ? level : commandDefault;
    }
}
