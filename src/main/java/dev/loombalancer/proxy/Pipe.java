package dev.loombalancer.proxy;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.util.concurrent.Callable;

/**
 * One direction of a proxied connection: copies bytes from one socket to the other until
 * end of stream, then passes the end of stream on.
 *
 * <p>This is plain blocking code, and on a virtual thread that is the point: a read with
 * nothing to read parks the virtual thread and frees its carrier for other connections,
 * so tens of thousands of idle pipes cost memory, not threads. A write blocks until the
 * peer's socket buffer has room, which is backpressure for free: a slow reader slows the
 * fast writer instead of filling our heap.
 */
final class Pipe implements Callable<Long> {

    private final Socket from;
    private final Socket to;
    private final Activity activity;
    private final String endOfStream;
    private volatile long bytes;

    /**
     * @param activity    touched for every chunk copied, for the idle timeout
     * @param endOfStream what reaching end of stream means, for the access log ("client closed")
     */
    Pipe(Socket from, Socket to, Activity activity, String endOfStream) {
        this.from = from;
        this.to = to;
        this.activity = activity;
        this.endOfStream = endOfStream;
    }

    /** Copies until end of stream; returns the number of bytes copied. */
    @Override
    public Long call() throws IOException {
        new BurstInputStream(from.getInputStream()).transferTo(new Counting(to.getOutputStream()));
        activity.ended(endOfStream);
        // Half-close: the sender is done, so tell the receiver (a FIN), but keep the
        // other direction open; a reply may still be on its way back. Closing the
        // socket here instead would cut that reply off.
        to.shutdownOutput();
        return bytes;
    }

    /** Bytes copied so far; exact once the pipe has finished. */
    long bytes() {
        return bytes;
    }

    /** Counts what passes through; only this pipe's thread writes the count. */
    private final class Counting extends FilterOutputStream {
        Counting(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] buffer, int offset, int length) throws IOException {
            out.write(buffer, offset, length);
            bytes += length;
            activity.touch();
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            bytes++;
            activity.touch();
        }
    }
}
