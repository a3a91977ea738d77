package dev.loombalancer.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pool's bookkeeping: which backends may be chosen, and how many connections each holds. */
class BackendPoolTest {

    /** The pool keeps its UP list in step with health, and ignores reports when untracked. */
    @Test
    void poolListsUpBackendsAndIgnoresReportsWhenUntracked() {
        List<Backend> backends = List.of(backend(9001), backend(9002));
        BackendPool tracked = new BackendPool(backends, new RiseFall(true, 1, 1));
        tracked.failed(backends.get(0), "refused");
        assertEquals(List.of(backends.get(1)), tracked.up());
        assertEquals(List.of(backends.get(1)), tracked.selectable());
        tracked.failed(backends.get(1), "refused");
        assertEquals(List.of(), tracked.up());
        assertEquals(backends, tracked.selectable(), "none UP: every backend is worth a try");
        tracked.succeeded(backends.get(0), "ok");
        assertEquals(List.of(backends.get(0)), tracked.up());

        BackendPool untracked = new BackendPool(backends);
        untracked.failed(backends.get(0), "refused");
        assertEquals(backends, untracked.up());
    }

    /** A drained backend leaves selection, also in the none-UP fallback, and comes back when enabled. */
    @Test
    void drainedBackendsAreNotSelectable() {
        List<Backend> backends = List.of(backend(9001), backend(9002));
        BackendPool pool = new BackendPool(backends, new RiseFall(true, 1, 1));
        assertTrue(pool.setDraining(backends.get(0), true));
        assertFalse(pool.setDraining(backends.get(0), true), "already draining");
        assertTrue(pool.isUp(backends.get(0)), "health is unchanged");
        assertEquals(List.of(backends.get(1)), pool.up());
        pool.failed(backends.get(1), "refused");
        assertEquals(List.of(backends.get(1)), pool.selectable(), "the fallback skips drained backends too");
        pool.setDraining(backends.get(0), false);
        assertEquals(List.of(backends.get(0)), pool.up());
    }

    /** A lease decrements exactly once, however often it is closed. */
    @Test
    void leaseGivesBackExactlyOnce() {
        BackendPool pool = new BackendPool(List.of(backend(9001), backend(9002)));
        Backend first = pool.backends().get(0);
        ConnectionCounter.Lease lease = pool.connections().open(first);
        pool.connections().open(first);
        assertEquals(2, pool.connections().active(first));
        lease.close();
        lease.close();
        assertEquals(1, pool.connections().active(first));
        assertEquals(1, pool.connections().total());
    }

    /** A pool refuses duplicates and emptiness. */
    @Test
    void poolRefusesDuplicatesAndEmptiness() {
        List<Backend> twice = List.of(backend(9001), backend(9001));
        assertThrows(IllegalArgumentException.class, () -> new BackendPool(twice));
        assertThrows(IllegalArgumentException.class, () -> new BackendPool(List.of()));
    }

    private static Backend backend(int port) {
        return new Backend(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    }
}
