package dev.loombalancer.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.loombalancer.server.Balancer;
import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.Sha256;
import dev.loombalancer.testing.TestBackend;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Bytes cross the balancer intact, however TCP splits them. */
class PipeIntegrityTest {

    private static final int PAYLOAD_BYTES = 8 * 1024 * 1024;

    /** Several MiB in random-sized writes reach the backend and come back byte for byte. */
    @Test
    void randomChunksArriveIntactBothWays() throws Exception {
        Set<String> receivedByBackend = ConcurrentHashMap.newKeySet();
        try (TestBackend backend = TestBackend.hashingEcho(receivedByBackend);
             Balancer balancer = RunningBalancer.start(backend.address());
             Socket client = new Socket(balancer.localAddress().getAddress(), balancer.localAddress().getPort())) {
            client.setSoTimeout(10_000);
            // Read the echo on another thread while writing, or both sides' buffers fill up.
            CompletableFuture<String> echoed = CompletableFuture.supplyAsync(() -> digestOf(client), r -> Thread.ofVirtual().start(r));

            MessageDigest sent = Sha256.newDigest();
            Random random = new Random(42);
            byte[] chunk = new byte[64 * 1024];
            OutputStream out = client.getOutputStream();
            for (int remaining = PAYLOAD_BYTES; remaining > 0; ) {
                int n = Math.min(remaining, 1 + random.nextInt(chunk.length));
                random.nextBytes(chunk);
                out.write(chunk, 0, n);
                sent.update(chunk, 0, n);
                remaining -= n;
            }
            client.shutdownOutput();

            String expected = HexFormat.of().formatHex(sent.digest());
            assertEquals(expected, echoed.get(30, TimeUnit.SECONDS), "bytes echoed back through the balancer");
            assertEquals(Set.of(expected), receivedByBackend, "bytes the backend received");
        }
    }

    private static String digestOf(Socket socket) {
        try {
            MessageDigest digest = Sha256.newDigest();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
