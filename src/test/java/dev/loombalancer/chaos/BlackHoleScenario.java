package dev.loombalancer.chaos;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.testing.BalancerProcess;
import dev.loombalancer.testing.Ports;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario 5: a backend turns into a black hole (its accept queue is full: SYNs are
 * dropped, nothing is refused). Each client that tries it loses at most the connect
 * timeout and is then served by another backend; after --fall such timeouts it is DOWN and
 * costs nobody anything. Health probes are an hour apart, so it is client traffic alone
 * that takes it out.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BlackHoleScenario {

    private static final long CONNECT_TIMEOUT_MILLIS = 500;
    /** Scheduling slack on top of the connect timeout, on a loaded 2-core machine. */
    private static final long SLACK_MILLIS = 1_000;

    /** A backend that drops SYNs costs only --fall clients the connect timeout each, then goes DOWN. */
    @Test
    void aBlackHoleCostsAtMostTheConnectTimeoutThenNothing() throws Exception {
        int clients = Chaos.pick(30, 300);
        TestBackend soonHole = TestBackend.hello("B1");
        InetSocketAddress holeAddress = soonHole.address();
        try (TestBackend b2 = TestBackend.hello("B2");
             TestBackend b3 = TestBackend.hello("B3");
             BalancerProcess balancer = BalancerProcess.start("--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                     "--backend", Chaos.backendList(soonHole, b2, b3), "--connect-timeout", CONNECT_TIMEOUT_MILLIS + "ms",
                     "--health-interval", "1h")) {
            InetSocketAddress server = balancer.address();
            // The first (and, at 1h, only) probe round has passed all three.
            await().atMost(Duration.ofSeconds(10)).until(() -> balancer.admin("/metrics")
                    .contains("loom_health_checks_total{result=\"success\",service=\"default\"} 3.0"));
            Chaos.Baseline before = Chaos.Baseline.of(balancer);
            soonHole.close();
            try (Ports.BlackHole hole = new Ports.BlackHole(holeAddress)) {
                long slowest = 0;
                int delayed = 0;
                for (int i = 0; i < clients; i++) {
                    long started = System.nanoTime();
                    String name = TestClient.backendOf(server, null);
                    long millis = (System.nanoTime() - started) / 1_000_000;
                    assertTrue(name.equals("B2") || name.equals("B3"), name);
                    assertTrue(millis <= CONNECT_TIMEOUT_MILLIS + SLACK_MILLIS, "client " + i + " took " + millis + " ms");
                    slowest = Math.max(slowest, millis);
                    if (millis >= CONNECT_TIMEOUT_MILLIS) {
                        delayed++;
                    }
                }
                assertEquals(3, delayed, "--fall 3: three clients pay the timeout, then the hole is DOWN");
                @SuppressWarnings("unchecked")
                List<Map<String, Object>> states = (List<Map<String, Object>>) balancer.status().get("backends");
                assertEquals("DOWN", states.get(0).get("state"));
                assertTrue(((String) states.get(0).get("lastHealthResult")).startsWith("timed out"),
                        "DOWN for timing out: " + states.get(0));
                Map<String, Object> figures = Chaos.backToBaseline(balancer, before);

                Map<String, Object> report = new LinkedHashMap<>();
                report.put("connections", clients);
                report.put("verified", clients);
                report.put("faultsInjected", "1 backend black-holed (full accept queue)");
                report.put("connectTimeoutMs", CONNECT_TIMEOUT_MILLIS);
                report.put("clientsDelayed", delayed);
                report.put("slowestClientMs", slowest);
                report.putAll(figures);
                Chaos.report("black hole", report);
            }
        }
    }
}
