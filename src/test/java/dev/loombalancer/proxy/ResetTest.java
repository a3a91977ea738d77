package dev.loombalancer.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.loombalancer.pool.Backend;
import dev.loombalancer.server.Balancer;
import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.net.Socket;
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
            victim.assertClosed();

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

    /** A backend killed mid-session: its clients are closed, the other backend's go on, counts stay exact. */
    @Test
    void killedBackendClosesOnlyItsClients() throws Exception {
        try (TestBackend b1 = TestBackend.hello("B1");
             TestBackend b2 = TestBackend.hello("B2");
             Balancer balancer = RunningBalancer.start(b1.address(), b2.address());
             TestClient c1 = new TestClient(balancer.localAddress());
             TestClient c2 = new TestClient(balancer.localAddress());
             TestClient c3 = new TestClient(balancer.localAddress());
             TestClient c4 = new TestClient(balancer.localAddress())) {
            assertEquals("B1", c1.backendName("one"));
            assertEquals("B2", c2.backendName("two"));
            assertEquals("B1", c3.backendName("three"));
            assertEquals("B2", c4.backendName("four"));

            b1.kill();
            c1.assertClosed();
            c3.assertClosed();
            for (int i = 0; i < 3; i++) {
                assertEquals("B2", c2.backendName("still here " + i));
                assertEquals("B2", c4.backendName("still here " + i));
            }
            await().atMost(PROMPTLY).untilAsserted(() -> {
                assertEquals(0, balancer.connections().active(new Backend(b1.address())));
                assertEquals(2, balancer.connections().active(new Backend(b2.address())));
                assertEquals(2, balancer.connections().total());
            });
            c2.close();
            c4.close();
            await().atMost(PROMPTLY).untilAsserted(() -> {
                assertEquals(0, balancer.connections().total());
                assertEquals(0, balancer.liveThreads());
            });
        }
    }
}
