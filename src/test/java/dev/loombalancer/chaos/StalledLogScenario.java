package dev.loombalancer.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.testing.BalancerProcess;
import dev.loombalancer.testing.Ports;
import dev.loombalancer.testing.TestBackend;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A log nobody reads: the balancer's standard error is a pipe the test never reads, so
 * after its first 64 KiB every write to it blocks. Every access-log line must then be
 * dropped and counted, while clients are served as before and the heap stays bounded.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class StalledLogScenario {

    private static final int WARM_UP = 2_000;
    /** The bounded writer's default queue, in entries. */
    private static final int QUEUE = 8192;
    /** The bounded writer's queue (8192 entries of a few hundred bytes each) plus noise. */
    private static final long HEAP_SLACK = 16L * 1024 * 1024;

    /** With a stalled log, memory stays bounded and lines are dropped and counted, never waited for. */
    @Test
    void aStalledLogCostsDroppedLinesNotMemory() throws Exception {
        int connections = Chaos.pick(20_000, 100_000);
        AtomicLong mismatches = new AtomicLong();
        TestBackend[] backends = Chaos.verifyingBackends(mismatches, null);
        try (BalancerProcess balancer = BalancerProcess.startWithUnreadStderr(Ports.free(), Ports.free(),
                "--backend", Chaos.backendList(backends))) {
            InetSocketAddress server = balancer.address();
            ChurnScenario.runConnections(server, WARM_UP); // fills the pipe, then the queue
            long droppedBefore = dropped(balancer);
            long heapBefore = balancer.heapAfterGc();

            long started = System.nanoTime();
            List<String> failures = ChurnScenario.runConnections(server, connections);
            double seconds = (System.nanoTime() - started) / 1e9;

            assertEquals(List.of(), failures.stream().limit(10).toList(), failures.size() + " not served");
            assertEquals(0, mismatches.get());
            long dropped = dropped(balancer) - droppedBefore;
            long heapAfter = balancer.heapAfterGc();
            assertTrue(heapAfter <= heapBefore + HEAP_SLACK, "live heap " + heapAfter + " B after, " + heapBefore + " B before");
            // The queue may still have had room for some of this run's lines; every one past it was dropped.
            assertTrue(dropped >= connections - QUEUE && dropped <= connections,
                    dropped + " of " + connections + " access lines dropped and counted");

            Map<String, Object> report = new LinkedHashMap<>();
            report.put("connections", connections);
            report.put("verified", connections - failures.size());
            report.put("connectionsPerSecond", Math.round(connections / seconds));
            report.put("faultsInjected", "standard error a pipe nobody reads");
            report.put("logLinesDropped", dropped);
            report.put("heapBeforeKiB", heapBefore / 1024);
            report.put("heapAfterKiB", heapAfter / 1024);
            Chaos.report("stalled log", report);
        } finally {
            for (TestBackend backend : backends) {
                backend.close();
            }
        }
    }

    private static long dropped(BalancerProcess balancer) throws Exception {
        Matcher matcher = Pattern.compile("(?m)^loom_log_lines_dropped_total (\\S+)$").matcher(balancer.admin("/metrics"));
        assertTrue(matcher.find(), "loom_log_lines_dropped_total in /metrics");
        return (long) Double.parseDouble(matcher.group(1));
    }
}
