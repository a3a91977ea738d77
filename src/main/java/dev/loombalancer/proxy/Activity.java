package dev.loombalancer.proxy;

import java.util.concurrent.atomic.AtomicReference;

/**
 * What both directions of one connection share: when a byte last moved (for the idle
 * timeout) and which side ended first (for the access log).
 */
final class Activity {

    private volatile long lastNanos = System.nanoTime();
    private final AtomicReference<String> firstEnd = new AtomicReference<>();

    /** Records that bytes moved just now. */
    void touch() {
        lastNanos = System.nanoTime();
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
