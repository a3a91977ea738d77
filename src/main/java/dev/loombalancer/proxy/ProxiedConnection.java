package dev.loombalancer.proxy;

import dev.loombalancer.concurrent.StructuredScope;
import dev.loombalancer.net.Closer;
import dev.loombalancer.net.HostPort;
import dev.loombalancer.net.SocketErrors;
import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.ConnectionCounter;
import dev.loombalancer.pool.ConnectionCounter.Lease;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Iterator;
import java.util.concurrent.ThreadFactory;
import org.tinylog.Logger;

/**
 * The life of one client connection, run on its own virtual thread: connect to a backend,
 * pipe both directions on two more virtual threads, and clean up whatever happens.
 *
 * <p>Cleanup is structural rather than hand-written per failure path: both sockets, the
 * connection count and the two pipe threads are try-with-resources, and the
 * {@link StructuredScope} guarantees that neither pipe outlives this method.
 */
public final class ProxiedConnection implements Runnable {

    private final Socket client;
    private final InetSocketAddress clientAddress;
    private final Iterator<Backend> candidates;
    private final BackendConnector connector;
    private final ConnectionCounter counter;
    private final ThreadFactory pipeThreads;

    /**
     * @param clientAddress the client's address, read once on the accept thread (each call
     *                      of {@code getRemoteSocketAddress} makes a new object)
     * @param candidates    the backends to try, already chosen on the accept thread so that
     *                      rotation follows the order in which clients arrived
     */
    public ProxiedConnection(Socket client, InetSocketAddress clientAddress, Iterator<Backend> candidates,
                             BackendConnector connector, ConnectionCounter counter, ThreadFactory pipeThreads) {
        this.client = client;
        this.clientAddress = clientAddress;
        this.candidates = candidates;
        this.connector = connector;
        this.counter = counter;
        this.pipeThreads = pipeThreads;
    }

    @Override
    public void run() {
        long started = System.nanoTime();
        try (client) {
            client.setTcpNoDelay(true);
            BackendConnector.Connected connected = connector.connect(candidates, clientAddress);
            if (connected != null) {
                proxy(connected, started);
            }
        } catch (InterruptedException e) {
            Logger.debug("connection from {} cut: the balancer is stopping", this::client);
        } catch (IOException | RuntimeException e) {
            // Suppliers: the text is only built when DEBUG is on, not on every failed connection.
            Logger.debug("connection from {} failed: {}", this::client, () -> SocketErrors.describe(e));
        }
    }

    /** Pipes both directions until both have ended or one has failed. */
    @SuppressWarnings("try") // the lease is held for its scope only: counted while the pipes run
    private void proxy(BackendConnector.Connected connected, long started) throws InterruptedException, IOException {
        Backend backend = connected.backend();
        try (Socket server = connected.socket();
             Lease lease = counter.open(backend);
             // Closing both sockets is what unblocks the other direction when one fails.
             StructuredScope scope = new StructuredScope(pipeThreads, () -> closeBoth(server))) {
            Pipe up = new Pipe(client, server);
            Pipe down = new Pipe(server, client);
            scope.fork(up);
            scope.fork(down);
            scope.join();
            if (Logger.isDebugEnabled()) {
                Throwable failure = scope.failure();
                Logger.debug("connection {} -> {} closed: {} bytes up, {} bytes down, {} ms{}",
                        client(), backend, up.bytes(), down.bytes(),
                        (System.nanoTime() - started) / 1_000_000,
                        failure == null ? "" : ", ended by error: " + SocketErrors.describe(failure));
            }
        }
    }

    private String client() {
        return HostPort.format(clientAddress);
    }

    private void closeBoth(Socket server) {
        Closer.closeQuietly(client);
        Closer.closeQuietly(server);
    }
}
