package dev.loombalancer.chaos;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.loombalancer.testing.BalancerProcess;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.VerifiedExchange;
import dev.loombalancer.testing.VerifiedExchange.Outcome;
import dev.loombalancer.testing.VerifiedExchange.Result;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario 6: a backend resets mid-stream. Exactly its clients are closed; every other
 * stream finishes verified; the balancer's connection count drops by exactly the number
 * cut, then to zero.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ResetScenario {

    /** A backend that resets mid-stream closes only its own clients; the other streams verify. */
    @Test
    void aResetClosesOnlyThePairedClients() throws Exception {
        int streams = Chaos.pick(12, 60);
        long length = 8L * 1024 * 1024;
        AtomicLong mismatches = new AtomicLong();
        Map<Long, String> placements = new ConcurrentHashMap<>();
        TestBackend[] backends = Chaos.verifyingBackends(mismatches, placements);
        try (BalancerProcess balancer = BalancerProcess.start("--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                "--backend", Chaos.backendList(backends), "--no-health-check")) {
            InetSocketAddress server = balancer.address();
            assertEquals(Outcome.VERIFIED, VerifiedExchange.run(server, -1, 1000, 1, 0, 30_000).outcome());
            Chaos.Baseline before = Chaos.Baseline.of(balancer);
            placements.clear();

            Map<Long, Result> results = new ConcurrentHashMap<>();
            List<Thread> clients = new ArrayList<>();
            for (long id = 0; id < streams; id++) {
                long stream = id;
                // 16 KiB every 5 ms: each stream takes a few seconds, so the reset lands mid-stream.
                clients.add(Thread.ofVirtual().start(() ->
                        results.put(stream, VerifiedExchange.run(server, stream, length, stream, 5, 30_000))));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> placements.size() == streams);
            assertEquals(streams, balancer.statusNumber("activeConnections"));
            List<Long> paired = placements.entrySet().stream().filter(e -> e.getValue().equals("B2"))
                    .map(Map.Entry::getKey).sorted().toList();

            backends[1].kill(); // B2 crashes: RST on each of its connections

            await().atMost(Duration.ofSeconds(10)).until(() ->
                    balancer.statusNumber("activeConnections") == streams - paired.size());
            for (Thread client : clients) {
                client.join();
            }
            for (long id = 0; id < streams; id++) {
                Outcome expected = paired.contains(id) ? Outcome.CLOSED : Outcome.VERIFIED;
                assertEquals(expected, results.get(id).outcome(), "stream " + id + ": " + results.get(id).detail());
            }
            assertEquals(0, mismatches.get());
            Map<String, Object> figures = Chaos.backToBaseline(balancer, before);

            Map<String, Object> report = new LinkedHashMap<>();
            report.put("connections", streams);
            report.put("verified", streams - paired.size());
            report.put("closedByFaults", paired.size());
            report.put("bytesVerified", 2 * length * (streams - paired.size()));
            report.put("faultsInjected", "1 backend reset mid-stream (" + paired.size() + " streams on it)");
            report.putAll(figures);
            Chaos.report("reset mid-stream", report);
        } finally {
            for (TestBackend backend : backends) {
                backend.close();
            }
        }
    }
}
