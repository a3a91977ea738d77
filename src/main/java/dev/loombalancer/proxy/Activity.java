package dev.loombalancer.proxy;

import java.util.concurrent.atomic.AtomicReference;

/**
 * What both directions of one connection share: when a byte last moved (for the idle
 * timeout), since when the backend owes an answer (for the server timeout) and which side
 * ended first (for the access log).
 */
final class Activity {

    private volatile long lastNanos = System.nanoTime();
    // When the client's bytes were passed on with no byte back since, or 0 (for --server-timeout).
    private volatile long awaitingSinceNanos;
    private final AtomicReference<String> firstEnd = new AtomicReference<>();

    /** Records that bytes moved just now, in the direction {@code toBackend} says. */
    void touch(boolean toBackend) {
        long now = System.nanoTime();
        lastNanos = now;
        if (toBackend) {
            if (awaitingSinceNanos == 0) {
                awaitingSinceNanos = now; // the client asked; the backend's answer is due from now
            }
        } else if (awaitingSinceNanos != 0) {
            awaitingSinceNanos = 0; // answered
        }
    }

    /** Since when the backend owes an answer (the nanoTime clock), or 0 if it owes none. */
    long awaitingSinceNanos() {
        return awaitingSinceNanos;
    }

    /** Records how one direction ended ("client closed"); only the first call counts. */
    void ended(String how) {
        firstEnd.compareAndSet(null, how);
    }

    /** How the first direction to end ended, or null if neither has. */
    String firstEnd() {
        return firstEnd.get();
    }

    /** When bytes last moved, on the {@link System#nanoTime()} clock. */
    long lastNanos() {
        return lastNanos;
    }
}
