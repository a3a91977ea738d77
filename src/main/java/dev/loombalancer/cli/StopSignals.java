package dev.loombalancer.cli;

import org.tinylog.Logger;
import sun.misc.Signal;

/**
 * Turns SIGTERM and SIGINT into a graceful stop, so that both end the process with exit
 * code 0 after the listener is closed.
 *
 * <p>A shutdown hook alone would also run on those signals, but the JVM then exits with
 * 128 + the signal number, which service managers read as a crash. {@code sun.misc.Signal}
 * (module jdk.unsupported, kept for exactly this use) lets us handle the signal instead.
 */
final class StopSignals {

    private StopSignals() {
    }

    /** Runs {@code stop} (on a signal-handler thread) when SIGTERM or SIGINT arrives. */
    static void install(Runnable stop) {
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                Signal.handle(new Signal(name), signal -> {
                    Logger.info("SIG{} received; stopping", name);
                    stop.run();
                });
            } catch (IllegalArgumentException e) {
                // The signal is ignored or reserved here (a background job ignores SIGINT):
                // the JVM's default handling stays in place.
                Logger.debug("cannot handle SIG{}: {}", name, e.getMessage());
            }
        }
    }
}
