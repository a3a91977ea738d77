package dev.loombalancer.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.health.ProbeConfig;
import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.BackendState;
import dev.loombalancer.server.Balancer;
import dev.loombalancer.testing.Redis;
import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** --server-timeout: a backend that accepts but never answers cannot hold a client. */
class ServerTimeoutTest {

    /**
     * redis-server frozen with SIGSTOP still accepts (its kernel does), and TCP checks pass;
     * the client's request gets no answer, so the connection is closed after the server
     * timeout and the silence takes the backend DOWN (--fall 1): the next client goes elsewhere.
     */
    @Test
    void aFrozenBackendIsClosedAndCountedAgainst() throws Exception {
        try (Redis redis = Redis.start();
             TestBackend other = TestBackend.hello("B2");
             Balancer balancer = RunningBalancer.start(c -> c.serverTimeout(Duration.ofMillis(300))
                     .health(new ProbeConfig(Duration.ofMinutes(1), Duration.ofSeconds(1), 1, 1)),
                     redis.address(), other.address())) {
            Backend frozen = new Backend(redis.address());
            redis.freeze();
            long started = System.nanoTime();
            try (TestClient client = new TestClient(balancer.localAddress())) {
                client.send("PING");
                client.assertClosed();
            }
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertTrue(took.compareTo(Duration.ofSeconds(3)) < 0, "closed after " + took);
            await().atMost(Duration.ofSeconds(5)).until(() -> balancer.pool().healthOf(frozen).state() == BackendState.DOWN);
            assertTrue(balancer.pool().healthOf(frozen).streak().lastResult().contains("no reply within --server-timeout 300ms"),
                    balancer.pool().healthOf(frozen).streak().lastResult());
            for (int i = 0; i < 3; i++) {
                assertEquals("B2", TestClient.backendOf(balancer.localAddress(), null), "the frozen one is out");
            }
        }
    }
}
