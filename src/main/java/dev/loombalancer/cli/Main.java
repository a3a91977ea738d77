package dev.loombalancer.cli;

import java.io.PrintWriter;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.codegen.docgen.manpage.ManPageGenerator;

/** Runs the command line. {@code dev.loombalancer.Launcher} calls this after checking the Java version. */
public final class Main {

    /** The command's name, as users type it and as error lines start. */
    public static final String NAME = "loom-balancer";

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /**
     * Parses {@code args} and runs the balancer; returns the exit code instead of exiting,
     * so tests can run the command in-process and read what it printed.
     */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        return commandLine(args, out, err).execute(args);
    }

    /** The configured picocli command line for {@code args}, also used by tests to parse without running. */
    static CommandLine commandLine(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine commandLine = new BalancerCommand().commandLine();
        if (args.length > 0 && isHelper(args[0])) {
            // The hidden helpers: a bash/zsh completion script, and the man page (AsciiDoc),
            // which lists the completion helper too. They are registered only when one is
            // asked for, because picocli builds every registered subcommand's model
            // (annotations, proxies, classes) at each start (docs/experiments.md measures
            // it); and before setOut, which reaches only the subcommands already there.
            commandLine.addSubcommand(new AutoComplete.GenerateCompletion());
            commandLine.addSubcommand(new ManPageGenerator());
        }
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setParameterExceptionHandler(new OneLineErrors());
        return commandLine;
    }

    private static boolean isHelper(String name) {
        return name.equals("generate-completion") || name.equals("gen-manpage");
    }
}
