package dev.loombalancer.proxy;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A socket's input stream whose {@link #transferTo} holds almost no memory while the
 * connection is idle.
 *
 * <p>{@code InputStream.transferTo} allocates a 16 KiB array and keeps it for as long as
 * the thread is parked in {@code read}: for an idle proxied connection, that is forever,
 * and the two directions' arrays are most of what an idle connection costs. Here the
 * thread parks on a small array instead. A read that fills it means bytes are flowing, so
 * the copy borrows a large array from a shared {@link BufferPool} and keeps reading what
 * the socket has already buffered ({@code available()}); as soon as nothing is left, it
 * writes, gives the array back, and parks on the small one again.
 *
 * <p>Small messages (an HTTP request, a database query) thus cost one read and one write,
 * as with {@code transferTo}, and bulk transfers move up to 64 KiB per system call.
 */
final class BurstInputStream extends FilterInputStream {

    /**
     * What a parked direction holds. A typical request or small response still fits in
     * one read; anything longer goes through the burst path at the cost of one more
     * system call ({@code available()}).
     */
    static final int PARKING_BYTES = 256;
    static final int BURST_BYTES = 64 * 1024;
    private static final BufferPool BURST_BUFFERS = new BufferPool(64, BURST_BYTES);

    BurstInputStream(InputStream in) {
        super(in);
    }

    /** Copies until end of stream, as {@code InputStream.transferTo}; returns the bytes copied. */
    @Override
    public long transferTo(OutputStream out) throws IOException {
        byte[] parking = new byte[PARKING_BYTES];
        long copied = 0;
        for (int n; (n = in.read(parking, 0, parking.length)) >= 0; ) {
            if (n < parking.length) {
                out.write(parking, 0, n);
                copied += n;
                continue;
            }
            long burst = burst(parking, out);
            if (burst < 0) {
                return copied - burst - 1; // the burst ended at end of stream
            }
            copied += burst;
        }
        return copied;
    }

    /**
     * Copies the full parking array and whatever else the socket has buffered, through a
     * borrowed large array. Returns the bytes copied, or {@code -(bytes + 1)} if the
     * stream ended meanwhile.
     */
    private long burst(byte[] parking, OutputStream out) throws IOException {
        byte[] buffer = BURST_BUFFERS.take();
        try {
            System.arraycopy(parking, 0, buffer, 0, parking.length);
            int filled = parking.length;
            long copied = 0;
            while (true) {
                int available = in.available();
                if (available == 0 || filled == buffer.length) {
                    out.write(buffer, 0, filled);
                    copied += filled;
                    filled = 0;
                    if (available == 0) {
                        return copied;
                    }
                }
                // Cannot block: at least one byte is buffered.
                int n = in.read(buffer, filled, Math.min(available, buffer.length - filled));
                if (n < 0) {
                    out.write(buffer, 0, filled);
                    return -(copied + filled + 1);
                }
                filled += n;
            }
        } finally {
            BURST_BUFFERS.give(buffer);
        }
    }
}
