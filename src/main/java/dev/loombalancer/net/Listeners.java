package dev.loombalancer.net;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;

/**
 * Listening sockets that take the clients their address names: {@code 0.0.0.0} every
 * IPv4 interface and nothing else, as in HAProxy and nginx, {@code [::]} IPv6 and IPv4
 * alike, and a specific address only itself.
 *
 * <p>A socket opened the JDK's default way gets all but the first right: on a machine
 * with IPv6 it is an IPv6 socket that also takes IPv4 (the JDK clears IPV6_V6ONLY), and
 * it binds {@code 0.0.0.0} as the IPv6 wildcard, so IPv6 clients got in too. For
 * {@code 0.0.0.0} the listener is therefore opened for {@code StandardProtocolFamily.INET},
 * which is an IPv4 socket. Every listener is a channel's {@code ServerSocket} adaptor
 * ({@link ProxySockets}), which accepts in blocking mode, so the accept loop and the
 * connections stay plain blocking code on virtual threads.
 */
public final class Listeners {

    /**
     * {@code --listen inherited}: the listening socket is standard input, as systemd passes
     * it with {@code StandardInput=socket}. The socket outlives the process, so clients
     * queue in the kernel while a new process starts, and none is refused.
     */
    public static final InetSocketAddress INHERITED = InetSocketAddress.createUnresolved("inherited", 0);

    /** Standard input is not a listening socket, so {@code --listen inherited} has nothing to take. */
    public static final class NotInherited extends IOException {
        NotInherited() {
            super("standard input is not a listening socket");
        }
    }

    private Listeners() {
    }

    /**
     * Binds a listening socket with SO_REUSEADDR (a restarted balancer binds at once while
     * old connections sit in TIME_WAIT), or takes the inherited one.
     *
     * @param reusePort also SO_REUSEPORT: another process may bind the same address and
     *                  port, and the kernel spreads new connections over both listeners
     */
    public static ServerSocket bind(InetSocketAddress address, int backlog, boolean reusePort) throws IOException {
        if (address.equals(INHERITED)) {
            return inherited();
        }
        ServerSocket socket = ProxySockets.listening(isIpv4Wildcard(address));
        try {
            socket.setReuseAddress(true);
            if (reusePort) {
                socket.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            }
            socket.bind(address, backlog);
            return socket;
        } catch (IOException | RuntimeException e) {
            socket.close(); // closes the channel too
            throw e;
        }
    }

    /**
     * The listening socket on standard input. {@link System#inheritedChannel()} returns it
     * as a {@link ServerSocketChannel} when file descriptor 0 is a listening stream socket;
     * its adaptor accepts in blocking mode, as every other listener here.
     */
    private static ServerSocket inherited() throws IOException {
        if (!(System.inheritedChannel() instanceof ServerSocketChannel channel)) {
            throw new NotInherited();
        }
        channel.configureBlocking(true);
        return channel.socket();
    }

    /** Whether {@code address} is {@code 0.0.0.0}, which takes IPv4 clients only. */
    public static boolean isIpv4Wildcard(InetSocketAddress address) {
        return address.getAddress() instanceof Inet4Address && address.getAddress().isAnyLocalAddress();
    }
}
