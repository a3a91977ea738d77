package dev.loombalancer.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.UnsupportedAddressTypeException;
import org.junit.jupiter.api.Test;

/** Which address family a backend socket is opened for. */
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
}
