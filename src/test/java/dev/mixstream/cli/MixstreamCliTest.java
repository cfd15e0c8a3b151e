package dev.mixstream.cli;

import dev.mixstream.cli.CliTestSupport.Run;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.Set;

import static dev.mixstream.cli.CliTestSupport.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MixstreamCliTest {

    @Test
    void everyCommandHasHelp() {
        CommandLine cli = MixstreamCli.commandLine();
        for (String name : cli.getSubcommands().keySet()) {
            if (name.equals("help")) {
                continue;
            }
            Run r = run(name, "--help");
            assertEquals(0, r.code(), r::toString);
            assertTrue(r.out().contains("Usage: mixstream " + name), r::toString);
            assertEquals("", r.err());
            Run h = run("help", name);
            assertEquals(0, h.code(), h::toString);
            assertEquals(r.out(), h.out());
        }
        Run r = run("--help");
        assertEquals(0, r.code(), r::toString);
        assertTrue(r.out().contains("Usage: mixstream"), r::toString);
        assertTrue(r.out().contains("fit") && r.out().contains("score"), r::toString);
    }

    @Test
    void aNamedSubcommandIsTheOnlyOneBuiltAndReadsAsAmongAllTheOthers() {
        CommandLine all = MixstreamCli.commandLine();
        assertEquals(MixstreamCli.SUBCOMMANDS.size(), all.getSubcommands().size());
        for (String name : all.getSubcommands().keySet()) {
            if (name.equals("help")) {
                continue;
            }
            CommandLine one = MixstreamCli.commandLine(name, "--help");
            assertEquals(Set.of(name), one.getSubcommands().keySet());
            assertEquals(all.getSubcommands().get(name).getUsageMessage(CommandLine.Help.Ansi.OFF),
                    one.getSubcommands().get(name).getUsageMessage(CommandLine.Help.Ansi.OFF), name);
        }
        for (String[] args : new String[][] {{}, {"help", "fit"}, {"--help"}, {"--version"}, {"frobnicate"}}) {
            assertEquals(all.getSubcommands().keySet(), MixstreamCli.commandLine(args).getSubcommands().keySet(),
                    String.join(" ", args));
        }
    }

    @Test
    void fitHelpShowsTheDefaults() {
        String help = run("fit", "--help").out();
        for (String expected : new String[] {"Default: 10000", "Default: 1.0E-6", "Default: 42", "Default: full",
            "Default: auto", "Default: 100", "Default: 0.001"}) {
            assertTrue(help.contains(expected), () -> expected + " missing in\n" + help);
        }
    }

    @Test
    void versionAndMissingSubcommand() {
        Run v = run("--version");
        assertEquals(0, v.code());
        assertTrue(v.out().startsWith("mixstream "), v::toString);
        Run none = run();
        assertEquals(2, none.code(), none::toString);
        assertTrue(none.err().startsWith("Missing required subcommand"), none::toString);
        Run unknown = run("frobnicate");
        assertEquals(2, unknown.code(), unknown::toString);
    }

    @Test
    void helpAndErrorsSpeakPlainly() {
        for (String name : new String[]{"run", "produce", "bench", "broker"}) {
            String help = run(name, "--help").out();
            assertFalse(help.contains("Default: {}"), name + ": " + help);
            assertFalse(java.util.regex.Pattern.compile("(?m)( e\\.$|^\\s+g\\. )").matcher(help).find()
                    || help.contains(" e.g."), "no 'e.g.' broken over two lines: " + name + ": " + help);
        }
        Run set = run("run", "--set", "foo");
        assertEquals(2, set.code());
        assertTrue(set.err().startsWith("--set foo: expected KEY=VALUE"), set.err());
        Run file = run("run", "--config", "/no/such/mixstream.properties", "-b", "localhost:1");
        assertEquals(1, file.code());
        assertEquals("mixstream run: error: invalid configuration: cannot read configuration file "
                + "/no/such/mixstream.properties: no such file", file.err().strip());
    }
}
