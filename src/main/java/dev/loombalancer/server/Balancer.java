package dev.loombalancer.server;

import dev.loombalancer.concurrent.CountingThreadFactory;
import dev.loombalancer.concurrent.Uninterruptibly;
import dev.loombalancer.net.HostPort;
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
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
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
    private final AtomicBoolean closing = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);

    private Balancer(ServerSocket listener, BalancerConfig config) {
        this.listener = listener;
        this.pool = new BackendPool(config.backends(),
                new BackendPool.Health(config.health().enabled(), config.health().rise(), config.health().fall()));
        this.policy = config.strategy().create(pool, config.sticky());
        this.proxyContext = new ProxyContext(new BackendConnector(pool, config.connectTimeout()), policy, pipeThreads,
                config.idleTimeout(), config.whenUnavailable());
        this.prober = config.health().enabled() ? new HealthProber(pool, config.health()) : null;
        this.acceptThread = Thread.ofVirtual().name("loom-accept").unstarted(new AcceptLoop(listener, this::dispatch));
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
        balancer.acceptThread.start();
        if (balancer.prober != null) {
            balancer.prober.start();
        }
        Logger.info("listening on {}, {} backend{} ({}), strategy {}, {}{}",
                HostPort.format(balancer.localAddress()), balancer.pool.size(), balancer.pool.size() == 1 ? "" : "s",
                describe(balancer.pool), balancer.policy.name(), config.health().describe(),
                config.idleTimeout() == null ? "" : ", idle timeout " + config.idleTimeout().toMillis() + "ms");
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
        ProxiedConnection connection = new ProxiedConnection(client, clientAddress,
                policy.candidates(clientAddress), proxyContext);
        Thread thread = connectionThreads.newThread(() -> {
            try {
                connection.run();
            } finally {
                live.remove(Thread.currentThread());
            }
        });
        live.add(thread);
        thread.start();
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
        try {
            listener.close(); // wakes the accept loop, which then ends
        } catch (IOException e) {
            Logger.warn("closing the listener failed: {}", e.toString());
        }
        Uninterruptibly.join(acceptThread);
        if (prober != null) {
            prober.close();
        }
        // No more connections can start now. Interrupting a virtual thread blocked in a
        // socket call closes that socket, so each connection unwinds through its own
        // cleanup code: counters, sockets and pipe threads are released the usual way.
        List<Thread> cut = List.copyOf(live);
        cut.forEach(Thread::interrupt);
        cut.forEach(Uninterruptibly::join);
        Logger.info("stopped listening on {}; {} open connection{} closed",
                HostPort.format(localAddress()), cut.size(), cut.size() == 1 ? "" : "s");
        stopped.countDown();
    }

    private static String describe(BackendPool pool) {
        String shown = pool.backends().stream().limit(BACKENDS_SHOWN_AT_START)
                .map(Object::toString).collect(Collectors.joining(", "));
        return pool.size() > BACKENDS_SHOWN_AT_START ? shown + ", …" : shown;
    }
}
