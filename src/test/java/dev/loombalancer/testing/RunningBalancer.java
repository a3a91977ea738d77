package dev.loombalancer.testing;

import dev.loombalancer.pool.Backend;
import dev.loombalancer.server.Balancer;
import dev.loombalancer.server.BalancerConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/** Starts a balancer on 127.0.0.1 and an ephemeral port in front of the given backends. */
public final class RunningBalancer {

    private RunningBalancer() {
    }

    public static Balancer start(Duration connectTimeout, InetSocketAddress... backends) throws IOException {
        List<Backend> pool = Arrays.stream(backends).map(Backend::new).toList();
        InetSocketAddress listen = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        return Balancer.start(new BalancerConfig(listen, pool, connectTimeout, BalancerConfig.DEFAULT_BACKLOG));
    }

    public static Balancer start(InetSocketAddress... backends) throws IOException {
        return start(BalancerConfig.DEFAULT_CONNECT_TIMEOUT, backends);
    }
}
