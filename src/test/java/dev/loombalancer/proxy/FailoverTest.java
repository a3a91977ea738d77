package dev.loombalancer.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.loombalancer.health.ProbeConfig;
import dev.loombalancer.server.Balancer;
import dev.loombalancer.testing.Ports;
import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A backend that cannot be reached costs a client a retry, never a hang. */
class FailoverTest {

    /**
     * A connect timeout far longer than the test's bound: if a refusal were waited out
     * instead of skipped at once, the bound would fail the test.
     */
    private static final Duration LONG_CONNECT_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration PROMPTLY = Duration.ofSeconds(5);

    /** The first backend refuses: the same client is served by the next one, without delay. */
    @Test
    void refusedBackendIsSkippedForTheNext() throws Exception {
        try (TestBackend b2 = TestBackend.hello("B2");
             TestBackend b3 = TestBackend.hello("B3");
             Balancer balancer = RunningBalancer.start(LONG_CONNECT_TIMEOUT, Ports.refusing(), b2.address(), b3.address())) {
            assertTimeoutPreemptively(PROMPTLY, () -> {
                try (TestClient client = new TestClient(balancer.localAddress())) {
                    assertEquals("Hello from B2: hi", client.exchange("hi"));
                }
            });
            await().atMost(PROMPTLY).until(() -> balancer.connections().total() == 0);
        }
    }

    /** Every backend refuses: the client sees its connection closed promptly. */
    @Test
    void allBackendsRefusingClosesTheClientPromptly() throws Exception {
        try (Balancer balancer = RunningBalancer.start(LONG_CONNECT_TIMEOUT, Ports.refusing(), Ports.refusing(), Ports.refusing())) {
            assertTimeoutPreemptively(PROMPTLY, () -> {
                try (TestClient client = new TestClient(balancer.localAddress())) {
                    client.send("anyone there?");
                    client.assertClosed();
                }
            });
            await().atMost(PROMPTLY).until(() -> balancer.liveThreads() == 0);
        }
    }

    /** A backend that never answers costs the connect timeout, then the next backend serves. */
    @Test
    void silentBackendTimesOutAndTheNextServes() throws Exception {
        Duration connectTimeout = Duration.ofMillis(300);
        try (Ports.BlackHole hole = new Ports.BlackHole();
             TestBackend b2 = TestBackend.hello("B2");
             Balancer balancer = RunningBalancer.start(connectTimeout, hole.address(), b2.address())) {
            assertTimeoutPreemptively(PROMPTLY, () -> {
                try (TestClient client = new TestClient(balancer.localAddress())) {
                    assertEquals("Hello from B2: hi", client.exchange("hi"));
                }
            });
        }
    }

    /**
     * Retries are bounded: with --retries 2 a client tries three backends, so the live one
     * listed fifth is never reached; with --retries 4 it is.
     */
    @Test
    void retriesAreBounded() throws Exception {
        try (TestBackend live = TestBackend.hello("B5")) {
            InetSocketAddress[] backends = {Ports.refusing(), Ports.refusing(), Ports.refusing(), Ports.refusing(),
                live.address()};
            try (Balancer balancer = RunningBalancer.start(c -> c.retries(2).health(ProbeConfig.OFF), backends)) {
                try (TestClient client = new TestClient(balancer.localAddress())) {
                    client.send("hi");
                    client.assertClosed();
                }
                await().atMost(PROMPTLY).until(() -> balancer.rejectedClients().get("no_backend_available") == 1);
                assertEquals(3, balancer.pool().backends().stream()
                        .mapToLong(b -> balancer.pool().statsOf(b).connectFailures()).sum(), "three tried");
            }
            try (Balancer balancer = RunningBalancer.start(c -> c.retries(4).health(ProbeConfig.OFF), backends);
                 TestClient client = new TestClient(balancer.localAddress())) {
                assertEquals("Hello from B5: hi", client.exchange("hi"));
            }
        }
    }
}
