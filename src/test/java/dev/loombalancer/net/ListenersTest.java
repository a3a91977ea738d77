package dev.loombalancer.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** How listening sockets are opened: SO_REUSEPORT on request, and the inherited socket. */
class ListenersTest {

    /** With reuse-port, a second listener binds the port the first one holds; without it, that fails. */
    @Test
    void reusePortLetsASecondProcessBindTheSamePort() throws Exception {
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (ServerSocket first = Listeners.bind(any, 50, true)) {
            InetSocketAddress taken = (InetSocketAddress) first.getLocalSocketAddress();
            try (ServerSocket second = Listeners.bind(taken, 50, true)) {
                assertEquals(taken.getPort(), second.getLocalPort());
            }
            assertThrows(BindException.class, () -> Listeners.bind(taken, 50, false).close());
        }
    }

    /** Without a listening socket on standard input, --listen inherited says so instead of binding anything. */
    @Test
    void inheritedNeedsASocketOnStandardInput() {
        assertThrows(Listeners.NotInherited.class, () -> Listeners.bind(Listeners.INHERITED, 50, false).close());
    }
}
