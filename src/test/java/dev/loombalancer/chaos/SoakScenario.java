package dev.loombalancer.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.testing.BalancerProcess;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.VerifiedExchange;
import dev.loombalancer.testing.VerifiedExchange.Outcome;
import dev.loombalancer.testing.VerifiedExchange.Result;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario 1, soak: a few hundred clients stream random-sized payloads both ways while a
 * chaos loop kills backends (every connection reset, like a crash) and restarts them. Every
 * exchange must end verified or closed; none corrupted, none hung.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SoakScenario {

    private static final int HUNG_MILLIS = 30_000;

    /** Verified streams both ways survive backends being killed and restarted: nothing corrupted, nothing hung. */
    @Test
    void streamsSurviveBackendsDyingAndComingBack() throws Exception {
        int clients = Chaos.pick(50, 300);
        Duration duration = Chaos.pick(Duration.ofSeconds(10), Duration.ofSeconds(60));
        AtomicLong mismatches = new AtomicLong();
        TestBackend[] backends = Chaos.verifyingBackends(mismatches, null);
        InetSocketAddress[] addresses = new InetSocketAddress[backends.length];
        for (int i = 0; i < backends.length; i++) {
            addresses[i] = backends[i].address();
        }
        try (BalancerProcess balancer = BalancerProcess.start("--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                "--backend", Chaos.backendList(backends), "--health-interval", "250ms", "--health-timeout", "250ms",
                "--connect-timeout", "1s")) {
            InetSocketAddress server = balancer.address();
            assertEquals(Outcome.VERIFIED, VerifiedExchange.run(server, 0, 100_000, 1, 0, HUNG_MILLIS).outcome());
            Chaos.Baseline before = Chaos.Baseline.of(balancer);

            Map<Outcome, LongAdder> outcomes = new EnumMap<>(Outcome.class);
            for (Outcome outcome : Outcome.values()) {
                outcomes.put(outcome, new LongAdder());
            }
            LongAdder verifiedBytes = new LongAdder();
            Queue<String> failures = new ConcurrentLinkedQueue<>();
            Queue<long[]> closedSpans = new ConcurrentLinkedQueue<>(); // [start, end] of each closed exchange
            Queue<long[]> killSpans = new ConcurrentLinkedQueue<>(); // [start, end] of each kill
            AtomicLong ids = new AtomicLong();
            long deadline = System.nanoTime() + duration.toNanos();
            List<Thread> threads = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                long seed = c;
                threads.add(Thread.ofVirtual().start(() -> {
                    SplittableRandom random = new SplittableRandom(seed);
                    while (System.nanoTime() < deadline) {
                        long started = System.nanoTime();
                        Result result = VerifiedExchange.run(server, ids.incrementAndGet(), size(random),
                                random.nextLong(), 0, HUNG_MILLIS);
                        if (result.outcome() == Outcome.CLOSED) {
                            closedSpans.add(new long[] {started, System.nanoTime()});
                        }
                        outcomes.get(result.outcome()).increment();
                        verifiedBytes.add(result.verifiedBytes());
                        if (result.outcome() == Outcome.CORRUPT || result.outcome() == Outcome.HUNG) {
                            failures.add(result.outcome() + ": " + result.detail());
                        }
                    }
                }));
            }

            int kills = 0;
            int cutByKills = 0; // connections open on the victims when they were killed
            SplittableRandom chaos = new SplittableRandom(42);
            while (System.nanoTime() < deadline) {
                Thread.sleep(chaos.nextInt(300, 1500));
                int victim = chaos.nextInt(backends.length);
                cutByKills += backends[victim].open();
                long killStarted = System.nanoTime();
                backends[victim].kill();
                killSpans.add(new long[] {killStarted, System.nanoTime()});
                kills++;
                Thread.sleep(chaos.nextInt(200, 1000));
                backends[victim] = TestBackend.serving(addresses[victim],
                        VerifiedExchange.backend("B" + (victim + 1), null, mismatches));
            }
            for (Thread thread : threads) {
                assertTrue(thread.join(Duration.ofMillis(2L * HUNG_MILLIS)), "a client never finished");
            }

            assertEquals(List.of(), List.copyOf(failures), "no exchange corrupted or hung");
            assertEquals(0, mismatches.get(), "every upload arrived intact");
            assertTrue(outcomes.get(Outcome.VERIFIED).sum() > clients, "exchanges completed: " + outcomes);
            // Only the kills closed anything: every closed exchange was in progress during a kill.
            // (Counting is not exact enough: a kill also resets connections still in the
            // victim's accept queue, which no Java code sees.)
            for (long[] closed : closedSpans) {
                assertTrue(killSpans.stream().anyMatch(kill -> closed[0] <= kill[1] && kill[0] <= closed[1]),
                        "an exchange was closed with no kill during it");
            }
            // Still serving once every backend is back.
            assertEquals(Outcome.VERIFIED, VerifiedExchange.run(server, 0, 1_000_000, 2, 0, HUNG_MILLIS).outcome());
            Map<String, Object> figures = Chaos.backToBaseline(balancer, before);

            Map<String, Object> report = new java.util.LinkedHashMap<>();
            report.put("clients", clients);
            report.put("seconds", duration.toSeconds());
            report.put("connections", ids.get());
            report.put("verified", outcomes.get(Outcome.VERIFIED).sum());
            report.put("closedByFaults", outcomes.get(Outcome.CLOSED).sum());
            report.put("corrupt", outcomes.get(Outcome.CORRUPT).sum());
            report.put("hung", outcomes.get(Outcome.HUNG).sum());
            report.put("bytesVerified", verifiedBytes.sum());
            report.put("faultsInjected", kills + " backend kills (RST on every connection), each restarted");
            report.put("acceptedConnectionsOnKilledBackends", cutByKills);
            report.putAll(figures);
            Chaos.report("soak", report);
        } finally {
            for (TestBackend backend : backends) {
                backend.close();
            }
        }
    }

    /** Mostly small, some medium, a few large: 70% up to 16 KiB, 25% up to 256 KiB, 5% up to 4 MiB. */
    private static long size(SplittableRandom random) {
        int roll = random.nextInt(100);
        if (roll < 70) {
            return random.nextInt(0, 16 * 1024);
        }
        return roll < 95 ? random.nextInt(16 * 1024, 256 * 1024) : random.nextInt(256 * 1024, 4 * 1024 * 1024);
    }
}
