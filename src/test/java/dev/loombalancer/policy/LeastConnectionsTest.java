package dev.loombalancer.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.BackendPool;
import dev.loombalancer.pool.ConnectionCounter.Lease;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Least-connections: fewest active first, equal backends in turn, DOWN ones never. */
class LeastConnectionsTest {

    private static Backend first(LeastConnections policy) {
        return policy.candidates(Pools.CLIENT).next();
    }

    /** A backend holding connections is passed over for the idle ones. */
    @Test
    void choosesTheBackendWithFewestConnections() {
        BackendPool pool = new BackendPool(Pools.backends(3));
        LeastConnections policy = new LeastConnections(pool);
        Backend b1 = pool.backends().get(0);
        Backend b2 = pool.backends().get(1);
        Backend b3 = pool.backends().get(2);
        for (int i = 0; i < 5; i++) {
            pool.connections().open(b1);
        }
        pool.connections().open(b3);
        assertEquals(b2, first(policy));
        pool.connections().open(b2);
        pool.connections().open(b2);
        assertEquals(b3, first(policy));
    }

    /** Equal backends take turns, even before the chosen one's connection is counted. */
    @Test
    void equalBackendsTakeTurns() {
        BackendPool pool = new BackendPool(Pools.backends(4));
        LeastConnections policy = new LeastConnections(pool);
        List<Integer> chosen = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            chosen.add(first(policy).address().getPort());
        }
        assertEquals(List.of(9001, 9002, 9003, 9004, 9001, 9002, 9003, 9004), chosen);
    }

    /** Counted connections keep the load even: 1,000 clients over 4 backends, 250 each. */
    @Test
    void connectionsSpreadEvenly() {
        BackendPool pool = new BackendPool(Pools.backends(4));
        LeastConnections policy = new LeastConnections(pool);
        Map<Backend, Integer> counts = new HashMap<>();
        List<Lease> leases = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            Backend backend = first(policy);
            counts.merge(backend, 1, Integer::sum);
            leases.add(pool.connections().open(backend));
            if (i % 3 == 0) {
                leases.remove(0).close(); // connections end in arrival order
            }
        }
        counts.values().forEach(n -> assertEquals(250, n, 1.0));
    }

    /** DOWN backends are never chosen while another is UP; with none UP, all are offered. */
    @Test
    void skipsDownBackends() {
        BackendPool pool = Pools.tracked(Pools.backends(3));
        LeastConnections policy = new LeastConnections(pool);
        Backend b1 = pool.backends().get(0);
        pool.failed(b1, "refused");
        for (int i = 0; i < 6; i++) {
            List<Integer> ports = Pools.ports(policy.candidates(Pools.CLIENT));
            assertEquals(2, ports.size());
            assertFalse(ports.contains(9001));
        }
        pool.failed(pool.backends().get(1), "refused");
        pool.failed(pool.backends().get(2), "refused");
        assertEquals(3, Pools.ports(policy.candidates(Pools.CLIENT)).size());
        pool.succeeded(b1, "ok");
        pool.succeeded(b1, "ok");
        assertEquals(b1, first(policy));
    }
}
