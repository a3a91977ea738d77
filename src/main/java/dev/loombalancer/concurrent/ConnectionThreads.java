package dev.loombalancer.concurrent;

import java.util.concurrent.ThreadFactory;

/**
 * The kind of thread connections and their pipes run on: virtual, always, except under
 * the diagnostic switch {@code -Dloom.diagnostic.threads=platform}, which runs the very
 * same code on platform threads so the two can be compared (docs/experiments.md).
 *
 * <p>Platform threads are for that comparison only: interrupting a platform thread does
 * not wake it from a socket read, so a stop cannot cut the connections still open.
 */
public final class ConnectionThreads {

    /** True under {@code -Dloom.diagnostic.threads=platform}. */
    public static final boolean PLATFORM = "platform".equals(System.getProperty("loom.diagnostic.threads"));

    private ConnectionThreads() {
    }

    /** Threads that all share {@code name}, which says what they do in a thread dump. */
    public static ThreadFactory named(String name) {
        return PLATFORM ? Thread.ofPlatform().name(name).daemon(true).factory() : Thread.ofVirtual().name(name).factory();
    }
}
