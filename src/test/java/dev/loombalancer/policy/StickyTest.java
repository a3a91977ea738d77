package dev.loombalancer.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.BackendPool;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Sticky sessions and the table behind them, with a clock the test moves by hand. */
class StickyTest {

    private final AtomicLong clock = new AtomicLong();

    private StickyTable table(Duration ttl, int max) {
        return new StickyTable(new StickyTable.Limits(ttl, max), clock::get);
    }

    /** Connect as the balancer does: take the first candidate and report it. */
    private static Backend connect(Sticky policy, InetSocketAddress client) {
        Backend backend = policy.candidates(client).next();
        policy.connected(client, backend);
        return backend;
    }

    /** One address keeps its backend, whatever its source port; other addresses are spread. */
    @Test
    void sameAddressSameBackend() {
        BackendPool pool = new BackendPool(Pools.backends(3));
        Sticky policy = new Sticky(pool, table(Duration.ofMinutes(30), 100));
        Backend first = connect(policy, Pools.client(1));
        for (int i = 0; i < 5; i++) {
            assertEquals(first, connect(policy, new InetSocketAddress(Pools.client(1).getAddress(), 40001 + i)));
        }
        assertNotEquals(first, connect(policy, Pools.client(2)));
    }

    /** When its backend goes DOWN the client moves, and stays moved after the old one returns. */
    @Test
    void failsOverAndDoesNotSnapBack() {
        BackendPool pool = Pools.tracked(Pools.backends(3));
        Sticky policy = new Sticky(pool, table(Duration.ofMinutes(30), 100));
        Backend original = connect(policy, Pools.client(7));
        pool.failed(original, "refused");
        Backend moved = connect(policy, Pools.client(7));
        assertNotEquals(original, moved);
        pool.succeeded(original, "ok");
        pool.succeeded(original, "ok");
        assertEquals(moved, connect(policy, Pools.client(7)));
    }

    /** An entry idle for the TTL is forgotten; one in use is kept alive by its use. */
    @Test
    void idleEntriesExpire() {
        StickyTable table = table(Duration.ofMinutes(30), 100);
        Backend backend = Pools.backends(1).get(0);
        table.put(Pools.client(1).getAddress(), backend);
        table.put(Pools.client(2).getAddress(), backend);
        clock.addAndGet(TimeUnit.MINUTES.toNanos(20));
        assertEquals(backend, table.get(Pools.client(2).getAddress())); // used: its 30 minutes start again
        clock.addAndGet(TimeUnit.MINUTES.toNanos(20));
        assertNull(table.get(Pools.client(1).getAddress()));
        assertEquals(backend, table.get(Pools.client(2).getAddress()));
        assertEquals(1, table.size());
        clock.addAndGet(TimeUnit.MINUTES.toNanos(31));
        assertEquals(0, table.size());
    }

    /** A full table forgets its least recently used client first, and never grows past its size. */
    @Test
    void fullTableEvictsLeastRecentlyUsed() {
        StickyTable table = table(Duration.ofMinutes(30), 3);
        List<Backend> backends = Pools.backends(3);
        for (int i = 1; i <= 3; i++) {
            table.put(Pools.client(i).getAddress(), backends.get(i - 1));
            clock.incrementAndGet();
        }
        table.get(Pools.client(1).getAddress()); // 2 is now the least recently used
        table.put(Pools.client(4).getAddress(), backends.get(0));
        assertNull(table.get(Pools.client(2).getAddress()));
        assertEquals(backends.get(0), table.get(Pools.client(1).getAddress()));
        for (int i = 5; i < 10_000; i++) {
            table.put(Pools.client(i).getAddress(), backends.get(i % 3));
        }
        assertEquals(3, table.size());
    }

    /** With nothing UP, a remembered backend that an operator drained is not tried; the others are. */
    @Test
    void aDrainedBackendLeavesTheFallbackToo() {
        BackendPool pool = Pools.tracked(Pools.backends(3));
        Sticky policy = new Sticky(pool, table(Duration.ofMinutes(30), 100));
        Backend remembered = connect(policy, Pools.client(3));
        pool.setDraining(remembered, true);
        for (Backend backend : pool.backends()) {
            pool.failed(backend, "refused");
        }
        List<Integer> tried = Pools.ports(policy.candidates(Pools.client(3)));
        assertEquals(2, tried.size(), "the two not drained: " + tried);
        assertFalse(tried.contains(remembered.address().getPort()), "drained " + remembered + " not tried: " + tried);
    }
}
