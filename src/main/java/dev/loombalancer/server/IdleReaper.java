package dev.loombalancer.server;

import dev.loombalancer.logging.DurationText;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code --idle-timeout} and {@code --server-timeout}: one virtual thread for the whole
 * balancer that wakes a few times per timeout and cuts every connection that moved no
 * byte for the idle timeout, or whose backend owes an answer for the server timeout.
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
    private final long idleNanos; // 0: no idle timeout
    private final long serverNanos; // 0: no server timeout
    private final String serverWhy;
    private final long tickNanos;
    private final CountDownLatch stop = new CountDownLatch(1);

    /**
     * @param idleTimeout   null for none
     * @param serverTimeout null for none (not both null)
     */
    IdleReaper(LiveConnections live, Duration idleTimeout, Duration serverTimeout) {
        this.live = live;
        this.idleNanos = idleTimeout == null ? 0 : idleTimeout.toNanos();
        this.serverNanos = serverTimeout == null ? 0 : serverTimeout.toNanos();
        this.serverWhy = serverTimeout == null ? "" : "no reply within --server-timeout " + DurationText.of(serverTimeout);
        long shortest = Math.min(idleNanos == 0 ? Long.MAX_VALUE : idleNanos, serverNanos == 0 ? Long.MAX_VALUE : serverNanos);
        // A tenth of the timeout, but at least 10 ms (tests) and at most 1 s (10 minutes).
        this.tickNanos = Math.clamp(shortest / 10, TimeUnit.MILLISECONDS.toNanos(10), TimeUnit.SECONDS.toNanos(1));
    }

    @Override
    public void run() {
        try {
            while (!stop.await(tickNanos, TimeUnit.NANOSECONDS)) {
                if (idleNanos > 0) {
                    live.cutIdle(idleNanos);
                }
                if (serverNanos > 0) {
                    live.cutUnanswered(serverNanos, serverWhy);
                }
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
