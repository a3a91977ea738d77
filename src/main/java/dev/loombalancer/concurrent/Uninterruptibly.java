package dev.loombalancer.concurrent;

import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;

/**
 * Waits that cleanup code must finish even when its thread is interrupted: a stop that
 * gave up half-way would leak the very threads and sockets it was closing. The interrupt
 * is not lost; it is set again for the caller to see.
 */
public final class Uninterruptibly {

    private Uninterruptibly() {
    }

    /** Waits until {@code thread} has terminated. */
    public static void join(Thread thread) {
        waitUntil(thread::join, () -> !thread.isAlive());
    }

    /** Waits until {@code latch} has counted down to zero. */
    public static void await(CountDownLatch latch) {
        waitUntil(latch::await, () -> latch.getCount() == 0);
    }

    /** A blocking wait that an interrupt can cut short. */
    @FunctionalInterface
    private interface Wait {
        void run() throws InterruptedException;
    }

    private static void waitUntil(Wait wait, BooleanSupplier done) {
        boolean interrupted = false;
        while (!done.getAsBoolean()) {
            try {
                wait.run();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
