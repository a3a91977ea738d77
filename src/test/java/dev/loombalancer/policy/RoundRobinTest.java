package dev.loombalancer.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.BackendPool;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;

/** Rotation order, and the failover order behind it. */
class RoundRobinTest {

    /** Each connection starts one further along and may fail over once around the list. */
    @Test
    void rotatesAndWrapsAround() {
        RoundRobin policy = new RoundRobin(new BackendPool(Pools.backends(3)));
        assertEquals(List.of(9001, 9002, 9003), Pools.ports(policy.candidates(Pools.CLIENT)));
        assertEquals(List.of(9002, 9003, 9001), Pools.ports(policy.candidates(Pools.CLIENT)));
        assertEquals(List.of(9003, 9001, 9002), Pools.ports(policy.candidates(Pools.CLIENT)));
        assertEquals(List.of(9001, 9002, 9003), Pools.ports(policy.candidates(Pools.CLIENT)));
    }

    /** The candidates end after every backend was offered once. */
    @Test
    void candidatesEndAfterOneRound() {
        Iterator<Backend> candidates = new RoundRobin(new BackendPool(Pools.backends(1))).candidates(Pools.CLIENT);
        candidates.next();
        assertThrows(NoSuchElementException.class, candidates::next);
    }

    /** DOWN backends leave the rotation; with none UP, every backend is offered again. */
    @Test
    void rotatesOverUpBackendsOnly() {
        BackendPool pool = Pools.tracked(Pools.backends(3));
        RoundRobin policy = new RoundRobin(pool);
        pool.failed(pool.backends().get(1), "connection refused"); // first check: DOWN at once
        assertEquals(List.of(9001, 9003), Pools.ports(policy.candidates(Pools.CLIENT)));
        assertEquals(List.of(9003, 9001), Pools.ports(policy.candidates(Pools.CLIENT)));
        pool.failed(pool.backends().get(0), "connection refused");
        pool.failed(pool.backends().get(2), "connection refused");
        assertEquals(3, Pools.ports(policy.candidates(Pools.CLIENT)).size());
    }
}
