package dev.loombalancer.chaos;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.testing.BalancerProcess;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario: a greedy client. One address opens every connection slot the defaults allow
 * and more, and keeps them all just alive by trickling a byte every 2 s under a 5 s idle
 * timeout. Clients from other addresses must still be served within a second each, and
 * {@code /healthz} must say the balancer is saturated.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class GreedyClientScenario {

    /** A small open-file limit, so that the derived --max-connections can be filled from one test. */
    private static final int FILE_LIMIT = 2048;
    private static final Pattern SLOTS = Pattern.compile("at most (\\d+) connections");
    private static final long SERVED_WITHIN_MILLIS = 1_000;

    /** Every slot held by one trickling address; other addresses are served within a second. */
    @Test
    void oneAddressCannotLockOthersOut() throws Exception {
        int extra = 100; // beyond the limit: these wait in the waiting room
        int others = Chaos.pick(10, 50);
        InetAddress greedy = InetAddress.getByName("127.0.0.2");
        try (TestBackend b1 = TestBackend.hello("B1"); TestBackend b2 = TestBackend.hello("B2");
             BalancerProcess balancer = BalancerProcess.startWithFileLimit(FILE_LIMIT, "--listen", "127.0.0.1:0",
                     "--admin", "127.0.0.1:0", "--backend", Chaos.backendList(b1, b2), "--idle-timeout", "5s")) {
            InetSocketAddress server = balancer.address();
            balancer.awaitLine("connections (open-file limit " + FILE_LIMIT + ")");
            Matcher slots = balancer.find(SLOTS).orElseThrow();
            int limit = Integer.parseInt(slots.group(1));
            assertEquals("B1", TestClient.backendOf(server, null));
            Chaos.Baseline before = Chaos.Baseline.of(balancer);

            List<TestClient> held = new ArrayList<>();
            Thread trickle = null;
            try {
                for (int i = 0; i < limit + extra; i++) {
                    TestClient client = new TestClient(server, greedy);
                    client.send("greedy " + i);
                    held.add(client);
                }
                await().atMost(Duration.ofSeconds(60)).until(() -> balancer.statusNumber("activeConnections") == limit);
                List<TestClient> trickling = List.copyOf(held);
                trickle = Thread.ofVirtual().start(() -> trickle(trickling));
                // Saturated: greedy clients have waited for a slot for 3 s and more.
                Thread.sleep(3_500);
                String healthz = healthz(balancer);
                assertTrue(healthz.startsWith("503") && healthz.contains("saturated"), healthz);
                // Trickling keeps the greedy connections past the idle timeout: none is reaped.
                Thread.sleep(2_500);
                assertEquals(limit, balancer.statusNumber("activeConnections"));

                long[] millis = new long[others];
                for (int i = 0; i < others; i++) {
                    InetAddress from = InetAddress.getByName("127.0.1." + (i + 1));
                    long started = System.nanoTime();
                    try (TestClient other = new TestClient(server, from)) {
                        String reply = other.exchange("other " + i);
                        assertTrue(reply != null && reply.startsWith("Hello from B"), "served: " + reply);
                    }
                    millis[i] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                }
                Arrays.sort(millis);
                assertTrue(millis[others - 1] < SERVED_WITHIN_MILLIS, "slowest other client: " + millis[others - 1] + " ms");
                long evicted = balancer.statusNumber("evictedConnections");
                assertEquals(others, evicted, "one greedy connection cut per other client");

                Map<String, Object> report = new LinkedHashMap<>();
                report.put("connections", limit + extra + others);
                report.put("verified", others);
                report.put("faultsInjected", "127.0.0.2 holds all " + limit + " slots (+" + extra
                        + " waiting), a byte every 2 s under --idle-timeout 5s; " + others + " clients from other addresses");
                report.put("slots", limit);
                report.put("healthzWhileSaturated", healthz.lines().findFirst().orElse(""));
                report.put("otherClientMedianMs", millis[others / 2]);
                report.put("otherClientMaxMs", millis[others - 1]);
                report.put("evicted", evicted);
                trickle.interrupt();
                trickle.join();
                for (TestClient client : held) {
                    client.close();
                }
                report.putAll(Chaos.backToBaseline(balancer, before));
                Chaos.report("greedy client", report);
            } finally {
                if (trickle != null) {
                    trickle.interrupt();
                }
                for (TestClient client : held) {
                    client.close();
                }
            }
        }
    }

    /** One byte every 2 s on each connection, until interrupted: alive for a 5 s idle timeout. */
    private static void trickle(List<TestClient> clients) {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                for (TestClient client : clients) {
                    try {
                        client.socket().getOutputStream().write('.');
                    } catch (IOException evictedOrWaiting) {
                        // cut to make room for another address: expected for a few
                    }
                }
                Thread.sleep(2_000);
            }
        } catch (InterruptedException e) {
            // done
        }
    }

    /** "200 ok: …" or "503 unavailable: …". */
    private static String healthz(BalancerProcess balancer) throws InterruptedException {
        try {
            return "200 " + balancer.admin("/healthz");
        } catch (IOException e) {
            return e.getMessage().replace("GET /healthz: ", "");
        }
    }
}
