package dev.loombalancer.server;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.health.ProbeConfig;
import dev.loombalancer.policy.Strategy;
import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.BackendState;
import dev.loombalancer.pool.Weighting;
import dev.loombalancer.testing.FastProbes;
import dev.loombalancer.testing.Ports;
import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Backends change while the balancer runs (what a reload does): new ones join at once,
 * removed ones drain, and kept ones keep their state and their open connections.
 */
class UpdateBackendsTest {

    /** An added backend gets clients at once; a kept one keeps its open connection and its counters. */
    @Test
    void anAddedBackendJoinsAndKeptOnesKeepTheirConnections() throws Exception {
        try (TestBackend b1 = TestBackend.hello("B1"); TestBackend b2 = TestBackend.hello("B2");
             Balancer balancer = RunningBalancer.start(c -> c.health(FastProbes.CONFIG), b1.address());
             TestClient open = new TestClient(balancer.localAddress())) {
            assertEquals("B1", open.backendName("before"));
            Backend first = new Backend(b1.address());
            balancer.updateBackends(List.of(first, new Backend(b2.address())), Map.of());

            Set<String> served = new HashSet<>();
            for (int i = 0; i < 4; i++) {
                served.add(TestClient.backendOf(balancer.localAddress(), null));
            }
            assertEquals(Set.of("B1", "B2"), served, "both in turn");
            assertEquals("Hello from B1: still open", open.exchange("still open"), "kept across the change");
            // The short connections above end on the balancer's side a little after their
            // clients read the answer: wait for their counts to come down.
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertEquals(1, balancer.pool().connections().active(first), "its count carried over"));
            assertTrue(balancer.pool().statsOf(first).connections() >= 3, "its counters carried over");
        }
    }

    /** A removed backend gets no new client; its open connection finishes, or is cut after the drain timeout. */
    @Test
    void aRemovedBackendDrainsThenIsCut() throws Exception {
        try (TestBackend b1 = TestBackend.hello("B1"); TestBackend b2 = TestBackend.hello("B2");
             Balancer balancer = RunningBalancer.start(c -> c.health(FastProbes.CONFIG)
                     .drainTimeout(Duration.ofMillis(800)), b1.address(), b2.address());
             TestClient onB1 = new TestClient(balancer.localAddress());
             TestClient onB2 = new TestClient(balancer.localAddress())) {
            assertEquals("B1", onB1.backendName("one"));
            assertEquals("B2", onB2.backendName("two"));
            balancer.updateBackends(List.of(new Backend(b1.address())), Map.of());

            for (int i = 0; i < 4; i++) {
                assertEquals("B1", TestClient.backendOf(balancer.localAddress(), null), "no new client for B2");
            }
            assertEquals("Hello from B2: draining", onB2.exchange("draining"), "its open connection goes on");
            onB2.assertClosed(); // cut once the drain timeout has passed
            assertEquals("Hello from B1: kept", onB1.exchange("kept"), "the kept backend's connection is not cut");
        }
    }

    /** A kept backend keeps its health: one that is DOWN stays DOWN across the change, and weights apply at once. */
    @Test
    void aKeptBackendKeepsItsHealth() throws Exception {
        try (TestBackend b1 = TestBackend.hello("B1"); TestBackend b2 = TestBackend.hello("B2")) {
            Backend dead = new Backend(Ports.refusing());
            try (Balancer balancer = RunningBalancer.start(c -> c.health(FastProbes.CONFIG), b1.address(),
                    dead.address())) {
                await().atMost(Duration.ofSeconds(5)).until(() -> balancer.pool().healthOf(dead).state() == BackendState.DOWN);
                Backend second = new Backend(b2.address());
                balancer.updateBackends(List.of(new Backend(b1.address()), dead, second),
                        Map.of(second, new Weighting(3, false)));
                assertEquals(BackendState.DOWN, balancer.pool().healthOf(dead).state(), "still DOWN, not UP as new");
                int onB2 = 0;
                for (int i = 0; i < 8; i++) {
                    onB2 += TestClient.backendOf(balancer.localAddress(), null).equals("B2") ? 1 : 0;
                }
                assertEquals(6, onB2, "weight 3 against 1, the DOWN one skipped");
            }
        }
    }

    /** Sticky clients stay with their backend across a change that keeps it. */
    @Test
    void stickyClientsStayAcrossAChange() throws Exception {
        try (TestBackend b1 = TestBackend.hello("B1"); TestBackend b2 = TestBackend.hello("B2");
             TestBackend b3 = TestBackend.hello("B3");
             Balancer balancer = RunningBalancer.start(c -> c.strategy(Strategy.STICKY).health(ProbeConfig.OFF),
                     b1.address(), b2.address())) {
            InetAddress client = InetAddress.getByName("127.0.0.5");
            String before = TestClient.backendOf(balancer.localAddress(), client);
            balancer.updateBackends(List.of(new Backend(b1.address()), new Backend(b2.address()),
                    new Backend(b3.address())), Map.of());
            for (int i = 0; i < 5; i++) {
                assertEquals(before, TestClient.backendOf(balancer.localAddress(), client), "still its backend");
            }
        }
    }

    /** With slow start, a backend added while running ramps up as a recovered one does. */
    @Test
    void anAddedBackendRampsUpWithSlowStart() throws Exception {
        try (TestBackend b1 = TestBackend.hello("B1"); TestBackend b2 = TestBackend.hello("B2");
             Balancer balancer = RunningBalancer.start(c -> c.slowStart(Duration.ofSeconds(30)).health(ProbeConfig.OFF),
                     b1.address())) {
            Backend added = new Backend(b2.address());
            balancer.updateBackends(List.of(new Backend(b1.address()), added), Map.of());
            assertTrue(balancer.pool().ramping().contains(added), "ramping");
            int onAdded = 0;
            for (int i = 0; i < 32; i++) {
                onAdded += TestClient.backendOf(balancer.localAddress(), null).equals("B2") ? 1 : 0;
            }
            assertTrue(onAdded <= 4, onAdded + " of 32 to the backend just added");
        }
    }
}
