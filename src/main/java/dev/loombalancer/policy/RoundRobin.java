package dev.loombalancer.policy;

import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.BackendPool;
import java.net.InetSocketAddress;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Strict rotation over the UP backends: connection n starts at UP backend n mod count,
 * then fails over to the following ones in list order, wrapping around once.
 *
 * <p>An atomic counter is all the shared state, so choosing never takes a lock. A long
 * does not wrap in practice, which keeps the rotation even forever.
 *
 * <p>With weights that differ, the first candidate is instead the backend whose turn it
 * is by weight ({@link WeightedTurns}); failover goes on from there in list order.
 */
public final class RoundRobin implements SelectionPolicy {

    private final BackendPool pool;
    private final AtomicLong next = new AtomicLong();
    private final WeightedTurns turns; // null while every weight is the same

    public RoundRobin(BackendPool pool) {
        this.pool = pool;
        this.turns = pool.isWeighted() ? new WeightedTurns(pool) : null;
    }

    @Override
    public Iterator<Backend> candidates(InetSocketAddress client) {
        List<Backend> selectable = pool.selectable();
        return Rotation.of(selectable, turns == null ? next.getAndIncrement() : turns.next(selectable));
    }

    @Override
    public String name() {
        return Strategy.ROUND_ROBIN.toString();
    }
}
