package dev.loombalancer.server;

import dev.loombalancer.health.HealthProber;
import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.BackendPool;
import dev.loombalancer.pool.Weighting;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * What an observer of a running balancer may read, and, through the pool, the one thing it
 * may do: drain a backend or enable it again. The admin endpoint is given this, not the
 * balancer, so the balancer never learns who reads it, and the dependency runs one way.
 */
public interface BalancerView {

    /** The address clients connect to; with port 0 in the config, the port actually bound. */
    InetSocketAddress localAddress();

    /** The service's name: {@code default} for the command line's one service, else the file's. */
    String name();

    /** The strategy's command-line name: round-robin, least-connections, … */
    String strategy();

    /** The health checks, as the start-up line shows them. */
    String healthChecks();

    Instant startedAt();

    /** False once stopping (draining or closed): new clients are refused. */
    boolean isAccepting();

    /** The backends with their health, load and traffic; drains and enables them. */
    BackendPool pool();

    /**
     * Adds a backend while running (the admin API's operate level); false if it is one
     * already. Lasts until the configuration is next reloaded, which replaces it.
     */
    boolean addBackend(Backend backend, Weighting weighting);

    /**
     * Removes a backend while running: it drains, as a reload's removal does; false if it
     * is not one.
     *
     * @throws IllegalStateException if it is the last one: a service needs a backend
     */
    boolean removeBackend(Backend backend);

    /**
     * Clients turned away since start, by reason, in a fixed order: no_backend_available,
     * not_allowed, per_client_limit, queue_timeout, bad_proxy_header (the metric's labels and
     * the /status keys).
     */
    Map<String, Long> rejectedClients();

    /** Clients that found every --max-connections slot taken when they arrived. */
    long maxConnectionWaits();

    /** Connections cut to give their slot to a client from an address holding fewer (fair share). */
    long evictedConnections();

    /**
     * How long clients have been waiting for a connection slot without a break; zero
     * while nobody waits.
     */
    Duration saturatedFor();

    /**
     * Connection, pipe and probe threads that have not finished yet: zero when the
     * balancer is idle between health-check rounds, and once it is closed.
     */
    int liveThreads();

    /** The same threads by kind: connection, pipe and probe threads alive now. */
    Map<String, Integer> liveThreadsByKind();

    /** The health prober, unless health checks are off. */
    Optional<HealthProber> prober();
}
