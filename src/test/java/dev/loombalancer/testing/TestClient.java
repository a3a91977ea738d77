package dev.loombalancer.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A line-oriented client with a read timeout, so a broken balancer fails a test instead of hanging it. */
public final class TestClient implements AutoCloseable {

    public static final int READ_TIMEOUT_MILLIS = 10_000;

    private final Socket socket;
    private final BufferedReader in;

    public TestClient(InetSocketAddress server) throws IOException {
        socket = new Socket();
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

    public Socket socket() {
        return socket;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
