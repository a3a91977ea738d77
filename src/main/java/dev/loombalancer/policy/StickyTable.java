package dev.loombalancer.policy;

import dev.loombalancer.logging.DurationText;
import dev.loombalancer.pool.Backend;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Client address → backend, forgetting a client after it has been idle for the TTL and
 * the least recently seen client once the table is full, so a flood of distinct addresses
 * costs a bounded amount of memory. HAProxy's equivalent is
 * {@code stick-table type ip size 100k expire 30m}.
 *
 * <p>A {@link LinkedHashMap} in access order keeps entries sorted by last use, so the
 * least recently used entry is the first one: the eldest goes when the table is full,
 * and expired entries are always a prefix, which makes purging them cheap. A
 * {@link ReentrantLock} guards it; nothing under the lock blocks.
 */
public final class StickyTable {

    /** How long an idle entry lives and how many entries there may be. */
    public record Limits(Duration ttl, int maxEntries) {
        public static final Limits DEFAULT = new Limits(Duration.ofMinutes(30), 100_000);

        public Limits {
            if (ttl.isNegative() || ttl.isZero()) {
                throw new IllegalArgumentException("sticky TTL must be positive, not " + DurationText.of(ttl));
            }
            if (maxEntries < 1) {
                throw new IllegalArgumentException("sticky table size must be at least 1, not " + maxEntries);
            }
        }
    }

    private static final class Session {
        final Backend backend;
        long lastUsed;

        Session(Backend backend, long lastUsed) {
            this.backend = backend;
            this.lastUsed = lastUsed;
        }
    }

    private final long ttlNanos;
    private final LongSupplier nanoClock;
    private final ReentrantLock lock = new ReentrantLock();
    private final LinkedHashMap<InetAddress, Session> entries;

    public StickyTable(Limits limits) {
        this(limits, System::nanoTime);
    }

    /** With a clock of our own, so tests can let an hour pass at once. */
    StickyTable(Limits limits, LongSupplier nanoClock) {
        this.ttlNanos = limits.ttl().toNanos();
        this.nanoClock = nanoClock;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<InetAddress, Session> eldest) {
                return size() > limits.maxEntries();
            }
        };
    }

    /** The backend {@code client} was last sent to, or null if unknown or expired; counts as a use. */
    public Backend get(InetAddress client) {
        long now = nanoClock.getAsLong();
        lock.lock();
        try {
            purgeExpired(now);
            Session entry = entries.get(client);
            if (entry == null) {
                return null;
            }
            entry.lastUsed = now;
            return entry.backend;
        } finally {
            lock.unlock();
        }
    }

    /** Remembers that {@code client} is served by {@code backend}. */
    public void put(InetAddress client, Backend backend) {
        long now = nanoClock.getAsLong();
        lock.lock();
        try {
            purgeExpired(now);
            Session entry = entries.get(client);
            if (entry != null && entry.backend.equals(backend)) {
                entry.lastUsed = now;
            } else {
                entries.put(client, new Session(backend, now));
            }
        } finally {
            lock.unlock();
        }
    }

    /** Entries now, expired ones not counted. */
    public int size() {
        long now = nanoClock.getAsLong();
        lock.lock();
        try {
            purgeExpired(now);
            return entries.size();
        } finally {
            lock.unlock();
        }
    }

    /** Drops the expired entries, which are always at the front; stops at the first live one. */
    private void purgeExpired(long now) {
        Iterator<Session> oldestFirst = entries.values().iterator();
        while (oldestFirst.hasNext()) {
            if (now - oldestFirst.next().lastUsed < ttlNanos) {
                return;
            }
            oldestFirst.remove();
        }
    }
}
