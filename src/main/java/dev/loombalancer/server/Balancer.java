package dev.loombalancer.server;

import dev.loombalancer.logging.DurationText;
import dev.loombalancer.admission.ClientAdmission;
import dev.loombalancer.concurrent.ConnectionThreads;
import dev.loombalancer.concurrent.CountingThreadFactory;
import dev.loombalancer.concurrent.Uninterruptibly;
import dev.loombalancer.health.HealthProber;
import dev.loombalancer.net.HostPort;
import dev.loombalancer.net.Listeners;
import dev.loombalancer.net.OpenFileLimit;
import dev.loombalancer.policy.SelectionPolicy;
import dev.loombalancer.pool.BackendPool;
import dev.loombalancer.pool.ConnectionCounter;
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
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.tinylog.Logger;

/**
 * A running load balancer's lifecycle: {@link #open} binds the listening socket,
 * {@link #start} starts the accept loop and the health prober, {@link #drain} and
 * {@link #close} stop it. What runs in between is the accept loop ({@link AcceptLoop}),
 * one {@link ProxiedConnection} per client, tracked by {@link LiveConnections}, and the
 * {@link HealthProber}.
 */
public final class Balancer implements BalancerView, AutoCloseable {

    private final ServerSocket listener;
    private final BalancerConfig config;
    private final Instant startedAt = Instant.now();
    private final BackendPool pool;
    private final SelectionPolicy policy;
    private final ProxyContext proxyContext;
    private final HealthProber prober; // null when health checks are off
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

    private Balancer(ServerSocket listener, BalancerConfig config) {
        this.listener = listener;
        this.config = config;
        this.pool = new BackendPool(config.backends(),
                new RiseFall(config.health().enabled(), config.health().rise(), config.health().fall()),
                config.weighting(), config.slowStart(), config.logPrefix());
        this.policy = config.strategy().create(pool, config.sticky());
        this.proxyContext = new ProxyContext(new BackendConnector(pool, config.connectTimeout(), config.retries(),
                config.whenUnavailable().action()),
                policy, pipeThreads, config.whenUnavailable(),
                config.name().equals(BalancerConfig.DEFAULT_NAME) ? null : config.name());
        this.prober = config.health().enabled() ? new HealthProber(pool, config.health()) : null;
        this.limit = ConnectionLimit.forFiles(config.maxConnections(), OpenFileLimit.current(),
                prober == null ? 0 : Math.min(pool.size(), HealthProber.MAX_IN_FLIGHT), config.backlog());
        this.admission = new ClientAdmission(config.admission());
        this.live = new LiveConnections(admission, limit, config.queueTimeout());
        this.idleReaper = config.idleTimeout() == null ? null : new IdleReaper(live, config.idleTimeout());
        this.idleReaperThread = idleReaper == null ? null : Thread.ofVirtual().name("loom-idle-reaper").unstarted(idleReaper);
        this.acceptThread = Thread.ofVirtual().name("loom-accept").unstarted(new AcceptLoop(listener, limit, this::dispatch));
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
            return new Balancer(listener, config);
        } catch (RuntimeException e) {
            listener.close();
            throw e;
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
        acceptThread.start();
        if (idleReaperThread != null) {
            idleReaperThread.start();
        }
        if (prober != null) {
            prober.start();
        }
        Logger.info(StartupLine.of(localAddress(), pool, strategy(), config, limit));
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
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    @Override
    public String strategy() {
        return policy.name();
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
        return pool;
    }

    /** Active connections per backend. */
    public ConnectionCounter connections() {
        return pool.connections();
    }

    /** Who is let in, and who was refused ({@code --allow}, {@code --max-connections-per-client}). */
    public ClientAdmission admission() {
        return admission;
    }

    @Override
    public Map<String, Long> rejectedClients() {
        Map<String, Long> rejected = new LinkedHashMap<>();
        rejected.put("no_backend_available", proxyContext.connector().unserved());
        for (ClientAdmission.Refusal refusal : ClientAdmission.Refusal.values()) {
            rejected.put(refusal.label(), admission.refused(refusal));
        }
        rejected.put("queue_timeout", live.queueTimedOut());
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
        return Optional.ofNullable(prober);
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
        threads.put("probe", prober == null ? 0 : prober.probesInFlight());
        return threads;
    }

    /** Blocks until {@link #close()} has finished. */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    /** Runs on the accept thread, so the policy sees clients in the order they arrived. */
    private void dispatch(Socket client) {
        live.open(client, clientAddress ->
                new ProxiedConnection(client, clientAddress, policy.candidates(clientAddress), proxyContext));
    }

    /**
     * A graceful stop: stops accepting at once, lets the open connections finish for up to
     * {@code timeout}, then closes whatever is still open (see {@link #close()}). A
     * {@link #close()} from another thread meanwhile (a second signal) cuts the wait short.
     */
    public void drain(Duration timeout) {
        stopAccepting();
        int open = live.size();
        openWhenDrainStarted = open;
        if (open > 0 && !closing.get()) {
            Logger.info("{}stopped accepting; waiting up to {} for {} open connection{} to finish", config.logPrefix(),
                    DurationText.of(timeout), open, open == 1 ? "" : "s");
            // A concurrent close() cuts every connection, which wakes this wait.
            live.awaitIdle(timeout, closing::get);
        }
        close();
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
            if (prober != null) {
                prober.close();
            }
            // No more connections can start now.
            int cut = live.cutAll();
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

    private void logStopped(int cut) {
        int drainStart = openWhenDrainStarted;
        if (drainStart >= 0) {
            int finished = Math.max(0, drainStart - cut);
            Logger.info("{}stopped listening on {}; {} connection{} finished while draining, {} cut", config.logPrefix(),
                    HostPort.format(localAddress()), finished, finished == 1 ? "" : "s", cut);
        } else {
            Logger.info("{}stopped listening on {}; {} open connection{} closed", config.logPrefix(),
                    HostPort.format(localAddress()), cut, cut == 1 ? "" : "s");
        }
    }

    /** Closes the listener and waits for the accept loop to end; idempotent. */
    private void stopAccepting() {
        if (accepting.compareAndSet(true, false)) {
            try {
                listener.close(); // wakes the accept loop, which then ends
            } catch (IOException e) {
                Logger.warn("closing the listener failed: {}", e.toString());
            }
            acceptThread.interrupt(); // in case it waits for a place in the waiting room, or backs off
        }
        Uninterruptibly.join(acceptThread);
    }
}
