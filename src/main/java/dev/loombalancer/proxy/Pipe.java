package dev.loombalancer.proxy;

import dev.loombalancer.concurrent.StructuredScope;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * One direction of a proxied connection: copies bytes from one socket to the other until
 * end of stream, then passes the end of stream on.
 *
 * <p>This is plain blocking code, and on a virtual thread that is the point: a read with
 * nothing to read parks the virtual thread and frees its carrier for other connections,
 * so tens of thousands of idle pipes cost memory, not threads. A write parks while our
 * own send buffer for that socket is full (the kernel empties it only as fast as the
 * peer acknowledges), which is backpressure for free: a slow reader slows the fast
 * writer, and the stalled direction holds one copy buffer, not a growing heap.
 */
final class Pipe implements StructuredScope.Task {

    /**
     * The diagnostic switch {@code -Dloom.diagnostic.copy=transferTo} copies with the plain
     * {@code InputStream.transferTo}, to see in a class histogram what
     * {@link BurstInputStream} saves on idle connections (docs/experiments.md).
     */
    static final boolean PLAIN_TRANSFER_TO = "transferTo".equals(System.getProperty("loom.diagnostic.copy"));

    private final Socket from;
    private final Socket to;
    private final Activity activity;
    private final String endOfStream;
    private final boolean towardBackend;
    private volatile long bytes;

    /**
     * @param activity    touched for every chunk copied, for the idle timeout
     * @param endOfStream what reaching end of stream means, for the access log ("client closed")
     * @param towardBackend whether this pipe copies the client's bytes to the backend
     */
    Pipe(Socket from, Socket to, Activity activity, String endOfStream, boolean towardBackend) {
        this.from = from;
        this.to = to;
        this.activity = activity;
        this.endOfStream = endOfStream;
        this.towardBackend = towardBackend;
    }

    /** Copies until end of stream, then half-closes the receiving socket. */
    @Override
    public void run() throws IOException {
        // Bulk bytes go from channel to channel through a direct buffer when both sockets
        // have a channel (net.ProxySockets); a plain socket has none.
        SocketChannel source = to.getChannel() == null ? null : from.getChannel();
        InputStream in = PLAIN_TRANSFER_TO ? from.getInputStream() : new BurstInputStream(from.getInputStream(), source);
        in.transferTo(new Counting(to.getOutputStream(), to.getChannel()));
        activity.ended(endOfStream);
        // Half-close: the sender is done, so tell the receiver (a FIN), but keep the
        // other direction open; a reply may still be on its way back. Closing the
        // socket here instead would cut that reply off.
        to.shutdownOutput();
    }

    /**
     * Bytes copied so far; exact once the pipe has finished. Counted here rather than taken
     * from {@code transferTo}'s result, which a failed copy never returns.
     */
    long bytes() {
        return bytes;
    }

    /** Counts what passes through; only this pipe's thread writes the count. */
    private final class Counting extends FilterOutputStream implements BurstInputStream.BufferSink {
        private final SocketChannel channel;

        /** @param channel the channel {@code out} writes to, or null */
        Counting(OutputStream out, SocketChannel channel) {
            super(out);
            this.channel = channel;
        }

        @Override
        public void write(ByteBuffer buffer) throws IOException {
            int length = buffer.remaining();
            // A blocking channel's write parks until it has written something, not all.
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            bytes += length;
            activity.touch(towardBackend);
        }

        @Override
        public void write(byte[] buffer, int offset, int length) throws IOException {
            out.write(buffer, offset, length);
            bytes += length;
            activity.touch(towardBackend);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            bytes++;
            activity.touch(towardBackend);
        }
    }
}
