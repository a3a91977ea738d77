package dev.loombalancer.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.testing.BalancerProcess;
import dev.loombalancer.testing.TestBackend;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario: reload under load. While 32 clients at a time run checked exchanges, the
 * configuration file is replaced every 250 ms, each time with another set of backends
 * and weights. Every exchange must be answered and intact: a reload cuts nothing.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ReloadScenario {

    /** Reloads that change the backends, under load, lose no connection. */
    @Test
    void reloadsUnderLoadCutNothing() throws Exception {
        int connections = Chaos.pick(20_000, 60_000);
        AtomicLong mismatches = new AtomicLong();
        TestBackend[] backends = Chaos.verifyingBackends(mismatches, null);
        Path directory = Files.createTempDirectory("loom-reload-scenario");
        Path file = directory.resolve("loom.yaml");
        // The sets the file cycles through: all three, then each pair, with weights that differ.
        List<String> sets = List.of(
                entry(backends[0], 1) + entry(backends[1], 1) + entry(backends[2], 1),
                entry(backends[0], 3) + entry(backends[1], 1),
                entry(backends[1], 2) + entry(backends[2], 1),
                entry(backends[2], 1) + entry(backends[0], 2));
        write(file, sets.get(0));
        AtomicBoolean loading = new AtomicBoolean(true);
        AtomicInteger reloads = new AtomicInteger();
        try (BalancerProcess balancer = BalancerProcess.start("--config", file.toString())) {
            InetSocketAddress server = balancer.address();
            ChurnScenario.runConnections(server, 1_000); // warm-up
            Chaos.Baseline before = Chaos.Baseline.of(balancer);

            Thread reloader = Thread.ofVirtual().start(() -> {
                try {
                    for (int i = 1; loading.get() && i < 10_000; i++) {
                        Thread.sleep(250);
                        write(file, sets.get(i % sets.size()));
                        reloads.incrementAndGet();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            List<String> failures = ChurnScenario.runConnections(server, connections);
            loading.set(false);
            reloader.join();

            assertEquals(List.of(), failures.stream().limit(10).toList(), failures.size() + " exchanges lost to reloads");
            assertEquals(0, mismatches.get(), "corrupted bytes");
            long applied = balancer.err().lines().filter(line -> line.contains("reloaded ")).count();
            assertTrue(applied >= 4, applied + " reloads applied");
            Map<String, Object> figures = Chaos.backToBaseline(balancer, before);

            Map<String, Object> report = new LinkedHashMap<>();
            report.put("connections", connections);
            report.put("verified", connections - failures.size());
            report.put("bytesVerified", 2L * 64 * connections);
            report.put("faultsInjected", reloads.get() + " file replacements (" + applied
                    + " reloads applied), each another set of backends and weights");
            report.put("reloadsApplied", applied);
            report.put("connectionsCut", failures.size());
            report.putAll(figures);
            Chaos.report("reload under load", report);
        } finally {
            loading.set(false);
            for (TestBackend backend : backends) {
                backend.close();
            }
            try (var files = Files.list(directory)) {
                for (Path each : files.toList()) {
                    Files.deleteIfExists(each);
                }
            }
            Files.deleteIfExists(directory);
        }
    }

    private static String entry(TestBackend backend, int weight) {
        return "      - address: 127.0.0.1:" + backend.address().getPort() + "\n        weight: " + weight + "\n";
    }

    /** The whole file for one set of backends, written beside it and renamed over it. */
    private static void write(Path file, String backends) throws IOException {
        String text = "services:\n  - name: web\n    listen: 127.0.0.1:0\n    health-interval: 500ms\n    backends:\n"
                + backends + "admin: 127.0.0.1:0\n";
        Path next = file.resolveSibling("loom.yaml.next");
        Files.writeString(next, text, StandardCharsets.UTF_8);
        Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
