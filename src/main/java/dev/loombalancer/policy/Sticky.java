package dev.loombalancer.policy;

import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.BackendPool;
import java.net.InetSocketAddress;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sticky sessions: a client address keeps going to the backend it was last connected to
 * while that backend is UP. A new client, or one whose backend went DOWN, is placed
 * round-robin and the table is updated to wherever it really got connected, so a client
 * that failed over stays on its new backend instead of snapping back when the old one
 * returns (until its entry expires).
 *
 * <p>The key is the client's IP address without the port: each new connection from the
 * same host comes from a new ephemeral port.
 */
public final class Sticky implements SelectionPolicy {

    private final BackendPool pool;
    private final StickyTable sessions;
    private final AtomicLong next = new AtomicLong();
    private final WeightedTurns turns; // null while every weight is the same

    public Sticky(BackendPool pool, StickyTable sessions) {
        this.pool = pool;
        this.sessions = sessions;
        this.turns = pool.isWeighted() ? new WeightedTurns(pool) : null;
    }

    @Override
    public Iterator<Backend> candidates(InetSocketAddress client) {
        Backend remembered = sessions.get(client.getAddress());
        if (remembered != null && !pool.contains(remembered)) {
            remembered = null; // removed by a reload: place anew
        }
        if (remembered != null && (pool.healthOf(remembered).isDraining()
                || !pool.isSelectable(remembered) && !pool.up().isEmpty())) {
            remembered = null; // drained by an operator, or DOWN while others are UP: place anew
        }
        // Only new placements advance the rotation (by weight, when weights differ), so new
        // clients are spread in turn however often the known ones come back.
        List<Backend> selectable = pool.selectable();
        long start = remembered != null ? next.get()
                : turns == null ? next.getAndIncrement() : turns.next(selectable);
        return new Rotation(remembered, selectable, start);
    }

    @Override
    public void connected(InetSocketAddress client, Backend backend) {
        sessions.put(client.getAddress(), backend);
    }

    @Override
    public String name() {
        return Strategy.STICKY.toString();
    }

    /** The table of known clients, which a reload's successor policy keeps. */
    StickyTable sessions() {
        return sessions;
    }
}
