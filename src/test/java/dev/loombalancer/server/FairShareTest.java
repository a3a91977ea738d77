package dev.loombalancer.server;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.health.ProbeConfig;
import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * When every --max-connections slot is taken, one address cannot lock the others out: a
 * newcomer from an address holding fewer takes the slot of the oldest connection of the
 * address holding most, while more clients from the greedy address wait their turn.
 */
class FairShareTest {

    private static final int SLOTS = 4;

    /** One address holds every slot and idles; a client from another is served within a second. */
    @Test
    void anotherAddressIsServedWhileOneHoldsEverySlot() throws Exception {
        InetAddress greedy = InetAddress.getByName("127.0.0.2");
        InetAddress other = InetAddress.getByName("127.0.0.3");
        List<TestClient> held = new ArrayList<>();
        try (TestBackend backend = TestBackend.hello("B1");
             Balancer balancer = RunningBalancer.start(c -> c.maxConnections(SLOTS).health(ProbeConfig.OFF),
                     backend.address())) {
            for (int i = 0; i < SLOTS; i++) {
                TestClient client = new TestClient(balancer.localAddress(), greedy);
                held.add(client);
                assertEquals("B1", client.backendName("hold " + i));
            }
            TestClient queued = new TestClient(balancer.localAddress(), greedy);
            held.add(queued);
            queued.send("more from the greedy address");
            await().atMost(Duration.ofSeconds(5)).until(() -> balancer.maxConnectionWaits() == 1);

            long started = System.nanoTime();
            try (TestClient newcomer = new TestClient(balancer.localAddress(), other)) {
                assertEquals("Hello from B1: fair", newcomer.exchange("fair"));
                Duration took = Duration.ofNanos(System.nanoTime() - started);
                assertTrue(took.compareTo(Duration.ofSeconds(1)) < 0, "served after " + took);
            }
            held.get(0).assertClosed(); // the oldest of the greedy address gave its slot up
            assertEquals(1, balancer.evictedConnections());
            assertEquals("Hello from B1: still here", held.get(1).exchange("still here"), "only the oldest was cut");
            // The greedy address's queued client is served once a slot frees, not evicted for.
            assertEquals("Hello from B1: more from the greedy address", queued.readLine());
            assertEquals(1, balancer.evictedConnections());
        } finally {
            for (TestClient client : held) {
                client.close();
            }
        }
    }

    /** Addresses holding one slot each never evict each other: the newcomer waits instead. */
    @Test
    void evenHoldersAreNotEvicted() throws Exception {
        List<TestClient> held = new ArrayList<>();
        try (TestBackend backend = TestBackend.hello("B1");
             Balancer balancer = RunningBalancer.start(c -> c.maxConnections(2).health(ProbeConfig.OFF),
                     backend.address())) {
            for (String from : List.of("127.0.0.2", "127.0.0.3")) {
                TestClient client = new TestClient(balancer.localAddress(), InetAddress.getByName(from));
                held.add(client);
                assertEquals("B1", client.backendName("hold"));
            }
            try (TestClient third = new TestClient(balancer.localAddress(), InetAddress.getByName("127.0.0.4"))) {
                third.send("waiting");
                await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(3))
                        .until(() -> balancer.maxConnectionWaits() == 1 && backend.accepted() == 2);
                assertEquals(0, balancer.evictedConnections());
                held.get(0).close();
                assertEquals("Hello from B1: waiting", third.readLine(), "served once a slot freed");
            }
        } finally {
            for (TestClient client : held) {
                client.close();
            }
        }
    }

    /** A client that waits longer than --queue-timeout is closed and counted. */
    @Test
    void waitingEndsAtTheQueueTimeout() throws Exception {
        try (TestBackend backend = TestBackend.hello("B1");
             Balancer balancer = RunningBalancer.start(c -> c.maxConnections(1).queueTimeout(Duration.ofMillis(300))
                     .health(ProbeConfig.OFF), backend.address());
             TestClient holder = new TestClient(balancer.localAddress());
             TestClient waiter = new TestClient(balancer.localAddress())) {
            assertEquals("B1", holder.backendName("hold"));
            waiter.send("in vain");
            waiter.assertClosed();
            assertEquals(1L, balancer.rejectedClients().get("queue_timeout"));
            assertEquals(1, backend.accepted(), "the waiter never reached a backend");
        }
    }

    /**
     * Once the waiting room (--backlog places) is full, newcomers queue in the kernel's
     * backlog instead, and are served in turn: nobody is turned away.
     */
    @Test
    void aFullWaitingRoomLeavesNewcomersInTheBacklog() throws Exception {
        try (TestBackend backend = TestBackend.hello("B1");
             Balancer balancer = RunningBalancer.start(c -> c.maxConnections(1).backlog(1).health(ProbeConfig.OFF),
                     backend.address());
             TestClient holder = new TestClient(balancer.localAddress());
             TestClient waiter = new TestClient(balancer.localAddress())) {
            assertEquals("B1", holder.backendName("hold"));
            waiter.send("waiting");
            await().atMost(Duration.ofSeconds(5)).until(() -> balancer.maxConnectionWaits() == 1);
            try (TestClient queued = new TestClient(balancer.localAddress())) {
                queued.send("in the backlog");
                holder.close();
                assertEquals("Hello from B1: waiting", waiter.readLine(), "the one in the room first");
                waiter.close();
                assertEquals("Hello from B1: in the backlog", queued.readLine(), "then the one in the backlog");
            }
            assertEquals(0L, balancer.rejectedClients().get("queue_timeout"));
        }
    }
}
