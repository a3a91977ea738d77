package dev.loombalancer.health;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.pool.Backend;
import dev.loombalancer.server.Balancer;
import dev.loombalancer.testing.FastProbes;
import dev.loombalancer.testing.Ports;
import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Health checks against real backends: out when they die, back when they return. */
class HealthCheckTest {


    private static long rounds(Balancer balancer) {
        return balancer.prober().map(HealthProber::rounds).orElse(0L);
    }

    private static String reply(Balancer balancer) throws IOException {
        try (TestClient client = new TestClient(balancer.localAddress())) {
            String line = client.exchange("hi");
            return line == null ? null : line.substring(0, line.indexOf(':'));
        }
    }

    /** A killed backend is DOWN within fall × interval and gets no clients; restarted, it is UP and gets them again. */
    @Test
    void killedBackendIsTakenOutAndComesBack() throws Exception {
        try (TestBackend b1 = TestBackend.hello("B1");
             TestBackend b2 = TestBackend.hello("B2")) {
            InetSocketAddress b2Address = b2.address();
            try (Balancer balancer = RunningBalancer.start(c -> c.health(FastProbes.CONFIG), b1.address(), b2Address)) {
                Backend second = new Backend(b2Address);
                await().until(() -> rounds(balancer) >= 2);
                assertTrue(balancer.pool().isUp(second));

                long killed = System.nanoTime();
                b2.kill();
                await().atMost(Duration.ofSeconds(5)).until(() -> !balancer.pool().isUp(second));
                Duration detection = Duration.ofNanos(System.nanoTime() - killed);
                // fall × interval, plus one interval of phase and generous slack for a busy machine
                assertTrue(detection.compareTo(FastProbes.INTERVAL.multipliedBy(3 + 1).plusSeconds(1)) < 0, "took " + detection);
                for (int i = 0; i < 6; i++) {
                    assertEquals("Hello from B1", reply(balancer));
                }

                try (TestBackend restarted = TestBackend.hello("B2", b2Address)) {
                    await().atMost(Duration.ofSeconds(5)).until(() -> balancer.pool().isUp(second));
                    Set<String> seen = new HashSet<>();
                    for (int i = 0; i < 4; i++) {
                        seen.add(reply(balancer));
                    }
                    assertEquals(Set.of("Hello from B1", "Hello from B2"), seen, "failback: B2 serves again");
                }
            }
        }
    }

    /** A black-holed backend's probes hang until their timeout, but others are still probed every interval. */
    @Test
    void blackHoleDoesNotDelayOtherProbes() throws Exception {
        ProbeConfig slowTimeout = new ProbeConfig(FastProbes.INTERVAL, Duration.ofSeconds(30), 2, 3);
        try (Ports.BlackHole hole = new Ports.BlackHole();
             TestBackend live = TestBackend.hello("B1")) {
            Backend liveBackend = new Backend(live.address());
            try (Balancer balancer = RunningBalancer.start(c -> c.health(slowTimeout), hole.address(), live.address())) {
                await().until(() -> rounds(balancer) >= 3);
                live.kill();
                await().atMost(Duration.ofSeconds(3)).until(() -> !balancer.pool().isUp(liveBackend));
                assertTrue(balancer.pool().isUp(new Backend(hole.address())), "its first probe has not ended yet");
            }
        }
    }

    /** Refused client connections count as failures: a dead backend goes DOWN before any further probe. */
    @Test
    void clientTrafficTakesADeadBackendOut() throws Exception {
        ProbeConfig rareProbes = new ProbeConfig(Duration.ofHours(1), Duration.ofMillis(500), 2, 3);
        try (TestBackend b1 = TestBackend.hello("B1");
             TestBackend b2 = TestBackend.hello("B2")) {
            Backend second = new Backend(b2.address());
            try (Balancer balancer = RunningBalancer.start(c -> c.health(rareProbes), b1.address(), b2.address())) {
                await().until(() -> balancer.pool().healthOf(second).streak().checked());
                b2.kill();
                for (int i = 0; i < 6; i++) {
                    assertEquals("Hello from B1", reply(balancer), "failover hides the dead backend");
                }
                assertFalse(balancer.pool().isUp(second));
                assertEquals(1, rounds(balancer), "no probe round ran after the first");
            }
        }
    }

    /** With checks off, nothing is probed and every backend stays UP, as in HAProxy without "check". */
    @Test
    void checksOffMeansNoProbes() throws Exception {
        try (TestBackend b1 = TestBackend.hello("B1")) {
            InetSocketAddress refusing = Ports.refusing();
            try (Balancer balancer = RunningBalancer.start(c -> c.health(ProbeConfig.OFF), b1.address(), refusing)) {
                for (int i = 0; i < 4; i++) {
                    assertEquals("Hello from B1", reply(balancer));
                }
                assertEquals(0, rounds(balancer));
                assertEquals(4, b1.accepted());
                assertTrue(balancer.pool().isUp(new Backend(refusing)));
            }
        }
    }
}
