package dev.loombalancer.server;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Many clients at once, and nothing left behind when they are gone. */
class ConcurrencyTest {

    private static final int CLIENTS = 300;

    /**
     * Hundreds of concurrent connections all get their own correct reply, each backend
     * holds a third of them, and afterwards every counter and thread is back to zero.
     */
    @Test
    void hundredsOfConcurrentClientsAreServedAndCleanedUp() throws Exception {
        try (TestBackend b1 = TestBackend.hello("B1");
             TestBackend b2 = TestBackend.hello("B2");
             TestBackend b3 = TestBackend.hello("B3");
             Balancer balancer = RunningBalancer.start(b1.address(), b2.address(), b3.address())) {
            CountDownLatch allConnected = new CountDownLatch(CLIENTS);
            CountDownLatch release = new CountDownLatch(1);
            List<Future<String>> replies = new ArrayList<>();
            try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < CLIENTS; i++) {
                    String message = "client " + i;
                    replies.add(clients.submit(() -> {
                        try (TestClient client = new TestClient(balancer.localAddress())) {
                            String reply = client.exchange(message);
                            allConnected.countDown();
                            release.await(); // hold every connection open at once
                            return reply;
                        }
                    }));
                }
                try {
                    assertTrue(allConnected.await(30, TimeUnit.SECONDS), "every client got its reply");
                    assertEquals(CLIENTS, balancer.connections().total(), "all connections open at once");
                    for (var backend : List.of(b1, b2, b3)) {
                        assertEquals(CLIENTS / 3, backend.open(), "an even share on " + backend.address());
                    }
                } finally {
                    release.countDown();
                }
                for (int i = 0; i < CLIENTS; i++) {
                    String reply = replies.get(i).get();
                    assertEquals("client " + i, reply.substring(reply.indexOf(": ") + 2), "reply to client " + i);
                }
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertEquals(0, balancer.connections().total(), "active connections");
                assertEquals(0, balancer.liveThreads(), "balancer virtual threads");
            });
        }
    }
}
