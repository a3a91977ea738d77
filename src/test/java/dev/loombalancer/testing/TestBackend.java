package dev.loombalancer.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real backend server on 127.0.0.1 and an ephemeral port, serving each connection on its
 * own virtual thread with one of a few behaviours. Closing it closes every socket it opened.
 */
public final class TestBackend implements AutoCloseable {

    /** What the backend does with one accepted connection. */
    @FunctionalInterface
    public interface Behaviour {
        void serve(Socket socket) throws IOException;
    }

    private final ServerSocket listener;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();
    private final Thread acceptor;

    private TestBackend(Behaviour behaviour) throws IOException {
        this(InetAddress.getLoopbackAddress(), behaviour);
    }

    private TestBackend(InetAddress bindAddress, Behaviour behaviour) throws IOException {
        this(new InetSocketAddress(bindAddress, 0), behaviour);
    }

    private TestBackend(InetSocketAddress bindAddress, Behaviour behaviour) throws IOException {
        listener = new ServerSocket();
        listener.setReuseAddress(true); // a restarted backend rebinds its old port at once
        listener.bind(bindAddress, 512);
        acceptor = Thread.ofVirtual().start(() -> acceptLoop(behaviour));
    }

    /** A backend with any behaviour, on a given address (port 0: any free port, or a killed one's port). */
    public static TestBackend serving(InetSocketAddress bindAddress, Behaviour behaviour) throws IOException {
        return new TestBackend(bindAddress, behaviour);
    }

    /** Answers every line with {@code Hello from NAME: line}, like the seed's backends. */
    public static TestBackend hello(String name) throws IOException {
        return hello(name, InetAddress.getLoopbackAddress());
    }

    /** Like {@link #hello(String)}, listening on {@code bindAddress} (such as ::1). */
    public static TestBackend hello(String name, InetAddress bindAddress) throws IOException {
        return hello(name, new InetSocketAddress(bindAddress, 0));
    }

    /** Like {@link #hello(String)}, on a given address and port: how a killed backend is restarted. */
    public static TestBackend hello(String name, InetSocketAddress bindAddress) throws IOException {
        return new TestBackend(bindAddress, socket -> {
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = socket.getOutputStream();
            for (String line; (line = in.readLine()) != null; ) {
                out.write(("Hello from " + name + ": " + line + "\n").getBytes(StandardCharsets.UTF_8));
            }
        });
    }

    /**
     * Echoes every byte back and, at end of stream, sends nothing more but records the
     * SHA-256 of all it received in {@code digests}.
     */
    public static TestBackend hashingEcho(Set<String> digests) throws IOException {
        return new TestBackend(socket -> {
            MessageDigest sha = Sha256.newDigest();
            byte[] buffer = new byte[8192];
            OutputStream out = socket.getOutputStream();
            for (int n; (n = socket.getInputStream().read(buffer)) >= 0; ) {
                sha.update(buffer, 0, n);
                out.write(buffer, 0, n);
            }
            digests.add(HexFormat.of().formatHex(sha.digest()));
            socket.shutdownOutput();
        });
    }

    /** Reads until the client half-closes, and only then replies {@code NAME got N bytes}. */
    public static TestBackend replyAfterEof(String name) throws IOException {
        return new TestBackend(socket -> {
            long n = socket.getInputStream().transferTo(OutputStream.nullOutputStream());
            socket.getOutputStream().write((name + " got " + n + " bytes\n").getBytes(StandardCharsets.UTF_8));
        });
    }

    /**
     * Half-closes first: sends {@code greeting} and shuts down its output at once, then
     * reads until the client's end of stream and records how many bytes it got.
     */
    public static TestBackend greetFirst(String greeting, Queue<Long> receivedCounts) throws IOException {
        return new TestBackend(socket -> {
            socket.getOutputStream().write((greeting + "\n").getBytes(StandardCharsets.UTF_8));
            socket.shutdownOutput();
            receivedCounts.add(socket.getInputStream().transferTo(OutputStream.nullOutputStream()));
        });
    }

    /** Reads one line, then resets the connection (RST, not FIN), as a crashing server would. */
    public static TestBackend resetAfterFirstLine() throws IOException {
        return new TestBackend(socket -> {
            new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8)).readLine();
            socket.setSoLinger(true, 0);
            socket.close();
        });
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    /** Connections this backend has accepted so far. */
    public int accepted() {
        return accepted.get();
    }

    /** Connections currently open on this backend. */
    public int open() {
        return open.size();
    }

    private void acceptLoop(Behaviour behaviour) {
        while (!listener.isClosed()) {
            Socket socket;
            try {
                socket = listener.accept();
            } catch (IOException e) {
                return;
            }
            accepted.incrementAndGet();
            open.add(socket);
            Thread.ofVirtual().start(() -> {
                try (socket) {
                    behaviour.serve(socket);
                } catch (IOException e) {
                    // the peer went away; nothing to serve
                } finally {
                    open.remove(socket);
                }
            });
        }
    }

    /** Dies like a crashed process: stops listening and resets every open connection. */
    public void kill() {
        for (Socket socket : open) {
            try {
                socket.setSoLinger(true, 0);
            } catch (IOException alreadyClosed) {
                // its handler closed it first: nothing left to reset
            }
        }
        close();
    }

    @Override
    public void close() {
        try {
            listener.close();
            for (Socket socket : open) {
                socket.close();
            }
            acceptor.join();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
