package dev.loombalancer.server;

import dev.loombalancer.logging.DurationText;
import dev.loombalancer.net.ProxyHeader;
import dev.loombalancer.admission.AdmissionRules;
import dev.loombalancer.health.ProbeConfig;
import dev.loombalancer.policy.StickyTable;
import dev.loombalancer.policy.Strategy;
import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.SendProxy;
import dev.loombalancer.pool.Weighting;
import dev.loombalancer.proxy.WhenUnavailable;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a balancer needs to start, already parsed and checked.
 *
 * @param listen          the address to accept clients on (port 0: any free port)
 * @param backends        the backends, in rotation order (duplicates are refused by the pool)
 * @param connectTimeout  how long one backend may take to accept before the next is tried
 * @param retries         how many more backends a client may try after the first one fails
 * @param backlog         how many accepted-by-the-kernel connections may wait for us
 * @param strategy        how a backend is chosen for each client
 * @param health          how backends are health-checked (or not)
 * @param sticky          the sticky-session table's TTL and size, for {@link Strategy#STICKY}
 * @param idleTimeout     close connections that moved no byte for this long; null: never
 * @param whenUnavailable what a client gets when no backend answers
 * @param maxConnections  client connections at most at once (beyond, new clients wait for a slot); 0: no limit
 * @param queueTimeout    how long a client may wait for a connection slot before it is closed
 * @param drainTimeout    how long a graceful stop lets open connections finish
 * @param admission       which clients are proxied, and how many connections each may hold
 * @param weighting       weights and backups of the backends that have them (the configuration file's)
 * @param names           backends given by DNS name, looked up again while running; null when none are
 * @param slowStart       how long a backend that comes back UP ramps up to its full weight; null: at once
 * @param sendProxy       the PROXY protocol header backend connections start with, the service's or a backend's own
 * @param serverTimeout   close a connection whose backend has not answered the client's bytes for this long,
 *                        and count it against the backend; null: never
 * @param shutdownSessionsOnDown close a backend's open connections when it goes DOWN (HAProxy's
 *                        {@code on-marked-down shutdown-sessions})
 * @param tcpKeepAlive    SO_KEEPALIVE on both sockets of every connection
 * @param reusePort       bind the listener with SO_REUSEPORT, so a new process can bind it beside the old
 * @param preread         what is read from a client before it is proxied: an upstream's PROXY header
 * @param routes          SNI routes: TLS clients asking for their names go to their pools, the rest to this one
 * @param name            the service's name in a configuration file (its log lines and admin
 *                        entries say it); {@value #DEFAULT_NAME} for the command line's one service
 */
public record BalancerConfig(InetSocketAddress listen, List<Backend> backends, Duration connectTimeout, int retries,
                             int backlog, Strategy strategy, ProbeConfig health, StickyTable.Limits sticky,
                             Duration idleTimeout, WhenUnavailable whenUnavailable, int maxConnections,
                             Duration queueTimeout, Duration drainTimeout, AdmissionRules admission,
                             Map<Backend, Weighting> weighting, BackendNames names, Duration slowStart,
                             SendProxy sendProxy, Duration serverTimeout, boolean shutdownSessionsOnDown,
                             boolean tcpKeepAlive, boolean reusePort, PrereadRules preread, List<SniRoute> routes,
                             String name) {

    public static final String DEFAULT_NAME = "default";
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);
    public static final int DEFAULT_RETRIES = 3; // HAProxy's default
    public static final int DEFAULT_BACKLOG = 1024;
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);
    /** nginx stream's {@code proxy_timeout}; the README says why this one. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(10);
    /** nginx's upstream {@code queue} timeout. */
    public static final Duration DEFAULT_QUEUE_TIMEOUT = Duration.ofSeconds(60);

    public BalancerConfig {
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(strategy, "strategy");
        Objects.requireNonNull(health, "health");
        Objects.requireNonNull(sticky, "sticky");
        Objects.requireNonNull(whenUnavailable, "whenUnavailable");
        Objects.requireNonNull(admission, "admission");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(preread, "preread");
        Objects.requireNonNull(sendProxy, "sendProxy");
        for (Backend backend : sendProxy.backends().keySet()) {
            if (!backends.contains(backend)) {
                throw new IllegalArgumentException("a send-proxy for " + backend + ", which is not a backend");
            }
        }
        routes = List.copyOf(routes);
        SniTable<String> serverNames = new SniTable<>(); // refuses a name given to two routes
        for (SniRoute route : routes) {
            serverNames.add(route.serverNames(), route.pool().name(), route.pool().name());
        }
        weighting = Map.copyOf(weighting);
        if (serverTimeout != null && (serverTimeout.isNegative() || serverTimeout.isZero())) {
            serverTimeout = null; // zero means off, as on the command line
        }
        if (slowStart != null && (slowStart.isNegative() || slowStart.isZero())) {
            slowStart = null; // zero means off, as on the command line
        }
        for (Backend backend : weighting.keySet()) {
            if (!backends.contains(backend)) {
                throw new IllegalArgumentException("a weight for " + backend + ", which is not a backend");
            }
        }
        backends = List.copyOf(backends);
        if (backends.isEmpty()) {
            throw new IllegalArgumentException("at least one backend is needed");
        }
        if (connectTimeout.isNegative() || connectTimeout.isZero() || connectTimeout.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("connect timeout must be between 1ms and 24d, not " + DurationText.of(connectTimeout));
        }
        if (retries < 0) {
            throw new IllegalArgumentException("--retries must be 0 or more, not " + retries);
        }
        if (backlog < 1) {
            throw new IllegalArgumentException("backlog must be at least 1, not " + backlog);
        }
        if (maxConnections < 0) {
            throw new IllegalArgumentException("--max-connections must be 0 (as many as the open-file limit holds) or more, not " + maxConnections);
        }
        if (queueTimeout.isNegative() || queueTimeout.isZero()) {
            throw new IllegalArgumentException("queue timeout must be positive, not " + DurationText.of(queueTimeout)
                    + " (a client that may not wait would be closed at once)");
        }
        if (drainTimeout.isNegative()) {
            throw new IllegalArgumentException("drain timeout must not be negative, not " + DurationText.of(drainTimeout));
        }
        if (idleTimeout != null && (idleTimeout.isNegative() || idleTimeout.isZero())) {
            idleTimeout = null; // zero means off, as on the command line
        }
    }

    /** What this service's log lines start with: "service web: ", or "" for the command line's one service. */
    public String logPrefix() {
        return name.equals(DEFAULT_NAME) ? "" : "service " + name + ": ";
    }

    /** The same configuration as the configuration file's service {@code newName}, with its backends' weighting. */
    public BalancerConfig asService(String newName, Map<Backend, Weighting> newWeighting) {
        return with(backends, merged(newWeighting), names, newName).withRoutes(routesOf(newName));
    }

    /** The routes, named after service {@code service} as the command line names them ({@link #routeName}). */
    private List<SniRoute> routesOf(String service) {
        List<SniRoute> renamed = new ArrayList<>();
        for (SniRoute route : routes) {
            renamed.add(new SniRoute(route.serverNames(), route.pool().asRoute(routeName(service, renamed.size() + 1))));
        }
        return renamed;
    }

    /** A route's name when it is given none: "tls-route2" for service tls's second route. */
    public static String routeName(String service, int position) {
        return service + "-route" + position;
    }

    /** This configuration's weighting with {@code more} over it (SRV answers' weights, then the file's). */
    private Map<Backend, Weighting> merged(Map<Backend, Weighting> more) {
        Map<Backend, Weighting> all = new HashMap<>(weighting);
        all.putAll(more);
        return all;
    }

    /** The same configuration with other backends: what a reload can change in place. */
    public BalancerConfig withBackends(List<Backend> newBackends, Map<Backend, Weighting> newWeighting) {
        return with(newBackends, newWeighting, names, name);
    }

    /** The same configuration with other names to look up. */
    public BalancerConfig withNames(BackendNames newNames) {
        return with(backends, weighting, newNames, name);
    }

    /** The same configuration with these SNI routes. */
    public BalancerConfig withRoutes(List<SniRoute> newRoutes) {
        return copy(backends, weighting, names, sendProxy, reusePort, preread, newRoutes, name);
    }

    /** The same configuration with backends' own PROXY headers (a file's backend maps). */
    public BalancerConfig withSendProxy(SendProxy newSendProxy) {
        return copy(backends, weighting, names, newSendProxy, reusePort, preread, routes, name);
    }

    /**
     * This configuration as the pool of an SNI route named {@code routeName}: it reads nothing
     * first (the service that listens did) and has no routes of its own.
     */
    public BalancerConfig asRoute(String routeName) {
        return copy(backends, weighting, names, sendProxy, false, PrereadRules.NONE, List.of(), routeName);
    }

    /** The one copy the three above share: everything but these four stays as it is. */
    private BalancerConfig with(List<Backend> newBackends, Map<Backend, Weighting> newWeighting,
                                BackendNames newNames, String newName) {
        return copy(newBackends, newWeighting, newNames, sendProxy.onlyFor(newBackends), reusePort, preread, routes,
                newName);
    }

    /** The copy every with… method makes: the fields they change, the rest as it is. */
    private BalancerConfig copy(List<Backend> newBackends, Map<Backend, Weighting> newWeighting, BackendNames newNames,
                                SendProxy newSendProxy, boolean newReusePort, PrereadRules newPreread,
                                List<SniRoute> newRoutes, String newName) {
        return new BalancerConfig(listen, newBackends, connectTimeout, retries, backlog, strategy, health, sticky,
                idleTimeout, whenUnavailable, maxConnections, queueTimeout, drainTimeout, admission, newWeighting,
                newNames, slowStart, newSendProxy, serverTimeout, shutdownSessionsOnDown, tcpKeepAlive, newReusePort,
                newPreread, newRoutes, newName);
    }

    /** A configuration with every default: round-robin, health checks every 2s, idle timeout 10 minutes. */
    public static BalancerConfig of(InetSocketAddress listen, List<Backend> backends) {
        return builder(listen, backends).build();
    }

    /** Starts from the defaults; set what differs, then {@link Builder#build()}. */
    public static Builder builder(InetSocketAddress listen, List<Backend> backends) {
        return new Builder(listen, backends);
    }

    /** The defaults plus whatever is set: for the command line, tests and embedders. */
    public static final class Builder {
        private final InetSocketAddress listen;
        private final List<Backend> backends;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private int retries = DEFAULT_RETRIES;
        private int backlog = DEFAULT_BACKLOG;
        private Strategy strategy = Strategy.ROUND_ROBIN;
        private ProbeConfig health = ProbeConfig.DEFAULT;
        private StickyTable.Limits sticky = StickyTable.Limits.DEFAULT;
        private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
        private WhenUnavailable whenUnavailable = WhenUnavailable.CLOSE;
        private int maxConnections;
        private Duration queueTimeout = DEFAULT_QUEUE_TIMEOUT;
        private boolean reusePort;
        private Duration slowStart;
        private Map<Backend, Weighting> weighting = Map.of();
        private BackendNames names;
        private boolean shutdownSessionsOnDown;
        private Duration serverTimeout;
        private SendProxy sendProxy = SendProxy.NONE;
        private boolean tcpKeepAlive = true;
        private Duration drainTimeout = DEFAULT_DRAIN_TIMEOUT;
        private AdmissionRules admission = AdmissionRules.OPEN;
        private PrereadRules preread = PrereadRules.NONE;
        private List<SniRoute> routes = List.of();

        private Builder(InetSocketAddress listen, List<Backend> backends) {
            this.listen = listen;
            this.backends = backends;
        }

        public Builder connectTimeout(Duration value) {
            connectTimeout = value;
            return this;
        }

        public Builder retries(int value) {
            retries = value;
            return this;
        }

        public Builder strategy(Strategy value) {
            strategy = value;
            return this;
        }

        public Builder health(ProbeConfig value) {
            health = value;
            return this;
        }

        public Builder sticky(StickyTable.Limits value) {
            sticky = value;
            return this;
        }

        public Builder idleTimeout(Duration value) {
            idleTimeout = value;
            return this;
        }

        public Builder whenUnavailable(WhenUnavailable value) {
            whenUnavailable = value;
            return this;
        }

        public Builder maxConnections(int value) {
            maxConnections = value;
            return this;
        }

        public Builder weighting(Map<Backend, Weighting> value) {
            weighting = value;
            return this;
        }

        public Builder tcpKeepAlive(boolean value) {
            tcpKeepAlive = value;
            return this;
        }

        public Builder sendProxy(ProxyHeader.Version value) {
            sendProxy = new SendProxy(value, Map.of());
            return this;
        }

        public Builder serverTimeout(Duration value) {
            serverTimeout = value;
            return this;
        }

        public Builder shutdownSessionsOnDown(boolean value) {
            shutdownSessionsOnDown = value;
            return this;
        }

        public Builder names(BackendNames value) {
            names = value;
            return this;
        }

        public Builder slowStart(Duration value) {
            slowStart = value;
            return this;
        }

        public Builder reusePort(boolean value) {
            reusePort = value;
            return this;
        }

        public Builder queueTimeout(Duration value) {
            queueTimeout = value;
            return this;
        }

        public Builder drainTimeout(Duration value) {
            drainTimeout = value;
            return this;
        }

        public Builder backlog(int value) {
            backlog = value;
            return this;
        }

        public Builder routes(List<SniRoute> value) {
            routes = value;
            return this;
        }

        public Builder preread(PrereadRules value) {
            preread = value;
            return this;
        }

        public Builder admission(AdmissionRules value) {
            admission = value;
            return this;
        }

        public BalancerConfig build() {
            return new BalancerConfig(listen, backends, connectTimeout, retries, backlog, strategy, health, sticky,
                    idleTimeout, whenUnavailable, maxConnections, queueTimeout, drainTimeout, admission, weighting,
                    names, slowStart, sendProxy, serverTimeout, shutdownSessionsOnDown, tcpKeepAlive, reusePort, preread,
                    routes, DEFAULT_NAME);
        }
    }
}
