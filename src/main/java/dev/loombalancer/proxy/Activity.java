package dev.loombalancer.proxy;

/**
 * When a connection last moved a byte, in either direction; both pipes touch it, the
 * connection's own thread reads it to enforce the idle timeout.
 */
final class Activity {

    private volatile long lastNanos = System.nanoTime();

    /** Records that bytes moved just now. */
    void touch() {
        lastNanos = System.nanoTime();
    }

    /** When bytes last moved, on the {@link System#nanoTime()} clock. */
    long lastNanos() {
        return lastNanos;
    }
}
