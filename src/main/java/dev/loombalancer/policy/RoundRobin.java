package dev.loombalancer.policy;

import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.BackendPool;
import java.net.InetSocketAddress;
import java.util.Iterator;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Strict rotation over the UP backends: connection n starts at UP backend n mod count,
 * then fails over to the following ones in list order, wrapping around once.
 *
 * <p>An atomic counter is all the shared state, so choosing never takes a lock. A long
 * does not wrap in practice, which keeps the rotation even forever.
 */
public final class RoundRobin implements SelectionPolicy {

    private final BackendPool pool;
    private final AtomicLong next = new AtomicLong();

    public RoundRobin(BackendPool pool) {
        this.pool = pool;
    }

    @Override
    public Iterator<Backend> candidates(InetSocketAddress client) {
        return Rotation.of(pool.selectable(), next.getAndIncrement());
    }

    @Override
    public String name() {
        return Strategy.ROUND_ROBIN.toString();
    }
}
