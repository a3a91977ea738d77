package dev.loombalancer.server;

import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.tinylog.Logger;

/**
 * {@code --max-connections}: at most N client connections at once. The accept loop takes
 * a permit before it accepts, and a connection gives it back when it ends, so beyond N
 * new clients wait in the kernel's listen backlog (as with HAProxy's {@code maxconn}):
 * memory stays bounded under a flood, and nobody is turned away while there is room
 * in the backlog.
 */
final class ConnectionLimit {

    private final int max;
    private final Semaphore permits;
    private final AtomicLong waits = new AtomicLong();
    private final AtomicBoolean full = new AtomicBoolean();

    /** @param max the limit; 0 for none */
    ConnectionLimit(int max) {
        this.max = max;
        this.permits = max > 0 ? new Semaphore(max) : null;
    }

    /**
     * Takes a permit, waiting while the limit is reached.
     *
     * @throws InterruptedException if the balancer is stopping
     */
    void acquire() throws InterruptedException {
        if (permits == null || permits.tryAcquire()) {
            return;
        }
        waits.incrementAndGet();
        if (full.compareAndSet(false, true)) {
            Logger.warn("--max-connections {} reached; new clients wait in the listen backlog", max);
        }
        permits.acquire();
    }

    /** Gives a permit back; every path that took one must. */
    void release() {
        if (permits != null) {
            permits.release();
            if (full.get() && permits.availablePermits() > max / 10 && full.compareAndSet(true, false)) {
                Logger.info("below --max-connections {} again; accepting", max);
            }
        }
    }

    /** How often accepting had to wait for a connection to end. */
    long waits() {
        return waits.get();
    }
}
