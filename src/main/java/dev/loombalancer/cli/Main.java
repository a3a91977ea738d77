package dev.loombalancer.cli;

import java.io.PrintWriter;
import picocli.CommandLine;

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
        return commandLine(out, err).execute(args);
    }

    /** The configured picocli command line, also used by tests to parse without running. */
    static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine commandLine = new CommandLine(new BalancerCommand());
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setParameterExceptionHandler(new OneLineErrors());
        return commandLine;
    }
}
