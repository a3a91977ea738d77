package dev.loombalancer.server;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code --idle-timeout}: one virtual thread for the whole balancer that wakes a few
 * times per timeout and cuts every connection that moved no byte for that long.
 *
 * <p>Why one sweeper and not a timer per connection: a timed read in each pipe would
 * schedule and cancel a timer on every read that parks, and could not see a pipe stuck
 * in a write to a peer that stopped reading; a watchdog thread per connection would add
 * a third parked thread to every idle connection. A sweep costs nothing per byte (the
 * pipes already note when bytes move) and one pass over the open connections per tick,
 * like Tomcat's poller timeout scan. The price is precision: a connection is cut between
 * one timeout and one timeout plus a tick after its last byte.
 */
final class IdleReaper implements Runnable {

    private final LiveConnections live;
    private final long idleNanos;
    private final long tickNanos;
    private final CountDownLatch stop = new CountDownLatch(1);

    IdleReaper(LiveConnections live, Duration timeout) {
        this.live = live;
        this.idleNanos = timeout.toNanos();
        // A tenth of the timeout, but at least 10 ms (tests) and at most 1 s (10 minutes).
        this.tickNanos = Math.clamp(idleNanos / 10, TimeUnit.MILLISECONDS.toNanos(10), TimeUnit.SECONDS.toNanos(1));
    }

    @Override
    public void run() {
        try {
            while (!stop.await(tickNanos, TimeUnit.NANOSECONDS)) {
                live.cutIdle(idleNanos);
            }
        } catch (InterruptedException e) {
            // stopping
        }
    }

    /** Ends the sweeps; the thread ends at once. */
    void stop() {
        stop.countDown();
    }
}
