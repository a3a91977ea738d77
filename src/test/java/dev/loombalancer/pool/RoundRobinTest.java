package dev.loombalancer.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Rotation order and the failover order behind it. */
class RoundRobinTest {

    private static final InetSocketAddress CLIENT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 50000);

    private static List<Backend> backends(int count) {
        return IntStream.range(0, count)
                .mapToObj(i -> new Backend(new InetSocketAddress(InetAddress.getLoopbackAddress(), 9001 + i)))
                .toList();
    }

    private static List<Integer> ports(Iterator<Backend> candidates) {
        List<Integer> ports = new ArrayList<>();
        candidates.forEachRemaining(b -> ports.add(b.address().getPort()));
        return ports;
    }

    /** Each connection starts one further along and may fail over once around the list. */
    @Test
    void rotatesAndWrapsAround() {
        RoundRobin policy = new RoundRobin(backends(3));
        assertEquals(List.of(9001, 9002, 9003), ports(policy.candidates(CLIENT)));
        assertEquals(List.of(9002, 9003, 9001), ports(policy.candidates(CLIENT)));
        assertEquals(List.of(9003, 9001, 9002), ports(policy.candidates(CLIENT)));
        assertEquals(List.of(9001, 9002, 9003), ports(policy.candidates(CLIENT)));
    }

    /** The candidates end after every backend was offered once. */
    @Test
    void candidatesEndAfterOneRound() {
        Iterator<Backend> candidates = new RoundRobin(backends(1)).candidates(CLIENT);
        candidates.next();
        assertThrows(java.util.NoSuchElementException.class, candidates::next);
    }

    /** A lease decrements exactly once, however often it is closed. */
    @Test
    void leaseGivesBackExactlyOnce() {
        BackendPool pool = new BackendPool(backends(2));
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
        List<Backend> twice = List.of(backends(1).get(0), backends(1).get(0));
        assertThrows(IllegalArgumentException.class, () -> new BackendPool(twice));
        assertThrows(IllegalArgumentException.class, () -> new BackendPool(List.of()));
    }
}
