package dev.loombalancer.proxy;

import dev.loombalancer.concurrent.StructuredScope;
import dev.loombalancer.net.Closer;
import dev.loombalancer.net.HostPort;
import dev.loombalancer.net.ProxyHeader;
import dev.loombalancer.net.SocketErrors;
import dev.loombalancer.net.TcpOptions;
import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.BackendStats;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Iterator;
import java.util.concurrent.atomic.AtomicReference;
import org.tinylog.Logger;
import org.tinylog.TaggedLogger;

/**
 * The life of one client connection, run on its own virtual thread: connect to a backend,
 * pipe both directions (this thread copies client to backend, a forked one the other
 * way), write the access-log line, and clean up whatever happens.
 *
 * <p>Cleanup is structural rather than hand-written per failure path: the client socket,
 * the backend connection (its socket and its connection count) and the forked pipe
 * thread are try-with-resources, and the {@link StructuredScope} guarantees that no pipe
 * outlives this method.
 *
 * <p>Another thread may {@link #cut} the connection (the idle timeout, a fair-share
 * eviction): it closes both sockets, which makes both pipes' blocked reads and writes
 * fail at once, and the connection then unwinds through the same cleanup.
 */
public final class ProxiedConnection implements Runnable {

    /**
     * The access log, in a class of its own so that it is set up at the end of the first
     * connection, not at its start: tinylog's first use takes tens of milliseconds (its
     * writers, and the time-zone data for the date), and the main thread is busy with it
     * for the start-up line just as the first client arrives. A connection that needed
     * tinylog at its start would wait for that before it could pass a byte on.
     */
    private static final class AccessLog {
        /**
         * One line per finished connection, on its own tinylog tag so that it can be routed
         * to a file of its own (see the README's "Access log").
         */
        static final TaggedLogger LOGGER = Logger.tag("access");
        /**
         * Whether those lines go anywhere, asked once: tinylog 2.7.0's {@code isInfoEnabled}
         * on a tagged logger looks up its caller's class by walking the whole stack, on every
         * call (for per-package levels), and tinylog's configuration is frozen once its
         * logging provider exists, which {@link #LOGGER} already needed. So the answer cannot
         * change, and asking it per connection only costs.
         */
        static final boolean ON = LOGGER.isInfoEnabled();
    }

    private final Socket client;
    private final InetSocketAddress clientAddress;
    private final Iterator<Backend> candidates;
    private final ProxyContext context;
    private final byte[] pending;
    private final Activity activity = new Activity();
    private final AtomicReference<String> cutBecause = new AtomicReference<>();
    private volatile Socket server; // set once connected, for cut()
    private volatile Backend connectedTo; // set once connected, for cutting those of a removed backend

    /**
     * @param clientAddress the client's address, read once on the accept thread (each call
     *                      of {@code getRemoteSocketAddress} makes a new object)
     * @param candidates    the backends to try, already chosen on the accept thread so that
     *                      rotation follows the order in which clients arrived
     * @param pending       the client's bytes already read (along with an upstream's PROXY
     *                      header): the backend gets them first
     */
    public ProxiedConnection(Socket client, InetSocketAddress clientAddress, Iterator<Backend> candidates,
                             ProxyContext context, byte[] pending) {
        this.client = client;
        this.clientAddress = clientAddress;
        this.candidates = candidates;
        this.context = context;
        this.pending = pending;
    }

    @Override
    public void run() {
        long started = System.nanoTime();
        Backend backend = null;
        Pipe toBackend = null;
        Pipe toClient = null;
        BackendStats stats = null;
        String end;
        // Each resource is guarded from the moment it exists: the client socket from here,
        // the backend socket and its connection count from the moment connect returns them.
        try (client) {
            TcpOptions.apply(client, context.keepAlive());
            try (BackendConnector.Connected connected = context.connector().connect(candidates, clientAddress)) {
                if (connected == null) {
                    context.whenUnavailable().answer(client);
                    end = "no backend available";
                } else {
                    backend = connected.backend();
                    stats = connected.stats();
                    server = connected.socket();
                    connectedTo = backend;
                    if (cutBecause.get() != null) {
                        Closer.closeQuietly(server); // cut while connecting, after cut() looked
                    }
                    ProxyHeader.Version header = context.sendProxy().of(backend);
                    if (header != null) {
                        // Before any byte of the client's: the backend reads the header first.
                        server.getOutputStream().write(ProxyHeader.forClient(header, clientAddress,
                                (InetSocketAddress) client.getLocalSocketAddress()));
                    }
                    if (pending.length > 0) {
                        server.getOutputStream().write(pending);
                        activity.touch(true);
                    }
                    toBackend = new Pipe(client, server, activity, "client closed", true);
                    toClient = new Pipe(server, client, activity, "backend closed", false);
                    end = proxy(connected, toBackend, toClient);
                }
            }
        } catch (InterruptedException e) {
            end = "balancer stopping";
        } catch (IOException | RuntimeException e) {
            end = "error: " + SocketErrors.describe(e);
        }
        if (cutBecause.get() != null) {
            end = cutBecause.get(); // the errors it caused are only its echo
        }
        long bytesToBackend = toBackend == null ? 0 : pending.length + toBackend.bytes();
        long bytesToClient = toClient == null ? 0 : toClient.bytes();
        if (stats != null) {
            stats.addBytes(bytesToBackend, bytesToClient);
        }
        if (AccessLog.ON) { // when the access log is routed away, build nothing
            AccessLog.LOGGER.info("access {}client={} backend={} up={} down={} ms={} end=\"{}\"", context.accessPrefix(), client(),
                    backend == null ? "-" : backend,
                    bytesToBackend, bytesToClient, (System.nanoTime() - started) / 1_000_000, end);
        }
    }

    /**
     * Closes both sockets from another thread, so the connection ends now; {@code why} goes
     * to the access log ("idle timeout"). Only the first cut counts.
     */
    public void cut(String why) {
        if (cutBecause.compareAndSet(null, why)) {
            closeBoth(server); // a backend socket that appears after this is closed by run()
        }
    }

    /**
     * Nanoseconds the backend has owed an answer (the client's bytes passed on, none back
     * since), or 0 when it owes none.
     */
    public long awaitingNanos(long nowNanos) {
        long since = activity.awaitingSinceNanos();
        return since == 0 ? 0 : nowNanos - since;
    }

    /**
     * {@code --server-timeout}: the backend took too long to answer. The connection is cut,
     * and the silence counts against the backend as a failure (passive health, as HAProxy's
     * {@code observe layer4}), so a frozen backend leaves rotation after {@code --fall} of them.
     */
    public void serverTimedOut(String why) {
        Backend backend = connectedTo;
        cut("server timeout");
        if (backend != null) {
            context.connector().serverTimedOut(backend, why);
        }
    }

    /** The backend this connection is proxied to, or null before it is connected. */
    public Backend backend() {
        return connectedTo;
    }

    /** Nanoseconds since a byte last moved either way (or since the connection was made). */
    public long idleNanos(long nowNanos) {
        return nowNanos - activity.lastNanos();
    }

    /**
     * Pipes both directions until both have ended or one has failed; returns how it ended,
     * for the access log. This thread copies the client's bytes to the backend itself
     * instead of forking a third thread to do it: one parked virtual thread less per idle
     * connection, and one thread start less per connection. If this direction fails,
     * shutting the scope down ends the other one too, exactly as a failing forked task would.
     */
    private String proxy(BackendConnector.Connected connected, Pipe toBackend, Pipe toClient)
            throws InterruptedException {
        Socket server = connected.socket();
        // Closing both sockets is what unblocks the other direction when one fails.
        try (StructuredScope scope = new StructuredScope(context.pipeThreads(), () -> closeBoth(server))) {
            context.policy().connected(clientAddress, connected.backend());
            scope.fork(toClient);
            Throwable failure = null;
            try {
                toBackend.run();
            } catch (IOException | RuntimeException e) {
                // If the other direction failed first, its shutdown closed our socket: that
                // error is the cause, and ours only its echo.
                failure = scope.failure() == null ? e : null;
                scope.shutdown();
            }
            scope.join();
            if (failure == null) {
                failure = scope.failure();
            }
            if (failure != null) {
                return "error: " + SocketErrors.describe(failure);
            }
            return activity.firstEnd() == null ? "closed" : activity.firstEnd();
        }
    }

    private String client() {
        return HostPort.format(clientAddress);
    }

    private void closeBoth(Socket server) {
        Closer.closeQuietly(client);
        Closer.closeQuietly(server); // null before connecting: nothing to close
    }
}
