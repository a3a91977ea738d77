package dev.loombalancer.server;

import dev.loombalancer.admin.AdminServer;
import dev.loombalancer.admission.ClientAdmission;
import dev.loombalancer.concurrent.CountingThreadFactory;
import dev.loombalancer.concurrent.Uninterruptibly;
import dev.loombalancer.net.Closer;
import dev.loombalancer.net.HostPort;
import dev.loombalancer.net.OpenFileLimit;
import dev.loombalancer.health.HealthProber;
import dev.loombalancer.policy.SelectionPolicy;
import dev.loombalancer.pool.BackendPool;
import dev.loombalancer.pool.ConnectionCounter;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import org.tinylog.Logger;

/**
 * A running load balancer: a listening socket, the accept loop, one virtual thread per
 * client connection, and the health prober. {@link #start} binds and starts it;
 * {@link #close} stops it.
 */
public final class Balancer implements AutoCloseable {

    private static final int BACKENDS_SHOWN_AT_START = 5;

    private final ServerSocket listener;
    private final BalancerConfig config;
    private final Instant startedAt = Instant.now();
    private final BackendPool pool;
    private final SelectionPolicy policy;
    private final ProxyContext proxyContext;
    private final HealthProber prober; // null when health checks are off
    // One shared name, not a numbered one: a numbered name costs a string per connection.
    private final ThreadFactory connectionThreads = Thread.ofVirtual().name("loom-connection").factory();
    // Pipe threads are counted so that leaks show; connection threads are counted by `live`.
    private final CountingThreadFactory pipeThreads = new CountingThreadFactory("loom-pipe");
    // The threads of live connections: added before start, removed as each one ends, so
    // close() can cut them and liveThreads() can count them.
    private final Set<Thread> live = ConcurrentHashMap.newKeySet();
    private final Thread acceptThread;
    private final ConnectionLimit limit;
    private final ClientAdmission admission;
    // Signalled whenever the last live connection ends, for drain() to wait on.
    private final ReentrantLock idleLock = new ReentrantLock();
    private final Condition idle = idleLock.newCondition();
    private final AtomicBoolean accepting = new AtomicBoolean(true);
    private final AtomicBoolean closing = new AtomicBoolean();
    private volatile int openWhenDrainStarted = -1;
    private volatile AdminServer admin; // null unless --admin
    private final CountDownLatch stopped = new CountDownLatch(1);

    private Balancer(ServerSocket listener, BalancerConfig config) {
        this.listener = listener;
        this.config = config;
        this.pool = new BackendPool(config.backends(),
                new BackendPool.Health(config.health().enabled(), config.health().rise(), config.health().fall()));
        this.policy = config.strategy().create(pool, config.sticky());
        this.proxyContext = new ProxyContext(new BackendConnector(pool, config.connectTimeout(), config.retries()),
                policy, pipeThreads, config.idleTimeout(), config.whenUnavailable());
        this.prober = config.health().enabled() ? new HealthProber(pool, config.health()) : null;
        this.limit = ConnectionLimit.forFiles(config.maxConnections(), OpenFileLimit.current(),
                prober == null ? 0 : Math.min(pool.size(), HealthProber.MAX_IN_FLIGHT));
        this.admission = new ClientAdmission(config.admission());
        this.acceptThread = Thread.ofVirtual().name("loom-accept").unstarted(new AcceptLoop(listener, limit, this::dispatch));
    }

    /**
     * Binds the listening socket and starts accepting.
     *
     * @throws IOException if the address cannot be bound (in use, not permitted, not local)
     */
    public static Balancer start(BalancerConfig config) throws IOException {
        ServerSocket listener = new ServerSocket();
        Balancer balancer;
        try {
            // Lets a restarted balancer bind at once while old connections sit in TIME_WAIT.
            listener.setReuseAddress(true);
            listener.bind(config.listen(), config.backlog());
            balancer = new Balancer(listener, config);
        } catch (IOException | RuntimeException e) {
            listener.close();
            throw e;
        }
        if (config.admin() != null) {
            try {
                balancer.admin = AdminServer.start(config.admin(), balancer);
            } catch (IOException | RuntimeException e) {
                listener.close();
                throw e;
            }
        }
        balancer.acceptThread.start();
        if (balancer.prober != null) {
            balancer.prober.start();
        }
        Logger.info("listening on {}, {} backend{} ({}), strategy {}, {}{}, {}{}",
                HostPort.format(balancer.localAddress()), balancer.pool.size(), balancer.pool.size() == 1 ? "" : "s",
                describe(balancer.pool), balancer.policy.name(), config.health().describe(),
                config.idleTimeout() == null ? "" : ", idle timeout " + config.idleTimeout().toMillis() + "ms",
                balancer.limit.describe(), config.admission().describe());
        return balancer;
    }

    /** The address clients connect to; with port 0 in the config, the port actually bound. */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    /** Active connections per backend. */
    public ConnectionCounter connections() {
        return pool.connections();
    }

    /** The backends with their health and load. */
    public BackendPool pool() {
        return pool;
    }

    /** The configuration it was started with. */
    public BalancerConfig config() {
        return config;
    }

    public Instant startedAt() {
        return startedAt;
    }

    /** False once stopping (draining or closed): new clients are refused. */
    public boolean isAccepting() {
        return accepting.get();
    }

    /** Where the admin endpoint listens, if --admin was given. */
    public Optional<InetSocketAddress> adminAddress() {
        AdminServer server = admin;
        return server == null ? Optional.empty() : Optional.of(server.address());
    }

    /** Clients turned away because no backend could be reached, since start. */
    public long unservedClients() {
        return proxyContext.connector().unserved();
    }

    /** Who is let in, and who was refused ({@code --allow}, {@code --max-connections-per-client}). */
    public ClientAdmission admission() {
        return admission;
    }

    /**
     * Clients turned away since start, by reason, in a fixed order: no_backend_available,
     * not_allowed, per_client_limit (the metric's labels and the /status keys).
     */
    public Map<String, Long> rejectedClients() {
        Map<String, Long> rejected = new LinkedHashMap<>();
        rejected.put("no_backend_available", unservedClients());
        for (ClientAdmission.Refusal refusal : ClientAdmission.Refusal.values()) {
            rejected.put(refusal.label(), admission.refused(refusal));
        }
        return rejected;
    }

    /** Times the accept loop waited because --max-connections was reached. */
    public long maxConnectionWaits() {
        return limit.waits();
    }

    /** The health prober, unless health checks are off. */
    public Optional<HealthProber> prober() {
        return Optional.ofNullable(prober);
    }

    /**
     * Connection, pipe and probe threads that have not finished yet: zero when the
     * balancer is idle between health-check rounds, and once it is closed.
     */
    public int liveThreads() {
        return live.size() + pipeThreads.alive() + (prober == null ? 0 : prober.probesInFlight());
    }

    /** Blocks until {@link #close()} has finished. */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    /** Runs on the accept thread, so the policy sees clients in the order they arrived. */
    private void dispatch(Socket client) {
        InetSocketAddress clientAddress = (InetSocketAddress) client.getRemoteSocketAddress();
        if (admission.admit(clientAddress.getAddress()) != null) {
            // Refused before anything is spent on it: a reset, so that a flood of refused
            // clients leaves no TIME_WAIT sockets here. (Counted and logged by admit.)
            Closer.reset(client);
            limit.release();
            return;
        }
        ProxiedConnection connection = new ProxiedConnection(client, clientAddress,
                policy.candidates(clientAddress), proxyContext);
        Thread thread = connectionThreads.newThread(() -> {
            try {
                connection.run();
            } finally {
                live.remove(Thread.currentThread());
                admission.release(clientAddress.getAddress());
                limit.release(); // the permit the accept loop took for this connection
                if (live.isEmpty()) {
                    signalIdle();
                }
            }
        });
        live.add(thread);
        try {
            thread.start();
        } catch (RuntimeException | Error e) {
            // Out of memory, say: undo what this method did; the accept loop closes the client.
            live.remove(thread);
            admission.release(clientAddress.getAddress());
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
        int open = live.size();
        openWhenDrainStarted = open;
        if (open > 0 && !closing.get()) {
            Logger.info("stopped accepting; waiting up to {} ms for {} open connection{} to finish",
                    timeout.toMillis(), open, open == 1 ? "" : "s");
            awaitIdle(timeout);
        }
        close();
    }

    /**
     * Stops accepting, then cuts the connections still open and waits for their threads.
     * Safe to call more than once and from any thread (a signal handler, a test).
     */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            Uninterruptibly.await(stopped);
            return;
        }
        stopAccepting();
        if (prober != null) {
            prober.close();
        }
        if (admin != null) {
            admin.close();
        }
        // No more connections can start now. Interrupting a virtual thread blocked in a
        // socket call closes that socket, so each connection unwinds through its own
        // cleanup code: counters, sockets and pipe threads are released the usual way.
        List<Thread> cut = List.copyOf(live);
        cut.forEach(Thread::interrupt);
        cut.forEach(Uninterruptibly::join);
        int drainStart = openWhenDrainStarted;
        if (drainStart >= 0) {
            Logger.info("stopped listening on {}; {} connection{} finished while draining, {} cut",
                    HostPort.format(localAddress()), Math.max(0, drainStart - cut.size()),
                    drainStart - cut.size() == 1 ? "" : "s", cut.size());
        } else {
            Logger.info("stopped listening on {}; {} open connection{} closed",
                    HostPort.format(localAddress()), cut.size(), cut.size() == 1 ? "" : "s");
        }
        stopped.countDown();
    }

    /** Closes the listener and waits for the accept loop to end; idempotent. */
    private void stopAccepting() {
        if (accepting.compareAndSet(true, false)) {
            try {
                listener.close(); // wakes the accept loop, which then ends
            } catch (IOException e) {
                Logger.warn("closing the listener failed: {}", e.toString());
            }
            acceptThread.interrupt(); // in case it waits for a --max-connections permit
        }
        Uninterruptibly.join(acceptThread);
    }

    /** Waits until no connection is open or the timeout has passed; false on timeout. */
    private boolean awaitIdle(Duration timeout) {
        long remaining = timeout.toNanos();
        idleLock.lock();
        try {
            while (!live.isEmpty() && remaining > 0 && !closing.get()) {
                remaining = idle.awaitNanos(remaining);
            }
            return live.isEmpty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            idleLock.unlock();
        }
    }

    private void signalIdle() {
        idleLock.lock();
        try {
            idle.signalAll();
        } finally {
            idleLock.unlock();
        }
    }

    private static String describe(BackendPool pool) {
        String shown = pool.backends().stream().limit(BACKENDS_SHOWN_AT_START)
                .map(Object::toString).collect(Collectors.joining(", "));
        return pool.size() > BACKENDS_SHOWN_AT_START ? shown + ", …" : shown;
    }
}
