package dev.loombalancer.server;

import dev.loombalancer.pool.Backend;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Everything a balancer needs to start, already parsed and checked.
 *
 * @param listen         the address to accept clients on (port 0: any free port)
 * @param backends       the backends, in rotation order (duplicates are refused by the pool)
 * @param connectTimeout how long one backend may take to accept before the next is tried
 * @param backlog        how many accepted-by-the-kernel connections may wait for us
 */
public record BalancerConfig(InetSocketAddress listen, List<Backend> backends, Duration connectTimeout, int backlog) {

    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);
    public static final int DEFAULT_BACKLOG = 1024;

    public BalancerConfig {
        Objects.requireNonNull(listen, "listen");
        backends = List.copyOf(backends);
        if (backends.isEmpty()) {
            throw new IllegalArgumentException("at least one backend is needed");
        }
        if (connectTimeout.isNegative() || connectTimeout.isZero() || connectTimeout.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("connect timeout must be between 1ms and 24d, not " + connectTimeout);
        }
        if (backlog < 1) {
            throw new IllegalArgumentException("backlog must be at least 1, not " + backlog);
        }
    }

    /** A configuration with the default timeout and backlog. */
    public static BalancerConfig of(InetSocketAddress listen, List<Backend> backends) {
        return new BalancerConfig(listen, backends, DEFAULT_CONNECT_TIMEOUT, DEFAULT_BACKLOG);
    }
}
