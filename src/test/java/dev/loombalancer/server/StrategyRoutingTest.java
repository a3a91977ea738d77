package dev.loombalancer.server;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.health.ProbeConfig;
import dev.loombalancer.policy.Strategy;
import dev.loombalancer.pool.Backend;
import dev.loombalancer.testing.FastProbes;
import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each strategy end to end, through real sockets; clients from distinct loopback addresses. */
class StrategyRoutingTest {


    private static InetAddress loopback(int n) throws Exception {
        return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) n});
    }

    /** least-connections sends new clients to the backend that is not holding long connections. */
    @Test
    void leastConnectionsAvoidsTheBusyBackend() throws Exception {
        try (TestBackend b1 = TestBackend.hello("B1");
             TestBackend b2 = TestBackend.hello("B2");
             Balancer balancer = RunningBalancer.start(c -> c.strategy(Strategy.LEAST_CONNECTIONS)
                     .health(ProbeConfig.OFF), b1.address(), b2.address())) {
            Backend second = new Backend(b2.address());
            List<TestClient> held = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) { // B1, B2, B1, B2
                    TestClient client = new TestClient(balancer.localAddress());
                    client.backendName("hold");
                    held.add(client);
                }
                held.remove(3).close();
                held.remove(1).close();
                await().until(() -> balancer.connections().active(second) == 0);
                // B1 holds 2 long connections, B2 none: the next two go to B2.
                for (int i = 0; i < 2; i++) {
                    TestClient client = new TestClient(balancer.localAddress());
                    assertEquals("B2", client.backendName("new"));
                    held.add(client);
                }
            } finally {
                for (TestClient client : held) {
                    client.close();
                }
            }
        }
    }

    /** least-connections gives equal backends equal shares, for short and for held connections. */
    @Test
    void leastConnectionsSharesEvenly() throws Exception {
        try (TestBackend b1 = TestBackend.hello("B1");
             TestBackend b2 = TestBackend.hello("B2");
             TestBackend b3 = TestBackend.hello("B3");
             Balancer balancer = RunningBalancer.start(c -> c.strategy(Strategy.LEAST_CONNECTIONS)
                     .health(ProbeConfig.OFF), b1.address(), b2.address(), b3.address())) {
            Map<String, Integer> shortOnes = new HashMap<>();
            for (int i = 0; i < 30; i++) {
                shortOnes.merge(TestClient.backendOf(balancer.localAddress(), null), 1, Integer::sum);
                await().until(() -> balancer.connections().total() == 0);
            }
            assertEquals(Map.of("B1", 10, "B2", 10, "B3", 10), shortOnes);

            Map<String, Integer> heldOnes = new HashMap<>();
            List<TestClient> held = new ArrayList<>();
            try {
                for (int i = 0; i < 30; i++) {
                    TestClient client = new TestClient(balancer.localAddress());
                    heldOnes.merge(client.backendName("hold"), 1, Integer::sum);
                    held.add(client);
                }
            } finally {
                for (TestClient client : held) {
                    client.close();
                }
            }
            assertEquals(Map.of("B1", 10, "B2", 10, "B3", 10), heldOnes);
        }
    }

    /** sticky: one address, one backend; failover when it dies; no snap back when it returns. */
    @Test
    void stickySessionsFollowTheClientAddress() throws Exception {
        try (TestBackend b1 = TestBackend.hello("B1");
             TestBackend b2 = TestBackend.hello("B2");
             TestBackend b3 = TestBackend.hello("B3")) {
            List<TestBackend> backends = List.of(b1, b2, b3);
            try (Balancer balancer = RunningBalancer.start(c -> c.strategy(Strategy.STICKY).health(FastProbes.CONFIG),
                    b1.address(), b2.address(), b3.address())) {
                InetSocketAddress lb = balancer.localAddress();
                Map<Integer, String> placed = new HashMap<>();
                for (int n = 2; n <= 7; n++) {
                    placed.put(n, TestClient.backendOf(lb, loopback(n)));
                }
                assertEquals(3, new java.util.HashSet<>(placed.values()).size(), "new clients are spread");
                for (int round = 0; round < 3; round++) {
                    for (int n = 2; n <= 7; n++) {
                        assertEquals(placed.get(n), TestClient.backendOf(lb, loopback(n)), "client 127.0.0." + n);
                    }
                }

                String victimName = placed.get(2);
                TestBackend victim = backends.get(Integer.parseInt(victimName.substring(1)) - 1);
                InetSocketAddress victimAddress = victim.address();
                victim.kill();
                String moved = TestClient.backendOf(lb, loopback(2));
                assertNotEquals(victimName, moved);
                await().until(() -> !balancer.pool().isUp(new Backend(victimAddress)));
                try (TestBackend restarted = TestBackend.hello(victimName, victimAddress)) {
                    await().until(() -> balancer.pool().isUp(new Backend(victimAddress)));
                    assertEquals(moved, TestClient.backendOf(lb, loopback(2)), "stays on its new backend");
                }
            }
        }
    }

    /** consistent-hash: two independent balancers with the same backends route each client alike. */
    @Test
    void consistentHashAgreesAcrossInstances() throws Exception {
        try (TestBackend b1 = TestBackend.hello("B1");
             TestBackend b2 = TestBackend.hello("B2");
             TestBackend b3 = TestBackend.hello("B3");
             Balancer one = RunningBalancer.start(c -> c.strategy(Strategy.CONSISTENT_HASH),
                     b1.address(), b2.address(), b3.address());
             Balancer other = RunningBalancer.start(c -> c.strategy(Strategy.CONSISTENT_HASH),
                     b3.address(), b1.address(), b2.address())) {
            Map<String, Integer> spread = new HashMap<>();
            for (int n = 2; n <= 31; n++) {
                String viaOne = TestClient.backendOf(one.localAddress(), loopback(n));
                assertEquals(viaOne, TestClient.backendOf(other.localAddress(), loopback(n)), "client 127.0.0." + n);
                assertEquals(viaOne, TestClient.backendOf(one.localAddress(), loopback(n)));
                spread.merge(viaOne, 1, Integer::sum);
            }
            assertTrue(spread.size() >= 2, "30 addresses all hashed to one backend: " + spread);
        }
    }
}
