package dev.loombalancer.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The pipe's buffer handling alone, without sockets: copying 4 MiB that "arrives" in
 * chunks of a given size, with {@code InputStream.transferTo} (16 KiB arrays) and with
 * {@link BurstInputStream} (256-byte parking array, pooled 64 KiB bursts). The source
 * behaves like a socket: a read returns at most one chunk, and {@code available()} says
 * what is left of it. System calls are not modelled; this shows the copy loop's own
 * cost per byte, and that the adaptive buffer costs nothing extra for small messages.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CopyBenchmark {

    private static final int TOTAL = 4 * 1024 * 1024;

    @Param({"100", "4096", "65536"})
    public int chunk;

    private byte[] data;

    /** A socket-like source: reads end at chunk boundaries. */
    private final class Chunked extends InputStream {
        private int position;

        @Override
        public int read() {
            throw new UnsupportedOperationException();
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
            if (position == data.length) {
                return -1;
            }
            int n = Math.min(length, available() == 0 ? Math.min(chunk, data.length - position) : available());
            System.arraycopy(data, position, buffer, offset, n);
            position += n;
            return n;
        }

        @Override
        public int available() {
            int inChunk = position % chunk;
            return inChunk == 0 ? 0 : Math.min(chunk - inChunk, data.length - position);
        }
    }

    @Setup
    public void setUp() {
        data = new byte[TOTAL];
    }

    @Benchmark
    public long transferTo() throws IOException {
        return new Chunked().transferTo(OutputStream.nullOutputStream());
    }

    @Benchmark
    public long burst() throws IOException {
        return new BurstInputStream(new Chunked(), null).transferTo(OutputStream.nullOutputStream());
    }
}
