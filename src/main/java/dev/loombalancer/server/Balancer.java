package dev.loombalancer.server;

import dev.loombalancer.logging.DurationText;
import dev.loombalancer.admission.ClientAdmission;
import dev.loombalancer.concurrent.ConnectionThreads;
import dev.loombalancer.concurrent.CountingThreadFactory;
import dev.loombalancer.concurrent.Uninterruptibly;
import dev.loombalancer.health.HealthProber;
import dev.loombalancer.net.Closer;
import dev.loombalancer.net.HostPort;
import dev.loombalancer.net.Listeners;
import dev.loombalancer.net.OpenFileLimit;
import dev.loombalancer.policy.SelectionPolicy;
import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.Weighting;
import dev.loombalancer.pool.BackendPool;
import dev.loombalancer.pool.ConnectionCounter;
import dev.loombalancer.pool.PoolListener;
import dev.loombalancer.pool.RiseFall;
import dev.loombalancer.proxy.BackendConnector;
import dev.loombalancer.proxy.ProxiedConnection;
import dev.loombalancer.proxy.ProxyContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.tinylog.Logger;

/**
 * A running load balancer's lifecycle: {@link #open} binds the listening socket,
 * {@link #start} starts the accept loop and the health prober, {@link #drain} and
 * {@link #close} stop it. What runs in between is the accept loop ({@link AcceptLoop}),
 * one {@link ProxiedConnection} per client, tracked by {@link LiveConnections}, and the
 * {@link HealthProber}.
 */
public final class Balancer implements BalancerView, AutoCloseable {

    private final ServerSocket listener; // null for an SNI route: its service listens for it
    private final Balancer service; // the service an SNI route belongs to; null for a service
    private final List<String> routedNames; // the server names an SNI route takes; empty for a service
    private final List<Balancer> routes = new ArrayList<>();
    private final SniTable<Balancer> serverNames = new SniTable<>();
    private final BalancerConfig config;
    private final Instant startedAt = Instant.now();
    /**
     * The backends and how they are chosen, connected to and probed: replaced as a whole
     * when a reload changes the backends. A connection keeps the routing it began with.
     */
    private record Routing(BackendPool pool, SelectionPolicy policy, ProxyContext context, HealthProber prober) {
    }

    private volatile Routing routing;
    private final ReentrantLock reconfiguring = new ReentrantLock();
    private long retiredUnserved; // no_backend_available counted by routings a reload replaced
    // Backends given by name: what the resolver looks up again every interval.
    private volatile BackendNames names;
    private volatile Map<Backend, Weighting> fixedWeighting;
    private final NameResolver resolver;
    private final Thread resolverThread; // null when no backend is given by name
    private String lastUnresolvable; // the resolver thread's own
    // Pipe threads are counted so that leaks show; connection threads are counted by `live`.
    private final CountingThreadFactory pipeThreads = new CountingThreadFactory("loom-pipe");
    private final ConnectionLimit limit;
    private final ClientAdmission admission;
    private final LiveConnections live;
    private final IdleReaper idleReaper; // null without an idle timeout
    private final Thread idleReaperThread;
    private final Thread acceptThread;
    private final AtomicBoolean accepting = new AtomicBoolean(true);
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closing = new AtomicBoolean();
    private volatile int openWhenDrainStarted = -1;
    private final CountDownLatch stopped = new CountDownLatch(1);

    private Balancer(ServerSocket listener, BalancerConfig config, Balancer service, List<String> routedNames) {
        this.listener = listener;
        this.service = service;
        this.routedNames = routedNames;
        this.config = config;
        BackendPool pool = new BackendPool(config.backends(),
                new RiseFall(config.health().enabled(), config.health().rise(), config.health().fall()),
                config.weighting(), config.slowStart(), config.logPrefix());
        this.routing = routing(pool, config.strategy().create(pool, config.sticky()));
        this.names = config.names();
        this.fixedWeighting = config.weighting();
        this.resolver = new NameResolver(config.logPrefix());
        // A platform thread: a lookup waits in JNDI's DNS client, in Selector.select, which runs
        // inside synchronized (SelectorImpl) and so would pin a virtual thread on JDK 21-23.
        this.resolverThread = names == null || !names.any() ? null
                : Thread.ofPlatform().daemon().name("loom-resolver").unstarted(this::resolveNames);
        this.limit = ConnectionLimit.forFiles(config.maxConnections(), OpenFileLimit.current(),
                config.health().enabled() ? Math.min(pool.size(), HealthProber.MAX_IN_FLIGHT) : 0, config.backlog());
        this.admission = new ClientAdmission(config.admission());
        this.live = new LiveConnections(admission, limit, config.queueTimeout(), config.preread(),
                !config.routes().isEmpty());
        this.idleReaper = config.idleTimeout() == null && config.serverTimeout() == null ? null
                : new IdleReaper(live, config.idleTimeout(), config.serverTimeout());
        this.idleReaperThread = idleReaper == null ? null : Thread.ofVirtual().name("loom-idle-reaper").unstarted(idleReaper);
        this.acceptThread = listener == null ? null
                : Thread.ofVirtual().name("loom-accept").unstarted(new AcceptLoop(listener, limit, this::dispatch));
        for (SniRoute route : config.routes()) {
            Balancer routed = new Balancer(null, route.pool(), this, route.serverNames());
            serverNames.add(route.serverNames(), routed, route.pool().name());
            routes.add(routed);
        }
    }

    /**
     * Binds the listening socket, without accepting yet: clients queue in the backlog until
     * {@link #start()}, so whatever else must be bound first (the admin endpoint) can fail
     * before any client is taken in.
     *
     * @throws IOException if the address cannot be bound (in use, not permitted, not local)
     */
    public static Balancer open(BalancerConfig config) throws IOException {
        ServerSocket listener = Listeners.bind(config.listen(), config.backlog(), config.reusePort());
        try {
            return new Balancer(listener, config, null, List.of());
        } catch (RuntimeException e) {
            listener.close();
            throw e;
        }
    }

    private Routing routing(BackendPool pool, SelectionPolicy policy) {
        if (config.shutdownSessionsOnDown()) {
            pool.addListener(new PoolListener() {
                @Override
                public void stateChanged(Backend backend) {
                    shutDownSessionsIfDown(pool, backend);
                }
            });
        }
        ProxyContext context = new ProxyContext(new BackendConnector(pool, config.connectTimeout(), config.retries(),
                config.whenUnavailable().action(), config.tcpKeepAlive()), policy, pipeThreads, config.whenUnavailable(),
                config.name().equals(BalancerConfig.DEFAULT_NAME) ? null : config.name(), config.sendProxy(),
                config.tcpKeepAlive());
        return new Routing(pool, policy, context,
                config.health().enabled() ? new HealthProber(pool, config.health(), config.sendProxy()) : null);
    }

    /**
     * Changes the backends while running, for a configuration reload: backends kept keep
     * their health, counters, sticky clients and open connections (see
     * {@link BackendPool#successor}); new ones join at once; removed ones get no new
     * clients, and their open connections may finish for up to {@code --drain-timeout}
     * before they are cut.
     */
    public void updateBackends(List<Backend> backends, Map<Backend, Weighting> weighting) {
        reconfiguring.lock();
        try {
            if (closing.get()) {
                return;
            }
            Routing old = routing;
            BackendPool next = old.pool().successor(backends, weighting);
            Routing fresh = routing(next, config.strategy().create(next, config.sticky(), old.policy()));
            if (old.prober() != null) {
                old.prober().close();
                fresh.prober().observe(old.prober().observer());
            }
            routing = fresh;
            if (fresh.prober() != null && started.get()) {
                fresh.prober().start();
            }
            retiredUnserved += old.context().connector().unserved();
            Set<Backend> removed = new HashSet<>(old.pool().backends());
            removed.removeAll(backends);
            int added = (int) backends.stream().filter(b -> !old.pool().contains(b)).count();
            Logger.info("{}backends changed: {} added, {} removed, {} kept{}", config.logPrefix(), added, removed.size(),
                    backends.size() - added, removed.isEmpty() ? ""
                            : "; the removed ones' connections may finish for up to " + DurationText.of(config.drainTimeout()));
            if (!removed.isEmpty()) {
                Thread.ofVirtual().name("loom-removed-drain").start(() -> cutAfterDrain(removed));
            }
        } finally {
            reconfiguring.unlock();
        }
    }

    @Override
    public boolean addBackend(Backend backend, Weighting weighting) {
        reconfiguring.lock();
        try {
            BackendPool pool = routing.pool();
            if (pool.contains(backend)) {
                return false;
            }
            List<Backend> backends = new ArrayList<>(pool.backends());
            backends.add(backend);
            Map<Backend, Weighting> weights = new HashMap<>(pool.weighting());
            if (!weighting.equals(Weighting.DEFAULT)) {
                weights.put(backend, weighting);
            }
            updateBackends(backends, weights);
            return true;
        } finally {
            reconfiguring.unlock();
        }
    }

    @Override
    public boolean removeBackend(Backend backend) {
        reconfiguring.lock();
        try {
            BackendPool pool = routing.pool();
            if (!pool.contains(backend)) {
                return false;
            }
            if (pool.size() == 1) {
                throw new IllegalStateException("it is the service's only backend; add another first");
            }
            List<Backend> backends = new ArrayList<>(pool.backends());
            backends.remove(backend);
            Map<Backend, Weighting> weights = new HashMap<>(pool.weighting());
            weights.remove(backend);
            updateBackends(backends, weights);
            return true;
        } finally {
            reconfiguring.unlock();
        }
    }

    /**
     * Applies a reloaded configuration's backends: its names are the ones looked up from
     * now on, and its backends (as looked up when the file was read) replace the current ones.
     */
    public void reconfigure(BalancerConfig next) {
        names = next.names();
        fixedWeighting = next.weighting();
        BackendPool pool = routing.pool();
        if (!pool.backends().equals(next.backends()) || !pool.weighting().equals(next.weighting())) {
            updateBackends(next.backends(), next.weighting());
        }
        for (Balancer route : routes) { // routes are matched by name; adding or removing one needs a restart
            next.routes().stream().filter(r -> r.pool().name().equals(route.name())).findFirst()
                    .ifPresent(r -> route.reconfigure(r.pool()));
        }
    }

    /** Every interval, looks the names up again and applies what changed; until the balancer stops. */
    private void resolveNames() {
        try {
            while (!stopped.await(names.interval().toNanos(), TimeUnit.NANOSECONDS)) {
                BackendNames now = names;
                if (now == null || !now.any()) {
                    continue;
                }
                NameResolver.Resolved resolved;
                try {
                    resolved = resolver.resolve(now, fixedWeighting);
                } catch (NameResolver.Unresolvable e) {
                    // A name with no answer yet (one a reload added): the backends stay as they are.
                    if (!e.getMessage().equals(lastUnresolvable)) {
                        Logger.warn("{}{}; the backends stay as they are", config.logPrefix(), e.getMessage());
                        lastUnresolvable = e.getMessage();
                    }
                    continue;
                }
                lastUnresolvable = null;
                BackendPool pool = routing.pool();
                if (!pool.backends().equals(resolved.backends()) || !pool.weighting().equals(resolved.weighting())) {
                    updateBackends(resolved.backends(), resolved.weighting());
                }
            }
        } catch (InterruptedException e) {
            // stopping
        }
    }

    /**
     * {@code --on-marked-down shutdown-sessions}: a backend that went DOWN has its open
     * connections closed, so their clients reconnect, to a healthy backend (a database
     * failover: the old primary must not keep them).
     */
    private void shutDownSessionsIfDown(BackendPool pool, Backend backend) {
        if (!pool.isUp(backend)) {
            int cut = live.cutWhere(connection -> backend.equals(connection.backend()), "backend DOWN");
            if (cut > 0) {
                Logger.info("{}backend {} DOWN: closed its {} open connection{} (--on-marked-down shutdown-sessions)",
                        config.logPrefix(), backend, cut, cut == 1 ? "" : "s");
            }
        }
    }

    /** Waits out the drain timeout (or the balancer's stop), then cuts what still goes to a removed backend. */
    private void cutAfterDrain(Set<Backend> removed) {
        boolean stopping;
        try {
            stopping = stopped.await(config.drainTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            return;
        }
        if (!stopping) {
            int cut = live.cutWhere(connection -> removed.contains(connection.backend()), "backend removed");
            if (cut > 0) {
                Logger.info("{}cut {} connection{} to removed backends after {}", config.logPrefix(), cut,
                        cut == 1 ? "" : "s", DurationText.of(config.drainTimeout()));
            }
        }
    }

    /** Binds and starts accepting: {@link #open} then {@link #start()}. */
    public static Balancer start(BalancerConfig config) throws IOException {
        return open(config).start();
    }

    /** Starts accepting clients and probing backends, and logs the start-up line; once only. */
    public Balancer start() {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("balancer already started");
        }
        if (acceptThread != null) {
            acceptThread.start();
        }
        if (idleReaperThread != null) {
            idleReaperThread.start();
        }
        reconfiguring.lock();
        try {
            if (routing.prober() != null) {
                routing.prober().start();
            }
        } finally {
            reconfiguring.unlock();
        }
        if (resolverThread != null) {
            resolverThread.start();
        }
        Logger.info(StartupLine.of(where(), routing.pool(), strategy(), config, limit));
        routes.forEach(Balancer::start);
        if (ConnectionThreads.PLATFORM) {
            Logger.warn("diagnostic: connections run on platform threads (-Dloom.diagnostic.threads=platform); "
                    + "a stop cannot cut open connections, so end this process with SIGKILL");
        }
        return this;
    }

    @Override
    public String name() {
        return config.name();
    }

    /** How long a graceful stop lets open connections finish ({@code --drain-timeout}). */
    public Duration drainTimeout() {
        return config.drainTimeout();
    }

    @Override
    public InetSocketAddress localAddress() {
        return listener == null ? service.localAddress() : (InetSocketAddress) listener.getLocalSocketAddress();
    }

    /** The SNI routes' pools, each a service of its own to observe (its name is the route's). */
    public List<Balancer> routes() {
        return List.copyOf(routes);
    }

    @Override
    public String strategy() {
        return routing.policy().name();
    }

    @Override
    public String healthChecks() {
        return config.health().describe();
    }

    @Override
    public Instant startedAt() {
        return startedAt;
    }

    @Override
    public boolean isAccepting() {
        return accepting.get();
    }

    @Override
    public BackendPool pool() {
        return routing.pool();
    }

    /** Active connections per backend. */
    public ConnectionCounter connections() {
        return routing.pool().connections();
    }

    /** Who is let in, and who was refused ({@code --allow}, {@code --max-connections-per-client}). */
    public ClientAdmission admission() {
        return admission;
    }

    @Override
    public Map<String, Long> rejectedClients() {
        Map<String, Long> rejected = new LinkedHashMap<>();
        rejected.put("no_backend_available", retiredUnserved + routing.context().connector().unserved());
        for (ClientAdmission.Refusal refusal : ClientAdmission.Refusal.values()) {
            rejected.put(refusal.label(), admission.refused(refusal));
        }
        rejected.put("queue_timeout", live.queueTimedOut());
        rejected.put("bad_proxy_header", live.badProxyHeaders());
        rejected.put("no_client_hello", live.noClientHello());
        return rejected;
    }

    @Override
    public long evictedConnections() {
        return live.evicted();
    }

    @Override
    public long maxConnectionWaits() {
        return limit.waits();
    }

    @Override
    public Duration saturatedFor() {
        return limit.waitingFor();
    }

    @Override
    public Optional<HealthProber> prober() {
        return Optional.ofNullable(routing.prober());
    }

    @Override
    public int liveThreads() {
        return liveThreadsByKind().values().stream().mapToInt(Integer::intValue).sum();
    }

    @Override
    public Map<String, Integer> liveThreadsByKind() {
        Map<String, Integer> threads = new LinkedHashMap<>();
        threads.put("connection", live.size());
        threads.put("pipe", pipeThreads.alive());
        HealthProber prober = routing.prober();
        threads.put("probe", prober == null ? 0 : prober.probesInFlight());
        return threads;
    }

    /** Blocks until {@link #close()} has finished. */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    /**
     * Runs on the accept thread, so the policy sees clients in the order they arrived; or,
     * when the client's first bytes are read before it is proxied, on its own thread.
     */
    private void dispatch(Socket client) {
        live.open(client, (clientAddress, serverName, pending) -> {
            Balancer route = serverNames.match(serverName);
            if (route != null) {
                route.adopt(client, clientAddress, pending);
                return null;
            }
            return connection(client, clientAddress, pending);
        });
    }

    private ProxiedConnection connection(Socket client, InetSocketAddress clientAddress, byte[] pending) {
        Routing now = routing; // one routing for the choice and the connection
        return new ProxiedConnection(client, clientAddress, now.policy().candidates(clientAddress), now.context(), pending);
    }

    /**
     * An SNI route takes over a client its service has read the ClientHello of. If the
     * route is already closing (a stop raced the handover), the client is reset.
     */
    private void adopt(Socket client, InetSocketAddress clientAddress, byte[] pending) {
        if (closing.get()) {
            Closer.reset(client);
            return;
        }
        try {
            live.adopt(client, clientAddress, pending, (address, serverName, bytes) -> connection(client, address, bytes));
        } catch (RuntimeException e) {
            Closer.closeQuietly(client); // nothing was taken over
            throw e;
        }
    }

    /**
     * A graceful stop: stops accepting at once, lets the open connections finish for up to
     * {@code timeout}, then closes whatever is still open (see {@link #close()}). A
     * {@link #close()} from another thread meanwhile (a second signal) cuts the wait short.
     */
    public void drain(Duration timeout) {
        stopAccepting();
        // The routes' connections drain beside this service's own.
        Thread routesDraining = Thread.ofVirtual().name("loom-drain")
                .start(() -> eachAtOnce(routes, route -> route.drain(timeout)));
        int open = live.size();
        openWhenDrainStarted = open;
        if (open > 0 && !closing.get()) {
            Logger.info("{}stopped accepting; waiting up to {} for {} open connection{} to finish", config.logPrefix(),
                    DurationText.of(timeout), open, open == 1 ? "" : "s");
            // A concurrent close() cuts every connection, which wakes this wait.
            live.awaitIdle(timeout, closing::get);
        }
        Uninterruptibly.join(routesDraining);
        close();
    }

    /** Runs {@code stop} (a drain) on every one at once, a virtual thread each; returns when all are done. */
    public static void eachAtOnce(List<Balancer> balancers, Consumer<Balancer> stop) {
        List<Thread> stopping = new ArrayList<>();
        for (Balancer balancer : balancers) {
            stopping.add(Thread.ofVirtual().name("loom-drain").start(() -> stop.accept(balancer)));
        }
        stopping.forEach(Uninterruptibly::join);
    }

    /**
     * Stops accepting, then cuts the connections still open and waits for their threads.
     * Safe to call more than once and from any thread (a signal handler, a test): every call
     * returns only once the first has finished.
     */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            Uninterruptibly.await(stopped);
            return;
        }
        try {
            stopAccepting();
            reconfiguring.lock(); // no reload swaps the prober while it is being closed
            try {
                if (routing.prober() != null) {
                    routing.prober().close();
                }
            } finally {
                reconfiguring.unlock();
            }
            // No more connections can start now, here; those handed to routes are theirs to cut.
            int cut = live.cutAll();
            routes.forEach(Balancer::close);
            if (idleReaper != null) {
                idleReaper.stop();
                Uninterruptibly.join(idleReaperThread);
            }
            if (started.get()) { // never started (the admin endpoint failed to bind): nothing to report
                logStopped(cut);
            }
        } finally {
            stopped.countDown(); // even if a step above failed: later close() calls must not wait forever
        }
    }

    /** "listening on 127.0.0.1:8443", or for an SNI route "routing a.example, *.b.example of service tls". */
    private String where() {
        if (service == null) {
            return "listening on " + HostPort.format(localAddress());
        }
        return "routing " + String.join(", ", routedNames) + " of service " + service.name();
    }

    private void logStopped(int cut) {
        int drainStart = openWhenDrainStarted;
        if (drainStart >= 0) {
            int finished = Math.max(0, drainStart - cut);
            Logger.info("{}stopped {}; {} connection{} finished while draining, {} cut", config.logPrefix(),
                    where(), finished, finished == 1 ? "" : "s", cut);
        } else {
            Logger.info("{}stopped {}; {} open connection{} closed", config.logPrefix(),
                    where(), cut, cut == 1 ? "" : "s");
        }
    }

    /** Closes the listener and waits for the accept loop to end; idempotent. */
    private void stopAccepting() {
        if (accepting.compareAndSet(true, false)) {
            try {
                if (listener != null) {
                    listener.close(); // wakes the accept loop, which then ends
                }
            } catch (IOException e) {
                Logger.warn("closing the listener failed: {}", e.toString());
            }
            limit.stop(); // in case it waits for a place in the waiting room, or backs off (no interrupt: see there)
        }
        if (acceptThread != null) {
            Uninterruptibly.join(acceptThread);
        }
    }
}
