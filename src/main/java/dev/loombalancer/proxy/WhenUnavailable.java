package dev.loombalancer.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** What a client gets when no backend can be reached: {@code --when-unavailable}. */
public enum WhenUnavailable {

    /** Close the connection; the client sees an end of stream. Right for any protocol. */
    CLOSE,

    /** Answer a minimal HTTP 502 first, so HTTP clients and browsers show a real error. */
    HTTP_502;

    private static final byte[] BAD_GATEWAY = ("HTTP/1.1 502 Bad Gateway\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\n"
            + "Content-Length: 31\r\n"
            + "Connection: close\r\n"
            + "\r\n"
            + "502 Bad Gateway: no backend up\n").getBytes(StandardCharsets.US_ASCII);
    /** How long we keep reading what the client sent after answering; see {@link #drain}. */
    static final int LINGER_MILLIS = 1_000;
    private static final int LINGER_MAX_BYTES = 64 * 1024;

    /** Answers the client as configured; the caller closes the socket afterwards. */
    void answer(Socket client) throws IOException {
        if (this == HTTP_502) {
            client.getOutputStream().write(BAD_GATEWAY);
            client.shutdownOutput();
            drain(client);
        }
    }

    /**
     * Reads and drops what the client sent (its request) until it closes, for at most
     * {@link #LINGER_MILLIS} in all and {@link #LINGER_MAX_BYTES}. Closing a socket with
     * unread input makes the kernel send a reset, and a reset can reach the client before
     * it has read our 502, which it would then never see. The time is a deadline for the
     * whole drain, not a timeout per read: a client trickling a byte a second must not
     * hold this thread for hours.
     */
    private static void drain(Socket client) throws IOException {
        long deadline = System.nanoTime() + LINGER_MILLIS * 1_000_000L;
        InputStream in = client.getInputStream();
        byte[] buffer = new byte[4096];
        int total = 0;
        try {
            while (total < LINGER_MAX_BYTES) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    return;
                }
                client.setSoTimeout((int) left);
                int n = in.read(buffer);
                if (n < 0) {
                    return;
                }
                total += n;
            }
        } catch (SocketTimeoutException e) {
            // the client kept the connection open; we have waited long enough
        }
    }

    /** What the client gets, for the log line that says a client was not served. */
    public String action() {
        return this == HTTP_502 ? "answering the client 502 Bad Gateway and closing" : "closing the client connection";
    }

    /** The name as written on the command line: {@code close}, {@code http-502}. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
