package dev.loombalancer.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.loombalancer.server.Balancer;
import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/** The end of one direction is passed on without cutting the other. */
class HalfCloseTest {

    /** The client sends, then shuts down its output; the reply sent after the backend sees EOF still arrives. */
    @Test
    void replyAfterClientHalfCloseReachesClient() throws Exception {
        try (TestBackend backend = TestBackend.replyAfterEof("B1");
             Balancer balancer = RunningBalancer.start(backend.address());
             TestClient client = new TestClient(balancer.localAddress())) {
            client.socket().getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
            client.socket().shutdownOutput();

            assertEquals("B1 got 5 bytes", client.readLine());
            assertNull(client.readLine(), "the backend's close reaches the client as end of stream");
        }
    }

    /** The backend half-closes first: the client sees end of stream, yet what it sends afterwards still arrives. */
    @Test
    void clientBytesAfterBackendHalfCloseReachBackend() throws Exception {
        Queue<Long> received = new ConcurrentLinkedQueue<>();
        try (TestBackend backend = TestBackend.greetFirst("welcome", received);
             Balancer balancer = RunningBalancer.start(backend.address());
             TestClient client = new TestClient(balancer.localAddress())) {
            assertEquals("welcome", client.readLine());
            assertNull(client.readLine(), "the backend's FIN is passed on");

            client.socket().getOutputStream().write("still listening?".getBytes(StandardCharsets.US_ASCII));
            client.socket().shutdownOutput();

            await().atMost(Duration.ofSeconds(5)).until(() -> received.contains(16L));
            await().atMost(Duration.ofSeconds(5)).until(() -> balancer.liveThreads() == 0);
            assertEquals(0, balancer.connections().total());
        }
    }
}
