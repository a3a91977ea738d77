package dev.loombalancer.proxy;

import dev.loombalancer.logging.Throttle;
import dev.loombalancer.net.Closer;
import dev.loombalancer.net.HostPort;
import dev.loombalancer.net.ProxySockets;
import dev.loombalancer.net.SocketErrors;
import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.BackendPool;
import dev.loombalancer.pool.BackendStats;
import dev.loombalancer.pool.ConnectionCounter.Lease;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.atomic.LongAdder;
import org.tinylog.Logger;

/**
 * Opens the connection to a backend: tries the policy's candidates in order and returns
 * the first that accepts, so one refusing or silent backend costs a client a quick retry,
 * never a hang. Every outcome is reported to the pool, so client traffic takes a dead
 * backend out as surely as the health probes do.
 *
 * <p>Retries are bounded ({@code --retries}, as HAProxy's {@code retries}): a client waits
 * at most (1 + retries) × connect timeout, however many backends are listed or DOWN.
 */
public final class BackendConnector {

    private static final Duration LOG_PERIOD = Duration.ofSeconds(5);

    private final BackendPool pool;
    private final boolean keepAlive;
    private final int connectTimeoutMillis;
    private final int attempts;
    private final LongAdder unserved = new LongAdder();
    private final String unservedAction;
    // During an outage every client fails alike: one line of each kind every few seconds.
    private final Throttle backendFailed = new Throttle(LOG_PERIOD);
    private final Throttle noBackend = new Throttle(LOG_PERIOD);
    private final Throttle ownLimit = new Throttle(LOG_PERIOD);

    /**
     * @param retries        how many more backends a client may try after the first fails
     * @param unservedAction what an unserved client gets, for the log ("closing the client connection")
     */
    public BackendConnector(BackendPool pool, Duration connectTimeout, int retries, String unservedAction) {
        this(pool, connectTimeout, retries, unservedAction, true);
    }

    /** @param keepAlive SO_KEEPALIVE on every backend socket ({@code --no-tcp-keepalive} turns it off) */
    public BackendConnector(BackendPool pool, Duration connectTimeout, int retries, String unservedAction,
                            boolean keepAlive) {
        this.keepAlive = keepAlive;
        this.pool = pool;
        this.unservedAction = unservedAction;
        this.connectTimeoutMillis = Math.toIntExact(connectTimeout.toMillis());
        this.attempts = retries + 1;
    }

    /** Clients turned away because no backend could be reached. */
    public long unserved() {
        return unserved.sum();
    }

    /**
     * A backend, the socket connected to it, the lease that counts the connection, and its
     * stats. Closing it closes the socket and gives the count back, so the caller holds it
     * in try-with-resources from the moment it exists.
     */
    public record Connected(Backend backend, Socket socket, Lease lease, BackendStats stats) implements AutoCloseable {
        @Override
        public void close() {
            Closer.closeQuietly(socket);
            lease.close();
        }
    }

    /**
     * Connects to the first candidate that answers within the connect timeout, or returns
     * null when none does (after logging why).
     *
     * @throws InterruptedException if the balancer is stopping; interrupting a virtual
     *                              thread closes the socket it is connecting
     */
    public Connected connect(Iterator<Backend> candidates, InetSocketAddress client) throws InterruptedException {
        int tried = 0;
        while (tried < attempts && candidates.hasNext()) {
            Backend backend = candidates.next();
            tried++;
            // Counted from the attempt on, not from success: least-connections must see a
            // connection in progress, or a burst of clients would all pick the same backend.
            Lease lease = pool.connections().open(backend);
            Socket socket = null;
            boolean opened = false;
            boolean handedOver = false;
            try {
                socket = ProxySockets.forBackend(backend.address());
                SocketErrors.openFirst(socket); // also sets TCP_NODELAY
                opened = true;
                if (keepAlive) {
                    socket.setKeepAlive(true);
                }
                ProxySockets.connect(socket, backend.address(), connectTimeoutMillis);
                Connected connected = new Connected(backend, socket, lease, pool.connectedTo(backend));
                handedOver = true;
                return connected;
            } catch (IOException e) {
                if (Thread.interrupted()) {
                    throw new InterruptedException("stopped while connecting to " + backend);
                }
                String why = SocketErrors.describe(e);
                if (!opened || !SocketErrors.isPeersFault(e)) {
                    // Our own limit (no socket could be made: out of files; or no local port),
                    // not the backend's fault, and every other backend would fail the same
                    // way: the client is closed, and no backend is blamed.
                    unserved.increment();
                    long more = ownLimit.admit();
                    if (more >= 0) {
                        Logger.error("cannot {} a connection to a backend for client {}: {}; {}{}{}",
                                opened ? "make" : "open", HostPort.format(client), why, unservedAction, opened ? ""
                                        : " (raise the open-file limit or lower --max-connections)", Throttle.more(more));
                    }
                    return null;
                }
                pool.connectFailed(backend, why);
                long more = backendFailed.admit();
                if (more >= 0) {
                    Logger.warn("backend {} failed for client {}: {}; trying the next backend{}",
                            backend, HostPort.format(client), why, Throttle.more(more));
                }
            } finally {
                // Whatever went wrong, including a RuntimeException, nothing of a failed
                // attempt is left open or counted.
                if (!handedOver) {
                    lease.close();
                    Closer.closeQuietly(socket);
                }
            }
        }
        unserved.increment();
        long more = noBackend.admit();
        if (more < 0) {
            return null; // counted in loom_connections_rejected_total{reason="no_backend_available"}
        }
        if (tried == 0) {
            // Nothing to try at all: the fallback list skips drained backends, so all are.
            Logger.error("no backend for client {}: all {} backends are drained by the admin API (POST "
                    + "/backends/HOST:PORT/enable puts one back); {}{}", HostPort.format(client), pool.size(), unservedAction,
                    Throttle.more(more));
        } else {
            Logger.error("no backend reachable for client {}: {} {} tried refused or timed out{}; {} (are the "
                            + "backends running?){}", HostPort.format(client), candidates.hasNext() ? "the" : "all", tried,
                    candidates.hasNext() ? " (--retries " + (attempts - 1) + ")" : "", unservedAction, Throttle.more(more));
        }
        return null;
    }

    /** A connected backend did not answer in time: counted against it, as a refused connect is. */
    public void serverTimedOut(Backend backend, String why) {
        if (pool.contains(backend)) {
            pool.connectFailed(backend, why);
        }
    }
}
