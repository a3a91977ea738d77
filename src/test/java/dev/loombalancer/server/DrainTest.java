package dev.loombalancer.server;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Graceful stop: refuse new clients at once, let open ones finish, cut what is left. */
class DrainTest {

    /** Draining refuses new clients at once, lets an open connection finish, then stops. */
    @Test
    void drainLetsOpenConnectionsFinish() throws Exception {
        try (TestBackend backend = TestBackend.hello("B1")) {
            Balancer balancer = RunningBalancer.start(backend.address());
            InetSocketAddress address = balancer.localAddress();
            try (TestClient client = new TestClient(address)) {
                assertEquals("B1", client.backendName("before"));
                Thread drain = Thread.ofVirtual().start(() -> balancer.drain(Duration.ofSeconds(30)));
                await().until(() -> refuses(address));
                assertEquals("B1", client.backendName("during the drain"), "the open connection still works");
                assertTrue(drain.isAlive(), "the drain waits for it");
                client.close();
                drain.join(Duration.ofSeconds(10));
                assertFalse(drain.isAlive(), "the drain ends when the last connection does");
            }
            assertEquals(0, balancer.liveThreads());
        }
    }

    /** A connection still open when the drain timeout passes is closed. */
    @Test
    void drainTimeoutCutsWhatIsLeft() throws Exception {
        try (TestBackend backend = TestBackend.hello("B1");
             Balancer balancer = RunningBalancer.start(backend.address());
             TestClient client = new TestClient(balancer.localAddress())) {
            assertEquals("B1", client.backendName("before"));
            long started = System.nanoTime();
            balancer.drain(Duration.ofMillis(300));
            assertTrue(Duration.ofNanos(System.nanoTime() - started).toMillis() >= 250);
            client.assertClosed();
            assertEquals(0, balancer.liveThreads());
        }
    }

    /** True once connecting to the address is refused (the listener is closed). */
    private static boolean refuses(InetSocketAddress address) throws IOException {
        try (TestClient ignored = new TestClient(address)) {
            return false;
        } catch (ConnectException refused) {
            return true;
        }
    }
}
