package dev.loombalancer.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.testing.BalancerProcess;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.VerifiedExchange;
import dev.loombalancer.testing.VerifiedExchange.Outcome;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario 2, churn: 100,000 short connections, each one exchange verified both ways.
 * Nothing is injected, so every one must be verified; afterwards open files, threads and
 * the live heap are back at their baseline, so nothing accumulates per connection.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ChurnScenario {

    private static final int WARM_UP = 2_000;
    private static final int CONCURRENCY = 32;
    /** Live heap may differ by this much after a full GC: class and JIT metadata, the sampling of a few caches. */
    private static final long HEAP_SLACK = 8L * 1024 * 1024;

    /** Many short connections leave no file, thread or live heap behind. */
    @Test
    void shortConnectionsLeaveNothingBehind() throws Exception {
        int connections = Chaos.pick(10_000, 100_000);
        AtomicLong mismatches = new AtomicLong();
        TestBackend[] backends = Chaos.verifyingBackends(mismatches, null);
        try (BalancerProcess balancer = BalancerProcess.start("--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                "--backend", Chaos.backendList(backends))) {
            InetSocketAddress server = balancer.address();
            runConnections(server, WARM_UP); // JIT, buffers and caches settle first
            Chaos.Baseline before = Chaos.Baseline.of(balancer);
            long heapBefore = balancer.heapAfterGc();

            long started = System.nanoTime();
            List<String> failures = runConnections(server, connections);
            double seconds = (System.nanoTime() - started) / 1e9;

            assertEquals(List.of(), failures.stream().limit(10).toList(), failures.size() + " not verified");
            assertEquals(0, mismatches.get());
            Map<String, Object> figures = Chaos.backToBaseline(balancer, before);
            long heapAfter = balancer.heapAfterGc();
            assertTrue(heapAfter <= heapBefore + HEAP_SLACK,
                    "live heap " + heapAfter + " B after, " + heapBefore + " B before");

            Map<String, Object> report = new LinkedHashMap<>();
            report.put("connections", connections);
            report.put("verified", connections - failures.size());
            report.put("bytesVerified", 2L * 64 * connections);
            report.put("seconds", Math.round(seconds * 10) / 10.0);
            report.put("connectionsPerSecond", Math.round(connections / seconds));
            report.put("faultsInjected", "none");
            report.put("heapBeforeKiB", heapBefore / 1024);
            report.put("heapAfterKiB", heapAfter / 1024);
            report.putAll(figures);
            Chaos.report("churn", report);
        } finally {
            for (TestBackend backend : backends) {
                backend.close();
            }
        }
    }

    /** {@code count} connections of one 64-byte exchange each, {@link #CONCURRENCY} at a time; the failures. */
    static List<String> runConnections(InetSocketAddress server, int count) throws InterruptedException {
        AtomicLong next = new AtomicLong();
        Queue<String> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < CONCURRENCY; t++) {
            threads.add(Thread.ofVirtual().start(() -> {
                for (long id; (id = next.getAndIncrement()) < count; ) {
                    VerifiedExchange.Result result = VerifiedExchange.run(server, id, 64, id, 0, 30_000);
                    if (result.outcome() != Outcome.VERIFIED) {
                        failures.add(id + ": " + result.outcome() + " " + result.detail());
                    }
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        return List.copyOf(failures);
    }
}
