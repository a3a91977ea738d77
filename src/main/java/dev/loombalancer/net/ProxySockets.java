package dev.loombalancer.net;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * The sockets that carry clients' bytes: the {@code Socket} and {@code ServerSocket}
 * adaptors of NIO channels, rather than plain ones.
 *
 * <p>The code around them stays plain blocking {@code Socket} code; the channel behind
 * each is what lets the pipe copy bulk bytes between two sockets through a direct buffer,
 * with no copy through the heap ({@code proxy.BurstInputStream}). A plain {@code Socket}
 * has no channel to offer.
 */
public final class ProxySockets {

    /**
     * The diagnostic switch {@code -Dloom.diagnostic.sockets=stream} makes plain sockets
     * instead, to measure what the channels change (docs/experiments.md). The
     * {@code 0.0.0.0} listener stays a channel either way ({@link Listeners}).
     */
    static final boolean PLAIN = "stream".equals(System.getProperty("loom.diagnostic.sockets"));

    private ProxySockets() {
    }

    /**
     * A new, unconnected socket for a connection to {@code backend}: an IPv4 socket for an
     * IPv4 address, otherwise the JDK's default (IPv6 that takes IPv4 too).
     */
    public static Socket forBackend(InetSocketAddress backend) throws IOException {
        if (PLAIN) {
            // NO_PROXY: new Socket() would wrap a SOCKS implementation that asks the
            // ProxySelector on every connect, which is work per connection for nothing.
            return new Socket(Proxy.NO_PROXY);
        }
        // SocketChannel.open() makes an AF_INET6 socket on a machine with IPv6, and the
        // JDK's native socket0 then sets IPV6_V6ONLY off on it: one system call per
        // connection that an AF_INET socket does not need.
        return backend.getAddress() instanceof Inet4Address
                ? SocketChannel.open(StandardProtocolFamily.INET).socket()
                : SocketChannel.open().socket();
    }

    /**
     * A new, unbound listening socket; it accepts in blocking mode, as a plain one.
     *
     * @param ipv4Only an IPv4 socket; otherwise IPv6 that takes IPv4 too, as the JDK makes
     *                 sockets on a machine with IPv6
     */
    static ServerSocket listening(boolean ipv4Only) throws IOException {
        if (ipv4Only) {
            return ServerSocketChannel.open(StandardProtocolFamily.INET).socket();
        }
        return PLAIN ? new ServerSocket() : ServerSocketChannel.open().socket();
    }
}
