package dev.loombalancer.net;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

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
     * Connects a socket from {@link #forBackend} to {@code backend}, as
     * {@code socket.connect(backend, timeoutMillis)} does, in three system calls fewer when
     * the connection is made at once (as to loopback), two fewer when it is not.
     *
     * <p>A channel socket's timed connect switches the socket to non-blocking mode,
     * connects, waits, and switches it back to blocking ({@code SocketChannelImpl.blockingConnect});
     * a virtual thread's first read then makes it non-blocking again, for good: six
     * {@code fcntl} calls. Connecting the channel in non-blocking mode itself leaves the
     * socket non-blocking, and on a virtual thread putting the channel back in blocking
     * mode then makes no system call: the JDK keeps such a socket non-blocking underneath
     * ({@code configureSocketNonBlockingIfVirtualThread}) and parks the thread whenever a
     * read or write would block.
     *
     * @param timeoutMillis positive ({@code BalancerConfig} checks {@code --connect-timeout})
     * @throws SocketTimeoutException if the connection is neither made nor refused within
     *                                the timeout; the socket is then closed
     */
    public static void connect(Socket socket, InetSocketAddress backend, int timeoutMillis) throws IOException {
        SocketChannel channel = socket.getChannel();
        if (channel == null || backend.isUnresolved()) {
            socket.connect(backend, timeoutMillis); // it throws the UnknownHostException
            return;
        }
        channel.configureBlocking(false);
        // To loopback the kernel has usually made the connection by the time connect
        // returns, so one poll (finishConnect) sees it made; a failure closes the channel.
        boolean connected = channel.connect(backend) || channel.finishConnect();
        channel.configureBlocking(true);
        if (!connected) {
            awaitConnection(channel, timeoutMillis);
        }
    }

    /**
     * Waits for a connection in progress: a blocking {@code finishConnect} parks the
     * virtual thread until the connection is made or refused. At the deadline the timer
     * closes the channel, which wakes it. The JDK's timed connect parks with a timeout,
     * and a timed park schedules its wake-up on the same kind of timer (one thread,
     * cancelled tasks removed: {@code VirtualThread}'s "VirtualThread-unparker").
     */
    private static void awaitConnection(SocketChannel channel, int timeoutMillis) throws IOException {
        ScheduledFuture<?> deadline = ConnectTimer.INSTANCE.schedule(() -> Closer.closeQuietly(channel),
                timeoutMillis, TimeUnit.MILLISECONDS);
        try {
            channel.finishConnect();
        } catch (IOException e) {
            if (!deadline.cancel(false)) {
                throw timedOut(e);
            }
            throw e;
        }
        // Connected, but if the timer has run or is running, the socket is closed under us.
        if (!deadline.cancel(false)) {
            throw timedOut(null);
        }
    }

    private static SocketTimeoutException timedOut(IOException cause) {
        SocketTimeoutException timeout = new SocketTimeoutException("connect timed out");
        timeout.initCause(cause);
        return timeout;
    }

    /** One platform thread that closes the connects that outlive their timeout. */
    private static final class ConnectTimer {
        static final ScheduledThreadPoolExecutor INSTANCE = create();

        private static ScheduledThreadPoolExecutor create() {
            ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1,
                    Thread.ofPlatform().daemon().name("loom-connect-timer").factory());
            // A cancelled deadline leaves the queue at once, not when it would have expired:
            // most connects are cancelled, and at thousands a second they would pile up.
            timer.setRemoveOnCancelPolicy(true);
            return timer;
        }
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
