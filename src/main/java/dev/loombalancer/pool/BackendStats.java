package dev.loombalancer.pool;

import java.util.concurrent.atomic.LongAdder;

/**
 * What one backend has carried since start, for metrics and status. {@link LongAdder}s,
 * because many connections add to them at once and they are read only when scraped.
 */
public final class BackendStats {

    private final LongAdder bytesToBackend = new LongAdder();
    private final LongAdder bytesToClient = new LongAdder();
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

    /** Adds a finished connection's bytes in each direction. */
    public void addBytes(long toBackend, long toClient) {
        bytesToBackend.add(toBackend);
        bytesToClient.add(toClient);
    }

    /** Counts a client connection that this backend refused or did not accept in time. */
    public void connectFailed() {
        connectFailures.increment();
    }

    public long bytesToBackend() {
        return bytesToBackend.sum();
    }

    public long bytesToClient() {
        return bytesToClient.sum();
    }

    public long connectFailures() {
        return connectFailures.sum();
    }
}
