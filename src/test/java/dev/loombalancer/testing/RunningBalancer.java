package dev.loombalancer.testing;

import dev.loombalancer.health.ProbeConfig;
import dev.loombalancer.pool.Backend;
import dev.loombalancer.server.Balancer;
import dev.loombalancer.server.BalancerConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.function.UnaryOperator;

/** Starts a balancer on 127.0.0.1 and an ephemeral port in front of the given backends. */
public final class RunningBalancer {

    private RunningBalancer() {
    }

    /** A balancer configured by {@code settings}, applied to the defaults. */
    public static Balancer start(UnaryOperator<BalancerConfig.Builder> settings, InetSocketAddress... backends)
            throws IOException {
        BalancerConfig.Builder defaults = BalancerConfig.builder(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                Arrays.stream(backends).map(Backend::new).toList());
        return Balancer.start(settings.apply(defaults).build());
    }

    /**
     * A balancer without health checks: for tests of the data path, whose backends must see
     * only client connections, never probes.
     */
    public static Balancer start(Duration connectTimeout, InetSocketAddress... backends) throws IOException {
        return start(c -> c.connectTimeout(connectTimeout).health(ProbeConfig.OFF), backends);
    }

    public static Balancer start(InetSocketAddress... backends) throws IOException {
        return start(BalancerConfig.DEFAULT_CONNECT_TIMEOUT, backends);
    }
}
