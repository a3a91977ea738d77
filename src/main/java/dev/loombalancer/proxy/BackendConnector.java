package dev.loombalancer.proxy;

import dev.loombalancer.net.Closer;
import dev.loombalancer.net.HostPort;
import dev.loombalancer.net.SocketErrors;
import dev.loombalancer.pool.Backend;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Iterator;
import org.tinylog.Logger;

/**
 * Opens the connection to a backend: tries the policy's candidates in order and returns
 * the first that accepts, so one refusing or silent backend costs a client a quick retry,
 * never a hang.
 */
public final class BackendConnector {

    private final int connectTimeoutMillis;

    public BackendConnector(Duration connectTimeout) {
        this.connectTimeoutMillis = Math.toIntExact(connectTimeout.toMillis());
    }

    /** A backend and the socket connected to it. */
    public record Connected(Backend backend, Socket socket) {
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
        while (candidates.hasNext()) {
            Backend backend = candidates.next();
            tried++;
            Socket socket = new Socket();
            try {
                socket.setTcpNoDelay(true);
                socket.connect(backend.address(), connectTimeoutMillis);
                return new Connected(backend, socket);
            } catch (IOException e) {
                Closer.closeQuietly(socket);
                if (Thread.interrupted()) {
                    throw new InterruptedException("stopped while connecting to " + backend);
                }
                Logger.warn("backend {} failed for client {}: {}; trying the next backend",
                        backend, HostPort.format(client), SocketErrors.describe(e));
            }
        }
        Logger.error("no backend reachable for client {}: all {} tried refused or timed out; "
                + "closing the client connection (are the backends running?)", HostPort.format(client), tried);
        return null;
    }
}
