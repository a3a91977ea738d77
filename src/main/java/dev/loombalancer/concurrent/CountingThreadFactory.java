package dev.loombalancer.concurrent;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Makes virtual threads and counts how many of them are still alive.
 *
 * <p>Virtual threads are cheap enough to start one per blocking task and never pool them,
 * but they are also invisible to {@code Thread.getAllStackTraces()}. Counting them here is
 * how tests, {@code /status} and the {@code loom_threads_live} metric show that no
 * connection leaves a thread behind.
 */
public final class CountingThreadFactory implements ThreadFactory {

    private final ThreadFactory threads;
    private final AtomicInteger alive = new AtomicInteger();

    /**
     * All threads share {@code name}, which says what they do in a thread dump. (A numbered
     * name would cost a string per thread; the dump shows each thread's id anyway.)
     */
    public CountingThreadFactory(String name) {
        this.threads = ConnectionThreads.named(name);
    }

    @Override
    public Thread newThread(Runnable task) {
        Thread thread = threads.newThread(() -> {
            try {
                task.run();
            } finally {
                alive.decrementAndGet();
            }
        });
        // Counted when made, not when started: a thread that is made but never started is
        // a bug this count should show, not hide.
        alive.incrementAndGet();
        return thread;
    }

    /** Threads made by this factory that have not finished yet. */
    public int alive() {
        return alive.get();
    }
}
