package dev.loombalancer.health;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * What a probe asks a backend once it has connected: nothing ({@code tcp}, the handshake
 * is the check), an HTTP request whose status must fall in a range ({@code http}, the
 * Patroni pattern for PostgreSQL), or bytes whose reply must start with given bytes
 * ({@code send-expect}: redis {@code PING\r\n} → {@code +PONG}). A {@code port} other than
 * 0 probes that port of the backend's host instead of its traffic port (Patroni answers on
 * 8008 for a database on 5432).
 */
public record HealthCheck(Kind kind, String httpPath, int statusLow, int statusHigh, byte[] send, byte[] expect,
                          int port) {

    /** {@code --health-check}: tcp, http, send-expect. */
    public enum Kind {
        TCP, HTTP, SEND_EXPECT;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** The most of a reply a check reads: a status line, or the start of a protocol's answer. */
    static final int MAX_REPLY = 4096;

    public static final HealthCheck TCP = new HealthCheck(Kind.TCP, "/", 200, 399, new byte[0], new byte[0], 0);

    /** Why a check failed, in words for the log and /status ("HTTP 503, expected 200-399"). */
    static final class Failed extends Exception {
        Failed(String reason) {
            super(reason);
        }
    }

    /** "http GET /health", "send-expect 'PING\r\n' -> '+PONG'", "tcp": for the start-up line. */
    public String describe() {
        String on = port == 0 ? "" : " on port " + port;
        return switch (kind) {
            case TCP -> "tcp" + on;
            case HTTP -> "http GET " + httpPath + " (" + statusLow + "-" + statusHigh + ")" + on;
            case SEND_EXPECT -> "send-expect " + Escapes.show(send) + " -> " + Escapes.show(expect) + on;
        };
    }

    /**
     * Asks the connected backend, within {@code deadlineNanos} (on the nanoTime clock);
     * returns what it answered, for the log, or throws why it failed.
     */
    String ask(Socket socket, String hostHeader, long deadlineNanos) throws IOException, Failed {
        return switch (kind) {
            case TCP -> "connected";
            case HTTP -> http(socket, hostHeader, deadlineNanos);
            case SEND_EXPECT -> sendExpect(socket, deadlineNanos);
        };
    }

    private String http(Socket socket, String hostHeader, long deadlineNanos) throws IOException, Failed {
        String request = "GET " + httpPath + " HTTP/1.0\r\nHost: " + hostHeader
                + "\r\nUser-Agent: loom-balancer health check\r\nConnection: close\r\n\r\n";
        socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        byte[] reply = read(socket, deadlineNanos, 13); // "HTTP/1.1 200 " is 13 bytes
        String line = new String(reply, StandardCharsets.ISO_8859_1);
        int end = line.indexOf('\r');
        line = end < 0 ? line : line.substring(0, end);
        String[] parts = line.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/") || parts[1].length() != 3
                || !parts[1].chars().allMatch(Character::isDigit)) {
            throw new Failed("not an HTTP reply: " + Escapes.show(Arrays.copyOf(reply, Math.min(reply.length, 40))));
        }
        int status = Integer.parseInt(parts[1]);
        if (status < statusLow || status > statusHigh) {
            throw new Failed("HTTP " + status + ", expected " + statusLow + "-" + statusHigh);
        }
        return "HTTP " + status;
    }

    private String sendExpect(Socket socket, long deadlineNanos) throws IOException, Failed {
        socket.getOutputStream().write(send);
        byte[] reply = read(socket, deadlineNanos, expect.length);
        byte[] start = Arrays.copyOf(reply, Math.min(reply.length, expect.length));
        if (!Arrays.equals(start, expect)) {
            throw new Failed("replied " + Escapes.show(Arrays.copyOf(reply, Math.min(reply.length, 40)))
                    + ", expected " + Escapes.show(expect));
        }
        return "replied " + Escapes.show(start);
    }

    /**
     * Reads until {@code enough} bytes have come, the peer closes, or the deadline passes,
     * at most {@link #MAX_REPLY}: a backend that trickles its answer cannot hold a probe
     * past the health timeout.
     */
    private static byte[] read(Socket socket, long deadlineNanos, int enough) throws IOException, Failed {
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream reply = new ByteArrayOutputStream();
        byte[] buffer = new byte[512];
        while (reply.size() < Math.max(1, enough) && reply.size() < MAX_REPLY) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                throw new Failed("no full reply within the health timeout");
            }
            socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
            int n;
            try {
                n = in.read(buffer, 0, Math.min(buffer.length, MAX_REPLY - reply.size()));
            } catch (SocketTimeoutException e) {
                throw new Failed(reply.size() == 0 ? "no reply within the health timeout"
                        : "no full reply within the health timeout");
            }
            if (n < 0) {
                if (reply.size() == 0) {
                    throw new Failed("closed without a reply");
                }
                break;
            }
            reply.write(buffer, 0, n);
        }
        return reply.toByteArray();
    }

    // The byte arrays compare by content: a reload must see an unchanged check as unchanged.
    @Override
    public boolean equals(Object other) {
        return other instanceof HealthCheck that && kind == that.kind && httpPath.equals(that.httpPath)
                && statusLow == that.statusLow && statusHigh == that.statusHigh && Arrays.equals(send, that.send)
                && Arrays.equals(expect, that.expect) && port == that.port;
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, httpPath, statusLow, statusHigh, Arrays.hashCode(send),
                Arrays.hashCode(expect), port);
    }

    @Override
    public String toString() {
        return describe();
    }
}
