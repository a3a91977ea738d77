package dev.loombalancer.testing;

import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;

/** A line-oriented client with a read timeout, so a broken balancer fails a test instead of hanging it. */
public final class TestClient implements AutoCloseable {

    public static final int READ_TIMEOUT_MILLIS = 10_000;

    private final Socket socket;
    private final BufferedReader in;

    public TestClient(InetSocketAddress server) throws IOException {
        this(server, null);
    }

    /**
     * A client from a chosen local address, such as 127.0.0.2: on Linux all of 127.0.0.0/8
     * is loopback, which gives tests as many distinct client addresses as they need.
     */
    public TestClient(InetSocketAddress server, InetAddress from) throws IOException {
        socket = new Socket();
        if (from != null) {
            socket.bind(new InetSocketAddress(from, 0));
        }
        socket.connect(server, READ_TIMEOUT_MILLIS);
        socket.setSoTimeout(READ_TIMEOUT_MILLIS);
        in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    }

    /** Sends one line and returns the reply line (null if the connection was closed instead). */
    public String exchange(String line) throws IOException {
        send(line);
        return in.readLine();
    }

    public void send(String line) throws IOException {
        socket.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
    }

    public String readLine() throws IOException {
        return in.readLine();
    }

    /** Sends one line and returns the name of the backend that answered ("B1" for "Hello from B1: …"). */
    public String backendName(String line) throws IOException {
        String reply = exchange(line);
        if (reply == null || !reply.startsWith("Hello from ")) {
            throw new IOException("not a hello reply: " + reply);
        }
        return reply.substring("Hello from ".length(), reply.indexOf(':'));
    }

    /** One connection, one line: the name of the backend that answered it. */
    public static String backendOf(InetSocketAddress server, InetAddress from) throws IOException {
        try (TestClient client = new TestClient(server, from)) {
            return client.backendName("hi");
        }
    }

    /**
     * Asserts that the balancer closed this connection: end of stream, or a reset (which
     * the kernel sends instead when bytes the client sent were never read).
     */
    public void assertClosed() throws IOException {
        try {
            assertNull(in.readLine(), "the balancer closes the client's connection");
        } catch (SocketException reset) {
            // closed with a reset: also closed
        }
    }

    public Socket socket() {
        return socket;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
