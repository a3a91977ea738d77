package dev.loombalancer.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.testing.Ports;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.channels.UnsupportedAddressTypeException;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** Which address family a backend socket is opened for, and how it connects. */
class ProxySocketsTest {

    /** A literal, so no name is looked up. */
    private static final InetSocketAddress IPV6_LOOPBACK = new InetSocketAddress("::1", 0);

    /** An IPv4 backend gets an IPv4-only socket: its channel refuses an IPv6 address. */
    @Test
    void anIpv4BackendGetsAnIpv4Socket() throws Exception {
        try (Socket socket = ProxySockets.forBackend(new InetSocketAddress("127.0.0.1", 9))) {
            assertThrows(UnsupportedAddressTypeException.class, () -> socket.getChannel().bind(IPV6_LOOPBACK));
        }
    }

    /** An IPv6 backend gets a socket that takes an IPv6 address. */
    @Test
    void anIpv6BackendGetsAnIpv6Socket() throws Exception {
        try (Socket socket = ProxySockets.forBackend(new InetSocketAddress(IPV6_LOOPBACK.getAddress(), 9))) {
            socket.getChannel().bind(IPV6_LOOPBACK);
            assertEquals(IPV6_LOOPBACK.getAddress(), socket.getLocalAddress());
        }
    }

    /** A listening backend: the socket connects, and its streams (which need a blocking channel) carry bytes both ways. */
    @Test
    void connectsAndItsStreamsCarryBytes() throws Exception {
        try (ServerSocket backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            InetSocketAddress address = (InetSocketAddress) backend.getLocalSocketAddress();
            int echoed = onVirtualThread(() -> {
                try (Socket socket = ProxySockets.forBackend(address)) {
                    ProxySockets.connect(socket, address, 2_000);
                    try (Socket accepted = backend.accept()) {
                        socket.getOutputStream().write('x');
                        accepted.getOutputStream().write(accepted.getInputStream().read());
                        return socket.getInputStream().read();
                    }
                }
            });
            assertEquals('x', echoed);
        }
    }

    /** A backend that never answers: the connect gives up at its timeout, not before, and closes the socket. */
    @Test
    void aSilentBackendTimesOut() throws Exception {
        try (Ports.BlackHole hole = new Ports.BlackHole();
             Socket socket = ProxySockets.forBackend(hole.address())) {
            long started = System.nanoTime();
            assertThrows(SocketTimeoutException.class, () -> onVirtualThread(() -> {
                ProxySockets.connect(socket, hole.address(), 300);
                return null;
            }));
            Duration waited = Duration.ofNanos(System.nanoTime() - started);
            assertTrue(waited.toMillis() >= 300 && waited.toSeconds() < 10, "waited " + waited);
            assertTrue(socket.isClosed(), "closed");
        }
    }

    /** A port nobody listens on: a ConnectException, as from Socket.connect, which counts against the backend. */
    @Test
    void aRefusingBackendThrowsConnectException() throws Exception {
        InetSocketAddress refusing = Ports.refusing();
        try (Socket socket = ProxySockets.forBackend(refusing)) {
            assertThrows(ConnectException.class, () -> onVirtualThread(() -> {
                ProxySockets.connect(socket, refusing, 2_000);
                return null;
            }));
        }
    }

    /** Runs {@code task} on a virtual thread, as the balancer connects, and rethrows what it threw. */
    private static <T> T onVirtualThread(Callable<T> task) throws Exception {
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            return executor.submit(task).get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }
}
