package dev.loombalancer.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;

/** Loopback addresses that misbehave on purpose. */
public final class Ports {

    private Ports() {
    }

    /** A loopback port nothing listens on, so connecting to it is refused at once. */
    /** A loopback port free just now, for a process that must be told its port rather than pick one. */
    public static InetSocketAddress free() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), socket.getLocalPort());
        }
    }

    public static InetSocketAddress refusing() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return (InetSocketAddress) probe.getLocalSocketAddress();
        }
    }

    /**
     * A listener that never accepts and whose queue is already full, so a new connection
     * attempt is neither accepted nor refused: Linux drops the SYN and the connect times out.
     */
    public static final class BlackHole implements AutoCloseable {
        private final ServerSocket listener;
        private final List<Socket> fillers = new ArrayList<>();

        public BlackHole() throws IOException {
            this(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        }

        /** A black hole at a given address: a backend that was alive there a moment ago turns silent. */
        public BlackHole(InetSocketAddress at) throws IOException {
            listener = new ServerSocket();
            listener.setReuseAddress(true);
            listener.bind(at, 1);
            for (int i = 0; i < 16; i++) {
                Socket filler = new Socket();
                try {
                    filler.connect(listener.getLocalSocketAddress(), 200);
                    fillers.add(filler);
                } catch (SocketTimeoutException full) {
                    filler.close();
                    return; // the queue is full: the next SYN will be dropped too
                }
            }
            close();
            throw new IllegalStateException("the accept queue never filled up; cannot make a black hole");
        }

        public InetSocketAddress address() {
            return (InetSocketAddress) listener.getLocalSocketAddress();
        }

        @Override
        public void close() throws IOException {
            for (Socket filler : fillers) {
                filler.close();
            }
            listener.close();
        }
    }
}
