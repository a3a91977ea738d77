package dev.loombalancer.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.loombalancer.server.Balancer;
import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** An error in either direction closes both sides, and the counts stay exact. */
class ResetTest {

    private static final Duration PROMPTLY = Duration.ofSeconds(5);

    /** The backend resets the connection: the paired client is closed, another client is untouched. */
    @Test
    void backendResetClosesOnlyItsClient() throws Exception {
        try (TestBackend resetting = TestBackend.resetAfterFirstLine();
             TestBackend healthy = TestBackend.hello("B2");
             Balancer balancer = RunningBalancer.start(resetting.address(), healthy.address());
             TestClient victim = new TestClient(balancer.localAddress());
             TestClient bystander = new TestClient(balancer.localAddress())) {
            assertEquals("Hello from B2: before", bystander.exchange("before"));

            victim.send("this line makes the backend reset");
            assertClosed(victim);

            assertEquals("Hello from B2: after", bystander.exchange("after"), "the other connection is untouched");
            await().atMost(PROMPTLY).untilAsserted(() -> {
                assertEquals(1, balancer.connections().total(), "only the bystander is still counted");
                assertEquals(0, resetting.open());
            });
        }
    }

    /** The client resets: the balancer closes the backend side and releases the connection. */
    @Test
    void clientResetClosesTheBackendSide() throws Exception {
        try (TestBackend backend = TestBackend.hello("B1");
             Balancer balancer = RunningBalancer.start(backend.address())) {
            Socket client = new TestClient(balancer.localAddress()).socket();
            client.getOutputStream().write("hi\n".getBytes());
            await().atMost(PROMPTLY).until(() -> backend.open() == 1);
            client.setSoLinger(true, 0); // close with RST
            client.close();

            await().atMost(PROMPTLY).untilAsserted(() -> {
                assertEquals(0, backend.open(), "backend connection closed");
                assertEquals(0, balancer.connections().total(), "active connections");
                assertEquals(0, balancer.liveThreads(), "balancer threads");
            });
        }
    }

    private static void assertClosed(TestClient client) throws IOException {
        try {
            assertNull(client.readLine(), "closed by the balancer");
        } catch (SocketException reset) {
            // closed with a reset: also closed
        }
    }
}
