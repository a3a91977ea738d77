package dev.loombalancer.chaos;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.testing.BalancerProcess;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario 4, slow and idle clients: thousands of idle proxied connections do not slow a
 * fresh client down; with --idle-timeout they are all reaped, each client seeing its
 * connection closed.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class IdleScenario {

    private static final int SAMPLES = 50;
    /** A fresh client is served within this, however many idle connections are open. */
    private static final long FRESH_CLIENT_BOUND_MILLIS = 1_000;

    /** Thousands of idle proxied connections do not slow a fresh client. */
    @Test
    void idleConnectionsDoNotSlowFreshClients() throws Exception {
        int idle = Chaos.pick(1_000, 5_000);
        try (TestBackend b1 = TestBackend.hello("B1"); TestBackend b2 = TestBackend.hello("B2");
             TestBackend b3 = TestBackend.hello("B3");
             BalancerProcess balancer = BalancerProcess.start("--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                     "--backend", Chaos.backendList(b1, b2, b3))) {
            InetSocketAddress server = balancer.address();
            freshClientMillis(server); // warm-up
            Chaos.Baseline before = Chaos.Baseline.of(balancer);
            long[] quiet = freshClientMillis(server);

            List<TestClient> sleepers = openIdle(server, idle);
            assertEquals(idle, balancer.statusNumber("activeConnections"));
            long[] busy = freshClientMillis(server);
            assertTrue(busy[busy.length - 1] <= FRESH_CLIENT_BOUND_MILLIS, "slowest fresh client: " + busy[busy.length - 1]);
            for (TestClient sleeper : sleepers) {
                sleeper.close();
            }
            Map<String, Object> figures = Chaos.backToBaseline(balancer, before);

            Map<String, Object> report = new LinkedHashMap<>();
            report.put("connections", idle + 2 * SAMPLES);
            report.put("verified", 2 * SAMPLES);
            report.put("faultsInjected", idle + " idle connections held open");
            report.put("freshClientMedianMsQuiet", quiet[SAMPLES / 2]);
            report.put("freshClientMedianMsWithIdle", busy[SAMPLES / 2]);
            report.put("freshClientMaxMsWithIdle", busy[SAMPLES - 1]);
            report.putAll(figures);
            Chaos.report("idle clients", report);
        }
    }

    /** --idle-timeout closes every idle connection, and each client sees it. */
    @Test
    void idleTimeoutReapsThemAll() throws Exception {
        int idle = Chaos.pick(1_000, 5_000);
        Duration timeout = Duration.ofSeconds(2);
        try (TestBackend b1 = TestBackend.hello("B1");
             BalancerProcess balancer = BalancerProcess.start("--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                     "--backend", Chaos.backendList(b1), "--idle-timeout", timeout.toMillis() + "ms")) {
            InetSocketAddress server = balancer.address();
            freshClientMillis(server);
            Chaos.Baseline before = Chaos.Baseline.of(balancer);

            long opened = System.nanoTime();
            List<TestClient> sleepers = openIdle(server, idle);
            await().atMost(timeout.plusSeconds(30)).until(() -> balancer.statusNumber("activeConnections") == 0);
            long reapedAfter = (System.nanoTime() - opened) / 1_000_000;
            int sawClose = 0;
            for (TestClient sleeper : sleepers) {
                sleeper.socket().setSoTimeout(5_000);
                try (sleeper) {
                    if (sleeper.readLine() == null) {
                        sawClose++;
                    }
                } catch (IOException reset) {
                    sawClose++;
                }
            }
            assertEquals(idle, sawClose, "every idle client saw its connection closed");
            assertEquals("B1", TestClient.backendOf(server, null), "still serving");
            Map<String, Object> figures = Chaos.backToBaseline(balancer, before);

            Map<String, Object> report = new LinkedHashMap<>();
            report.put("connections", idle);
            report.put("closedByFaults", sawClose);
            report.put("faultsInjected", idle + " idle connections, --idle-timeout " + timeout.toMillis() + "ms");
            report.put("allReapedAfterMs", reapedAfter);
            report.putAll(figures);
            Chaos.report("idle timeout", report);
        }
    }

    /** {@code count} connections, each proxied (one line answered) and then left idle. */
    private static List<TestClient> openIdle(InetSocketAddress server, int count) throws IOException {
        List<TestClient> clients = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            TestClient client = new TestClient(server);
            client.backendName("idle"); // answered by a backend: the connection is proxied
            clients.add(client);
        }
        return clients;
    }

    /** {@link #SAMPLES} fresh clients, one after another: connect, one line, close; milliseconds each, sorted. */
    private static long[] freshClientMillis(InetSocketAddress server) throws IOException {
        long[] millis = new long[SAMPLES];
        for (int i = 0; i < SAMPLES; i++) {
            long started = System.nanoTime();
            TestClient.backendOf(server, null);
            millis[i] = (System.nanoTime() - started) / 1_000_000;
        }
        Arrays.sort(millis);
        return millis;
    }
}
