package dev.loombalancer.policy;

import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.BackendPool;
import dev.loombalancer.pool.RiseFall;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.IntStream;

/** Pools of made-up backends for policy tests, which need no sockets. */
final class Pools {

    static final InetSocketAddress CLIENT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 50000);

    private Pools() {
    }

    /** Backends 127.0.0.1:9001, :9002, … */
    static List<Backend> backends(int count) {
        return IntStream.range(0, count)
                .mapToObj(i -> new Backend(new InetSocketAddress(InetAddress.getLoopbackAddress(), 9001 + i)))
                .toList();
    }

    /** A pool whose health is tracked with rise 2 and fall 3. */
    static BackendPool tracked(List<Backend> backends) {
        return new BackendPool(backends, new RiseFall(true, 2, 3));
    }

    static List<Integer> ports(Iterator<Backend> candidates) {
        List<Integer> ports = new ArrayList<>();
        candidates.forEachRemaining(b -> ports.add(b.address().getPort()));
        return ports;
    }

    /** Client {@code n}: a distinct IPv4 address per n, as if from many hosts. */
    static InetSocketAddress client(int n) {
        byte[] ip = {10, (byte) (n >>> 16), (byte) (n >>> 8), (byte) n};
        try {
            return new InetSocketAddress(InetAddress.getByAddress(ip), 40000);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
