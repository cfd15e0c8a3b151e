package dev.mixstream.cli;

import picocli.CommandLine;
import picocli.CommandLine.IParameterPreprocessor;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.Map;
import java.util.Stack;

/**
 * Checks a {@code --set KEY=VALUE} argument before picocli splits it, so that a value without '=' is one line in
 * the project's words ("--set foo: expected KEY=VALUE, for example ...").
 */
final class KeyValueCheck implements IParameterPreprocessor {
    @Override
    public boolean preprocess(Stack<String> args, CommandSpec spec, ArgSpec option, Map<String, Object> info) {
        String name = option instanceof CommandLine.Model.OptionSpec o ? o.longestName() : "--set";
        if (args.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), name + " needs KEY=VALUE");
        }
        String value = args.peek(); // an attached value (--set=a=b) is on the stack too
        int eq = value.indexOf('=');
        if (eq <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), name + " " + value
                    + ": expected KEY=VALUE, for example " + name + " linger.ms=5");
        }
        return false; // picocli goes on and stores the pair
    }
}
