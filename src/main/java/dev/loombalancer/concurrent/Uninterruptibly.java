package dev.loombalancer.concurrent;

import java.util.concurrent.CountDownLatch;

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
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits until {@code latch} has counted down to zero. */
    public static void await(CountDownLatch latch) {
        boolean interrupted = false;
        while (latch.getCount() > 0) {
            try {
                latch.await();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
