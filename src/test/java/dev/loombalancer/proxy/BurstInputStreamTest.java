package dev.loombalancer.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The adaptive copy moves every byte, in order, whatever sizes the socket delivers them in. */
class BurstInputStreamTest {

    /**
     * Like a socket: bytes arrive in chunks; a read returns at most what has arrived of the
     * current chunk, and {@code available()} says how much that is (never more).
     */
    private static final class ChunkedInput extends InputStream implements ReadableByteChannel {
        private final Deque<byte[]> chunks = new ArrayDeque<>();
        private byte[] current = new byte[0];
        private int position;
        int availableCalls;

        ChunkedInput(byte[] data, int[] sizes) {
            int offset = 0;
            for (int i = 0; offset < data.length; i++) {
                int size = Math.min(sizes[i % sizes.length], data.length - offset);
                byte[] chunk = new byte[size];
                System.arraycopy(data, offset, chunk, 0, size);
                chunks.add(chunk);
                offset += size;
            }
        }

        @Override
        public int read() {
            throw new UnsupportedOperationException("the copy reads arrays");
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
            if (position == current.length) {
                if (chunks.isEmpty()) {
                    return -1;
                }
                current = chunks.poll(); // a blocking read waits for the next chunk
                position = 0;
            }
            int n = Math.min(length, current.length - position);
            System.arraycopy(current, position, buffer, offset, n);
            position += n;
            return n;
        }

        @Override
        public int read(ByteBuffer buffer) {
            byte[] array = new byte[buffer.remaining()];
            int n = read(array, 0, array.length);
            if (n > 0) {
                buffer.put(array, 0, n);
            }
            return n;
        }

        @Override
        public int available() {
            availableCalls++;
            return current.length - position;
        }

        @Override
        public boolean isOpen() {
            return true;
        }
    }

    /** Like the other socket's channel: takes direct buffers as they are, and counts them. */
    private static final class BufferOutput extends ByteArrayOutputStream implements BurstInputStream.BufferSink {
        int buffersWritten;

        @Override
        public void write(ByteBuffer buffer) {
            buffersWritten++;
            byte[] array = new byte[buffer.remaining()];
            buffer.get(array);
            write(array, 0, array.length);
        }
    }

    /** Chunks smaller than, equal to and larger than the parking array, and larger than a burst buffer. */
    @ParameterizedTest(name = "chunks of {0} bytes")
    @ValueSource(ints = {1, 100, 255, 256, 257, 1000, 65_536, 65_537, 200_000})
    void copiesEveryByteInOrder(int chunkSize) throws IOException {
        byte[] data = new byte[700_000];
        new Random(chunkSize).nextBytes(data);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long copied = new BurstInputStream(new ChunkedInput(data, new int[] {chunkSize, 7, chunkSize * 3}), null).transferTo(out);
        assertEquals(data.length, copied);
        assertArrayEquals(data, out.toByteArray());
    }

    /** Between two channels, bursts go through direct buffers, and every byte still arrives in order. */
    @ParameterizedTest(name = "chunks of {0} bytes")
    @ValueSource(ints = {1, 85, 86, 256, 257, 65_536, 65_537, 200_000})
    void copiesThroughDirectBuffersBetweenChannels(int chunkSize) throws IOException {
        byte[] data = new byte[700_000];
        new Random(chunkSize).nextBytes(data);
        ChunkedInput input = new ChunkedInput(data, new int[] {chunkSize, 7, chunkSize * 3});
        BufferOutput out = new BufferOutput();
        assertEquals(data.length, new BurstInputStream(input, input).transferTo(out));
        assertArrayEquals(data, out.toByteArray());
        // A chunk of a parking array or more starts a burst; shorter ones never fill it.
        assertEquals(chunkSize * 3 >= BurstInputStream.PARKING_BYTES, out.buffersWritten > 0);
    }

    /**
     * One {@code available()} answer covers as many reads as it promised bytes: a burst of
     * many buffers asks twice (how much, then whether more came), not once per read.
     */
    @ParameterizedTest(name = "between channels: {0}")
    @ValueSource(booleans = {false, true})
    void asksAvailableOnlyWhenWhatItSaidIsRead(boolean channels) throws IOException {
        byte[] data = new byte[700_000]; // one chunk: all of it buffered at once, 11 buffers' worth
        new Random(7).nextBytes(data);
        ChunkedInput input = new ChunkedInput(data, new int[] {data.length});
        BufferOutput out = new BufferOutput();
        assertEquals(data.length, new BurstInputStream(input, channels ? input : null).transferTo(out));
        assertArrayEquals(data, out.toByteArray());
        assertEquals(2, input.availableCalls);
    }

    /** An empty stream copies nothing. */
    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 256})
    void endsAtEndOfStream(int size) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(size, new BurstInputStream(new ChunkedInput(new byte[size], new int[] {size + 1}), null).transferTo(out));
        assertEquals(size, out.size());
    }
}
