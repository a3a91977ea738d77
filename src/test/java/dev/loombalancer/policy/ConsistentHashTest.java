package dev.loombalancer.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.BackendPool;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Maglev consistent hashing: stable across instances, minimal movement, even spread. */
class ConsistentHashTest {

    private static final int CLIENTS = 20_000;

    private static List<Backend> map(ConsistentHash policy) {
        List<Backend> chosen = new ArrayList<>(CLIENTS);
        for (int i = 0; i < CLIENTS; i++) {
            chosen.add(policy.candidates(Pools.client(i)).next());
        }
        return chosen;
    }

    /** Two independent instances, given the backends in different orders, agree on every client. */
    @Test
    void independentInstancesAgree() {
        List<Backend> backends = new ArrayList<>(Pools.backends(10));
        ConsistentHash one = new ConsistentHash(new BackendPool(backends));
        Collections.shuffle(backends, new Random(42));
        ConsistentHash other = new ConsistentHash(new BackendPool(backends));
        assertEquals(map(one), map(other));
    }

    /** Removing one of 10 backends moves about a tenth of the clients, and only to the others. */
    @Test
    void removingOneOfTenMovesAboutATenth() {
        List<Backend> ten = Pools.backends(10);
        List<Backend> before = map(new ConsistentHash(new BackendPool(ten)));
        List<Backend> after = map(new ConsistentHash(new BackendPool(ten.subList(0, 9))));
        int moved = 0;
        for (int i = 0; i < CLIENTS; i++) {
            if (!before.get(i).equals(after.get(i))) {
                moved++;
            }
        }
        double fraction = (double) moved / CLIENTS;
        assertTrue(fraction > 0.08 && fraction < 0.13, "moved " + fraction);
    }

    /** Clients spread evenly: every backend gets within 10% of its fair share. */
    @Test
    void spreadsEvenly() {
        Map<Backend, Integer> counts = new HashMap<>();
        map(new ConsistentHash(new BackendPool(Pools.backends(10)))).forEach(b -> counts.merge(b, 1, Integer::sum));
        assertEquals(10, counts.size());
        counts.values().forEach(n -> assertEquals(CLIENTS / 10.0, n, CLIENTS / 100.0));
    }

    /** A DOWN backend's clients move to the others; nobody else moves; they return when it does. */
    @Test
    void downBackendMovesOnlyItsOwnClients() {
        BackendPool pool = Pools.tracked(Pools.backends(10));
        ConsistentHash policy = new ConsistentHash(pool);
        List<Backend> before = map(policy);
        Backend victim = pool.backends().get(3);
        pool.failed(victim, "refused");
        List<Backend> during = map(policy);
        for (int i = 0; i < CLIENTS; i++) {
            if (before.get(i).equals(victim)) {
                assertNotEquals(victim, during.get(i));
            } else {
                assertEquals(before.get(i), during.get(i));
            }
        }
        pool.succeeded(victim, "ok");
        pool.succeeded(victim, "ok");
        assertEquals(before, map(policy));
    }

    /** Even with nearly every backend DOWN, a client lands on an UP one, deterministically. */
    @Test
    void findsTheFewUpBackends() {
        BackendPool pool = Pools.tracked(Pools.backends(1000));
        pool.backends().stream().skip(3).forEach(b -> pool.failed(b, "refused"));
        ConsistentHash policy = new ConsistentHash(pool);
        for (int i = 0; i < 1000; i++) {
            Backend chosen = policy.candidates(Pools.client(i)).next();
            assertTrue(pool.isUp(chosen));
            assertEquals(chosen, policy.candidates(Pools.client(i)).next());
        }
    }

    /** With nothing UP, the client's drained backend is not tried; the others are. */
    @Test
    void aDrainedBackendLeavesTheFallbackToo() {
        BackendPool pool = Pools.tracked(Pools.backends(5));
        ConsistentHash policy = new ConsistentHash(pool);
        Backend home = policy.candidates(Pools.client(9)).next();
        pool.setDraining(home, true);
        for (Backend backend : pool.backends()) {
            pool.failed(backend, "refused");
        }
        List<Integer> tried = Pools.ports(policy.candidates(Pools.client(9)));
        assertEquals(4, tried.size(), "the four not drained: " + tried);
        assertFalse(tried.contains(home.address().getPort()), "drained " + home + " not tried: " + tried);
    }
}
