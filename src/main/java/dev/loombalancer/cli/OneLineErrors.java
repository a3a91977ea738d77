package dev.loombalancer.cli;

import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;

/**
 * Reports a bad command line in one line, like GNU tools do, instead of picocli's default
 * of the message followed by the whole usage text; the user asks for that with --help.
 */
final class OneLineErrors implements IParameterExceptionHandler {

    @Override
    public int handleParseException(ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        command.getErr().println(Main.NAME + ": " + e.getMessage() + " (see '" + Main.NAME + " --help')");
        command.getErr().flush();
        return command.getCommandSpec().exitCodeOnInvalidInput();
    }
}
