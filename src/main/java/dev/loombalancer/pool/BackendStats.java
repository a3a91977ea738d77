package dev.loombalancer.pool;

import java.util.concurrent.atomic.LongAdder;

/**
 * What one backend has carried since start, for metrics and status. {@link LongAdder}s,
 * because many connections add to them at once and they are read only when scraped.
 */
public final class BackendStats {

    private final LongAdder bytesUp = new LongAdder();
    private final LongAdder bytesDown = new LongAdder();
    private final LongAdder connectFailures = new LongAdder();
    private final LongAdder connections = new LongAdder();

    /** Counts a client connection established to this backend. */
    public void connected() {
        connections.increment();
    }

    /** Client connections established to this backend since start. */
    public long connections() {
        return connections.sum();
    }

    /** Adds a finished connection's bytes, client→backend and backend→client. */
    public void addBytes(long up, long down) {
        bytesUp.add(up);
        bytesDown.add(down);
    }

    /** Counts a client connection that this backend refused or did not accept in time. */
    public void connectFailed() {
        connectFailures.increment();
    }

    public long bytesUp() {
        return bytesUp.sum();
    }

    public long bytesDown() {
        return bytesDown.sum();
    }

    public long connectFailures() {
        return connectFailures.sum();
    }
}
