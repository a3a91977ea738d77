package dev.loombalancer.proxy;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;

/**
 * The first bytes of a client connection, read before it is proxied: an upstream's PROXY
 * header ({@link UpstreamHeader}), a TLS ClientHello's server name ({@link ServerName}).
 * They are read on the connection's own thread, within one deadline however slowly they
 * trickle in, and into a buffer of bounded size. Whatever is read and not consumed goes
 * to the backend first ({@link #rest()}), so nothing the client sent is lost.
 */
public final class Preread {

    /** The bytes did not come in time, or were not what they must be: the connection is closed, with this reason. */
    public static final class Refused extends IOException {
        Refused(String reason) {
            super(reason);
        }
    }

    /** Tells from the bytes read so far: a result, or null while more are needed. */
    interface Parser<T> {
        T parse(byte[] bytes, int length) throws Refused;
    }

    private final Socket socket;
    private final long deadlineNanos;
    private byte[] buffer = new byte[512];
    private int start; // bytes before this one were consumed
    private int length;

    /** Starts the clock: everything read through this object shares {@code timeout}. */
    public Preread(Socket socket, Duration timeout) {
        this.socket = socket;
        this.deadlineNanos = System.nanoTime() + timeout.toNanos();
    }

    /** The bytes read and not consumed, from index 0: {@code bytes()[0, length())}. */
    byte[] bytes() {
        compact();
        return buffer;
    }

    /** How many bytes are read and not consumed. */
    int length() {
        return length - start;
    }

    /** The first {@code count} unconsumed bytes were a header: what follows is the client's. */
    void consume(int count) {
        start += count;
    }

    private void compact() {
        if (start > 0) { // consumed bytes are not kept
            System.arraycopy(buffer, start, buffer, 0, length - start);
            length -= start;
            start = 0;
        }
    }

    /** The unconsumed bytes, for the backend. */
    public byte[] rest() {
        return Arrays.copyOfRange(buffer, start, length);
    }

    /**
     * Reads until {@code parser} can tell, at most {@code max} unconsumed bytes.
     *
     * @param waitingFor what the reason says did not come ("PROXY header")
     * @throws Refused the parser refused the bytes, or they did not come in time or size
     */
    <T> T readUntil(int max, String waitingFor, Parser<T> parser) throws IOException {
        while (true) {
            T result = parser.parse(bytes(), length());
            if (result != null) {
                return result;
            }
            readMore(max, waitingFor);
        }
    }

    /**
     * Reads whatever has arrived, at least one byte, keeping at most {@code max} unconsumed.
     *
     * @param waitingFor what the reason says did not come ("PROXY header")
     * @throws Refused the deadline passed, the client closed, or {@code max} bytes are already here
     */
    private void readMore(int max, String waitingFor) throws IOException {
        if (length() >= max) {
            throw new Refused("no complete " + waitingFor + " in its first " + max + " bytes");
        }
        compact();
        if (buffer.length < max) {
            buffer = Arrays.copyOf(buffer, Math.min(max, Math.max(buffer.length * 2, length + 512)));
        }
        // The time left, not a fresh timeout per read: a client trickling a byte at a time
        // must not stretch the wait.
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
            throw new Refused("no complete " + waitingFor + " within --preread-timeout");
        }
        int before = socket.getSoTimeout();
        int n;
        try {
            socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
            n = socket.getInputStream().read(buffer, length, Math.min(buffer.length, max) - length);
        } catch (SocketTimeoutException e) {
            throw new Refused("no complete " + waitingFor + " within --preread-timeout");
        } finally {
            if (!socket.isClosed()) {
                socket.setSoTimeout(before);
            }
        }
        if (n < 0) {
            throw new Refused("closed before its " + waitingFor + " was complete");
        }
        length += n;
    }
}
