package dev.loombalancer.cli;

import java.util.concurrent.atomic.AtomicBoolean;
import org.tinylog.Logger;
import sun.misc.Signal;

/**
 * Turns SIGTERM and SIGINT into a graceful stop (drain), and a second one into an
 * immediate stop, so that both end the process with exit code 0.
 *
 * <p>A shutdown hook alone would also run on those signals, but the JVM then exits with
 * 128 + the signal number, which service managers read as a crash. {@code sun.misc.Signal}
 * (module jdk.unsupported, kept for exactly this use) lets us handle the signal instead.
 */
final class StopSignals {

    private StopSignals() {
    }

    /**
     * Runs {@code drain} when the first SIGTERM or SIGINT arrives and {@code stopNow} on
     * any later one. Each signal is handled on a thread of its own, so a second signal is
     * seen while the first one's drain is still waiting.
     */
    static void install(Runnable drain, Runnable stopNow) {
        AtomicBoolean received = new AtomicBoolean();
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                Signal.handle(new Signal(name), signal -> {
                    if (received.compareAndSet(false, true)) {
                        Logger.info("SIG{} received; draining (a second signal stops at once)", name);
                        drain.run();
                    } else {
                        Logger.info("SIG{} received again; closing open connections now", name);
                        stopNow.run();
                    }
                });
            } catch (IllegalArgumentException e) {
                // The signal is ignored or reserved here (a background job ignores SIGINT):
                // the JVM's default handling stays in place.
                Logger.debug("cannot handle SIG{}: {}", name, e.getMessage());
            }
        }
    }
}
