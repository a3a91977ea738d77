package dev.loombalancer.proxy;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * A socket's input stream whose {@link #transferTo} holds almost no memory while the
 * connection is idle, and copies bulk bytes without passing them through the heap.
 *
 * <p>{@code InputStream.transferTo} allocates a 16 KiB array and keeps it for as long as
 * the thread is parked in {@code read}: for an idle proxied connection, that is forever,
 * and the two directions' arrays are most of what an idle connection costs. Here the
 * thread parks on a small array instead. A read that fills it means bytes are flowing, so
 * the copy borrows a large buffer from a shared pool and keeps reading what the socket has
 * already buffered ({@code available()}); as soon as nothing is left, it writes, gives the
 * buffer back, and parks on the small one again. It asks {@code available()} again only
 * once what the last answer promised has been read: in a bulk transfer the socket often
 * holds many buffers' worth, and one answer then covers several reads.
 *
 * <p>Small messages (an HTTP request, a database query) thus cost one read and one write,
 * as with {@code transferTo}, and bulk transfers move up to 64 KiB per system call.
 *
 * <p>Between two socket channels the large buffer is a direct {@code ByteBuffer}: the
 * kernel reads into it and writes from it as it is. A socket stream copies through a
 * heap array instead, and the JDK copies each chunk between that array and a temporary
 * direct buffer of its own on the way in and again on the way out
 * ({@code NioSocketImpl.tryRead} and {@code tryWrite}, and the same in
 * {@code SocketChannelImpl} for arrays): two memory copies per chunk that the channel
 * path does not make.
 */
final class BurstInputStream extends FilterInputStream {

    /**
     * What a parked direction holds. A typical request or small response still fits in
     * one read; anything longer goes through the burst path at the cost of one more
     * system call ({@code available()}).
     */
    static final int PARKING_BYTES = 256;
    static final int BURST_BYTES = 64 * 1024;
    private static final BufferPool<byte[]> HEAP_BUFFERS = new BufferPool<>(64, () -> new byte[BURST_BYTES], false);
    /**
     * Direct buffers are made on demand up to the pool's size, all kept and never freed; a
     * burst that finds none free copies through a heap array. Direct memory thus stays
     * bounded and is never left to the garbage collector to reclaim.
     */
    private static final BufferPool<ByteBuffer> DIRECT_BUFFERS =
            new BufferPool<>(64, () -> ByteBuffer.allocateDirect(BURST_BYTES), true);

    private final ReadableByteChannel channel;

    /** @param channel the channel {@code in} reads from, or null if it is a socket stream */
    BurstInputStream(InputStream in, ReadableByteChannel channel) {
        super(in);
        this.channel = channel;
    }

    /** Where a burst writes a direct buffer as it is: the other socket's channel. */
    interface BufferSink {
        /** Writes all of {@code buffer}'s remaining bytes. */
        void write(ByteBuffer buffer) throws IOException;
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
     * borrowed large buffer. Returns the bytes copied, or {@code -(bytes + 1)} if the
     * stream ended meanwhile.
     */
    private long burst(byte[] parking, OutputStream out) throws IOException {
        if (channel != null && out instanceof BufferSink sink) {
            ByteBuffer direct = DIRECT_BUFFERS.take();
            if (direct != null) {
                try {
                    return burst(parking, direct.clear(), sink);
                } finally {
                    DIRECT_BUFFERS.give(direct);
                }
            }
        }
        byte[] buffer = HEAP_BUFFERS.take();
        try {
            System.arraycopy(parking, 0, buffer, 0, parking.length);
            int filled = parking.length;
            long copied = 0;
            int buffered = 0; // what the socket is known to hold still
            while (true) {
                if (buffered == 0) {
                    buffered = in.available();
                }
                if (buffered == 0 || filled == buffer.length) {
                    out.write(buffer, 0, filled);
                    copied += filled;
                    filled = 0;
                    if (buffered == 0) {
                        return copied;
                    }
                }
                // Cannot block: it asks for no more than is buffered.
                int n = in.read(buffer, filled, Math.min(buffered, buffer.length - filled));
                if (n < 0) {
                    out.write(buffer, 0, filled);
                    return -(copied + filled + 1);
                }
                filled += n;
                buffered -= n;
            }
        } finally {
            HEAP_BUFFERS.give(buffer);
        }
    }

    /** The same burst through a direct buffer, from this stream's channel to {@code sink}. */
    private long burst(byte[] parking, ByteBuffer buffer, BufferSink sink) throws IOException {
        buffer.put(parking);
        long copied = 0;
        int buffered = 0; // what the socket is known to hold still
        while (true) {
            if (buffered == 0) {
                buffered = in.available();
            }
            boolean more = buffered > 0;
            if (!more || !buffer.hasRemaining()) {
                copied += buffer.flip().remaining();
                sink.write(buffer);
                buffer.clear();
                if (!more) {
                    return copied;
                }
            }
            // Cannot park: at least one byte is buffered, and a channel read returns what
            // the socket has, up to the buffer's room, without waiting for more.
            int n = channel.read(buffer);
            if (n < 0) {
                copied += buffer.flip().remaining();
                sink.write(buffer);
                return -(copied + 1);
            }
            // More may have come meanwhile; once what was known is used up, ask again.
            buffered = Math.max(0, buffered - n);
        }
    }
}
