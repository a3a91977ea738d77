package dev.loombalancer.testing;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One client's bytes checked end to end, both ways, through the balancer.
 *
 * <p>The client sends {@code [id:8][length:8][payload][sha256(payload):32]} and half-closes.
 * The backend hashes the payload as it arrives and echoes it, then compares its own hash
 * with the client's and answers {@code [1 if equal:1][its hash:32]}. The client hashes the
 * echo. So an upload corrupted on the way is caught by the backend, and a download
 * corrupted on the way by the client: each direction is verified on its own.
 *
 * <p>Every exchange ends in exactly one {@link Outcome}; only {@code VERIFIED} and
 * {@code CLOSED} are acceptable under faults.
 */
public final class VerifiedExchange {

    /** How one exchange ended. */
    public enum Outcome {
        /** Every byte arrived intact both ways. */
        VERIFIED,
        /** The connection was closed or reset before the end: allowed when a fault was injected. */
        CLOSED,
        /** Bytes arrived, but not the bytes sent: never allowed. */
        CORRUPT,
        /** No byte moved for the read timeout: never allowed. */
        HUNG
    }

    /** The outcome and how many payload bytes were verified (up plus down; 0 unless VERIFIED). */
    public record Result(Outcome outcome, long verifiedBytes, String detail) {
    }

    private static final int CHUNK = 16 * 1024;

    private VerifiedExchange() {
    }

    /**
     * The backend side: verifies, echoes and answers; records which backend took which
     * exchange id in {@code placements} (null: not recorded).
     */
    public static TestBackend.Behaviour backend(String name, Map<Long, String> placements, AtomicLong mismatches) {
        return socket -> {
            DataInputStream in = new DataInputStream(socket.getInputStream());
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            long id = in.readLong();
            if (placements != null) {
                placements.put(id, name);
            }
            long length = in.readLong();
            MessageDigest sha = Sha256.newDigest();
            if (copyHashing(in, length, sha, out) < length) {
                throw new EOFException("payload cut short");
            }
            byte[] claimed = in.readNBytes(32);
            byte[] computed = sha.digest();
            boolean equal = Arrays.equals(claimed, computed);
            if (!equal) {
                mismatches.incrementAndGet();
            }
            out.writeByte(equal ? 1 : 0);
            out.write(computed);
            out.flush();
            socket.shutdownOutput();
            in.transferTo(OutputStream.nullOutputStream()); // until the client closes
        };
    }

    /**
     * The client side: one connection, one exchange of {@code length} random bytes from
     * {@code seed}, written in chunks with {@code pauseMillis} between them (0: as fast as
     * possible), read back with a read timeout of {@code hungMillis}.
     */
    public static Result run(InetSocketAddress server, long id, long length, long seed, int pauseMillis,
                             int hungMillis) {
        try (Socket socket = new Socket()) {
            socket.connect(server, hungMillis);
            socket.setSoTimeout(hungMillis);
            AtomicReference<byte[]> sent = new AtomicReference<>();
            Thread writer = Thread.ofVirtual().name("verified-writer").start(() -> write(socket, id, length, seed,
                    pauseMillis, sent));
            try {
                return read(socket, length, writer, sent);
            } finally {
                writer.interrupt();
                socket.close();
                writer.join();
            }
        } catch (SocketTimeoutException e) {
            return new Result(Outcome.HUNG, 0, "no byte for " + hungMillis + " ms");
        } catch (IOException e) {
            return new Result(Outcome.CLOSED, 0, String.valueOf(e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(Outcome.CLOSED, 0, "interrupted");
        }
    }

    /** Sends the exchange; leaves the payload's digest in {@code sent} once it is all written. */
    private static void write(Socket socket, long id, long length, long seed, int pauseMillis,
                              AtomicReference<byte[]> sent) {
        try {
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            out.writeLong(id);
            out.writeLong(length);
            SplittableRandom random = new SplittableRandom(seed);
            MessageDigest sha = Sha256.newDigest();
            byte[] chunk = new byte[CHUNK];
            for (long left = length; left > 0; ) {
                int n = (int) Math.min(chunk.length, left);
                random.nextBytes(chunk);
                sha.update(chunk, 0, n);
                out.write(chunk, 0, n);
                left -= n;
                if (pauseMillis > 0) {
                    Thread.sleep(pauseMillis);
                }
            }
            byte[] digest = sha.digest();
            sent.set(digest);
            out.write(digest);
            out.flush();
            socket.shutdownOutput();
        } catch (IOException | InterruptedException e) {
            // the reader sees the connection end and reports it
        }
    }

    private static Result read(Socket socket, long length, Thread writer, AtomicReference<byte[]> sent)
            throws IOException, InterruptedException {
        InputStream in = socket.getInputStream();
        MessageDigest echoed = Sha256.newDigest();
        long got = copyHashing(in, length, echoed, OutputStream.nullOutputStream());
        if (got < length) {
            return new Result(Outcome.CLOSED, 0, "echo ended after " + got + " of " + length);
        }
        byte[] trailer = in.readNBytes(33);
        if (trailer.length < 33) {
            return new Result(Outcome.CLOSED, 0, "closed before the backend's verdict");
        }
        writer.join(); // it has written all: the verdict came after its digest
        byte[] expected = sent.get();
        if (expected == null) {
            return new Result(Outcome.CORRUPT, 0, "a verdict arrived before the client sent its digest");
        }
        if (trailer[0] != 1 || !Arrays.equals(expected, Arrays.copyOfRange(trailer, 1, 33))) {
            return new Result(Outcome.CORRUPT, 0, "the backend received other bytes than were sent");
        }
        if (!Arrays.equals(expected, echoed.digest())) {
            return new Result(Outcome.CORRUPT, 0, "the client received other bytes than the backend echoed");
        }
        if (in.read() >= 0) {
            return new Result(Outcome.CORRUPT, 0, "bytes after the end");
        }
        return new Result(Outcome.VERIFIED, 2 * length, "");
    }

    /** Copies {@code length} bytes (fewer at end of stream) through {@code sha}; how many were copied. */
    private static long copyHashing(InputStream in, long length, MessageDigest sha, OutputStream out)
            throws IOException {
        byte[] buffer = new byte[CHUNK];
        long left = length;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                break;
            }
            sha.update(buffer, 0, n);
            out.write(buffer, 0, n);
            left -= n;
        }
        return length - left;
    }
}
