package dev.loombalancer.proxy;

import dev.loombalancer.net.ProxyHeader;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;

/**
 * {@code --accept-proxy}: reads the PROXY protocol header an upstream balancer starts its
 * connection with, on the connection's own thread, bounded in time and size.
 *
 * <p>It reads whatever has arrived rather than byte by byte, so the client's first bytes
 * may come along with the header: they are kept, and sent to the backend before anything
 * else ({@link #pending}), so nothing the client sent is lost.
 *
 * @param client  who the header says the client is; null if it names nobody (a LOCAL or
 *                UNKNOWN header, such as an upstream's health check): the peer then counts
 * @param pending the client's bytes read past the header
 */
public record UpstreamHeader(InetSocketAddress client, byte[] pending) {

    /** The header did not come in time, or was not one: the connection is closed, with this reason. */
    public static final class Refused extends IOException {
        Refused(String reason) {
            super(reason);
        }
    }

    /**
     * Reads the header; at most {@link ProxyHeader#MAX_LENGTH} bytes, within {@code timeout}
     * however slowly they trickle in.
     *
     * @throws Refused     no valid header within the time
     * @throws IOException the connection failed
     */
    public static UpstreamHeader read(Socket socket, Duration timeout) throws IOException {
        byte[] buffer = new byte[ProxyHeader.MAX_LENGTH];
        int length = 0;
        long deadline = System.nanoTime() + timeout.toNanos();
        InputStream in = socket.getInputStream();
        int before = socket.getSoTimeout();
        try {
            while (true) {
                ProxyHeader.Received header;
                try {
                    header = ProxyHeader.parse(buffer, length);
                } catch (ProxyHeader.Malformed e) {
                    throw new Refused(e.getMessage());
                }
                if (header != null) {
                    return new UpstreamHeader(header.client(), Arrays.copyOfRange(buffer, header.length(), length));
                }
                // A time left per read, not one timeout per read: a peer trickling a byte at a
                // time must not stretch the wait.
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new Refused("no complete PROXY header within --preread-timeout");
                }
                socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
                int n;
                try {
                    n = in.read(buffer, length, buffer.length - length);
                } catch (SocketTimeoutException e) {
                    throw new Refused("no complete PROXY header within --preread-timeout");
                }
                if (n < 0) {
                    throw new Refused("closed before its PROXY header was complete");
                }
                length += n;
            }
        } finally {
            if (!socket.isClosed()) {
                socket.setSoTimeout(before);
            }
        }
    }
}
