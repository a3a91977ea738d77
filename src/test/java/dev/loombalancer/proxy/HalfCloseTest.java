package dev.loombalancer.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.loombalancer.server.Balancer;
import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.nio.charset.StandardCharsets;
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
}
