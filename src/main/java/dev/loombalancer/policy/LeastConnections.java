package dev.loombalancer.policy;

import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.BackendHealth;
import dev.loombalancer.pool.BackendPool;
import dev.loombalancer.pool.PoolListener;
import java.net.InetSocketAddress;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The UP backend with the fewest active connections per unit of weight; among equals, the
 * one picked least recently, so equal backends take turns exactly as in round-robin.
 * Backups sort after every other backend, so one is chosen only while no other is UP.
 *
 * <p>A linear scan would cost 10,000 comparisons per connection on a big pool. Instead the
 * UP backends stay sorted in a tree by (active connections, last pick): choosing is a
 * look at the first entry, and each change of load moves one entry, O(log n) either way.
 * This is the structure HAProxy uses for {@code balance leastconn}.
 *
 * <p>The tree is guarded by a {@link ReentrantLock}, held only for in-memory tree edits and
 * never across I/O, so no thread ever waits on a thread that is blocked.
 */
public final class LeastConnections implements SelectionPolicy, PoolListener {

    /** A backend's place in the tree. Its key fields change only while it is out of the tree. */
    private static final class Entry {
        final Backend backend;
        final BackendHealth health;
        final int order;
        final boolean backup;
        int share; // the weight now (BackendPool.shareOf), read when the entry is placed
        int active;
        long lastPick;
        boolean inTree;

        Entry(Backend backend, BackendHealth health, int order, boolean backup) {
            this.backend = backend;
            this.health = health;
            this.order = order;
            this.backup = backup;
        }
    }

    /**
     * Backups last; then fewest connections per weight (a.active / a.share against
     * b.active / b.share, cross-multiplied to stay in whole numbers); then least recently
     * picked; list order makes it total.
     */
    private static final Comparator<Entry> BY_LOAD = (a, b) -> {
        if (a.backup != b.backup) {
            return a.backup ? 1 : -1;
        }
        long load = (long) a.active * b.share - (long) b.active * a.share;
        if (load != 0) {
            return load < 0 ? -1 : 1;
        }
        if (a.lastPick != b.lastPick) {
            return Long.compare(a.lastPick, b.lastPick);
        }
        return Integer.compare(a.order, b.order);
    };

    private final BackendPool pool;
    private final ReentrantLock lock = new ReentrantLock();
    private final TreeSet<Entry> byLoad = new TreeSet<>(BY_LOAD);
    private final Map<Backend, Entry> entries = new HashMap<>();
    private long picks;
    private volatile long rampReadNanos; // when the shares of ramping backends were last re-read

    public LeastConnections(BackendPool pool) {
        this.pool = pool;
        List<Backend> backends = pool.backends();
        for (int i = 0; i < backends.size(); i++) {
            Backend backend = backends.get(i);
            Entry entry = new Entry(backend, pool.healthOf(backend), i, pool.isBackup(backend));
            entries.put(entry.backend, entry);
        }
        lock.lock();
        try {
            entries.values().forEach(this::place);
        } finally {
            lock.unlock();
        }
        pool.addListener(this);
    }

    @Override
    public Iterator<Backend> candidates(InetSocketAddress client) {
        refreshRamping();
        Backend chosen;
        long pick;
        lock.lock();
        try {
            Entry least = byLoad.pollFirst();
            pick = ++picks;
            if (least == null) {
                chosen = null; // nothing UP
            } else {
                // Move it behind its equals now, before its connection is even counted, so
                // a burst of clients spreads over equal backends instead of piling onto one.
                least.lastPick = pick;
                byLoad.add(least);
                chosen = least.backend;
            }
        } finally {
            lock.unlock();
        }
        // Failover (rare) goes round the others in list order; precision matters less there.
        return new Rotation(chosen, pool.selectable(), pick);
    }

    @Override
    public void loadChanged(Backend backend) {
        update(backend);
    }

    @Override
    public void stateChanged(Backend backend) {
        update(backend);
    }

    @Override
    public String name() {
        return Strategy.LEAST_CONNECTIONS.toString();
    }

    /**
     * Re-reads the backend's load and state from the pool. Reading the current values
     * rather than taking them from the caller makes concurrent updates safe in any order:
     * whichever runs last sees the latest count.
     */
    private void update(Backend backend) {
        Entry entry = entries.get(backend);
        lock.lock();
        try {
            if (entry.inTree) {
                byLoad.remove(entry);
                entry.inTree = false;
            }
            place(entry);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Slow start: a backend ramping up after coming back has a share that grows with time,
     * so once per tick its entry is placed again with its share now. Nothing to do, one
     * volatile read, unless a backend is ramping.
     */
    private void refreshRamping() {
        if (pool.ramping().isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        if (now - rampReadNanos < pool.rampTickNanos()) {
            return;
        }
        rampReadNanos = now;
        for (Backend backend : List.copyOf(pool.ramping())) {
            update(backend);
        }
    }

    /** Puts an entry that is out of the tree back in with a fresh count and share, if its backend is UP. */
    private void place(Entry entry) {
        entry.active = pool.connections().active(entry.backend);
        entry.share = pool.shareOf(entry.backend, System.nanoTime());
        if (entry.health.isSelectable()) {
            byLoad.add(entry);
            entry.inTree = true;
        }
    }
}
