package dev.loombalancer.chaos;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.loombalancer.testing.BalancerProcess;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.VerifiedExchange;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;

/**
 * What the chaos scenarios share: their scale ({@code -Dchaos.scale=short} for CI, full
 * otherwise), the report they append their figures to, and the end-of-scenario check that
 * the balancer is back where it started.
 */
final class Chaos {

    static final boolean SHORT = "short".equals(System.getProperty("chaos.scale", "full"));
    private static final Path RESULTS = Path.of(System.getProperty("chaos.results", "target/chaos/results.jsonl"));
    /** Slack over the baseline: the admin connection of the test, a lingering JIT or carrier thread. */
    static final int FILE_SLACK = 8;
    static final int THREAD_SLACK = 16;

    private Chaos() {
    }

    static int pick(int shortValue, int fullValue) {
        return SHORT ? shortValue : fullValue;
    }

    static Duration pick(Duration shortValue, Duration fullValue) {
        return SHORT ? shortValue : fullValue;
    }

    /** Three verifying echo backends on loopback, named B1-B3, recording mismatches in {@code mismatches}. */
    static TestBackend[] verifyingBackends(AtomicLong mismatches, Map<Long, String> placements) throws IOException {
        TestBackend[] backends = new TestBackend[3];
        for (int i = 0; i < backends.length; i++) {
            backends[i] = TestBackend.serving(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                    VerifiedExchange.backend("B" + (i + 1), placements, mismatches));
        }
        return backends;
    }

    /** "127.0.0.1:1,127.0.0.1:2,…" for --backend. */
    static String backendList(TestBackend... backends) {
        return Stream.of(backends).map(b -> "127.0.0.1:" + b.address().getPort()).collect(Collectors.joining(","));
    }

    /** Open files and platform threads of an idle, warmed-up balancer. */
    record Baseline(int files, int threads) {
        static Baseline of(BalancerProcess balancer) throws IOException {
            return new Baseline(balancer.openFiles(), balancer.platformThreads());
        }
    }

    /**
     * Waits until the balancer has no connection and no connection or pipe thread left and
     * its open files are back near the baseline; asserts it, and returns the figures.
     */
    static Map<String, Object> backToBaseline(BalancerProcess balancer, Baseline before) throws Exception {
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> balancer.statusNumber("activeConnections") == 0
                    && balancer.statusNumber("liveThreads") == 0
                    && balancer.openFiles() <= before.files() + FILE_SLACK);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("not back to the baseline in 30 s: activeConnections "
                    + balancer.statusNumber("activeConnections") + ", liveThreads " + balancer.statusNumber("liveThreads")
                    + ", open files " + balancer.openFiles() + " (" + before.files() + " before)", e);
        }
        int files = balancer.openFiles();
        int threads = balancer.platformThreads();
        assertTrue(threads <= before.threads() + THREAD_SLACK,
                "platform threads " + threads + " after, " + before.threads() + " before");
        assertTrue(balancer.process().isAlive(), "still running");
        assertFalse(balancer.err().contains("\tat "), "no stack trace in the log:\n" + balancer.err());
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("filesBefore", before.files());
        figures.put("filesAfter", files);
        figures.put("threadsBefore", before.threads());
        figures.put("threadsAfter", threads);
        figures.put("liveVirtualThreadsAfter", balancer.statusNumber("liveThreads"));
        return figures;
    }

    /** Appends one scenario's figures, as one JSON line, to the results file bench/chaos.sh reports from. */
    static void report(String scenario, Map<String, Object> figures) throws IOException {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("scenario", scenario);
        line.put("scale", SHORT ? "short" : "full");
        line.putAll(figures);
        Files.createDirectories(RESULTS.toAbsolutePath().getParent());
        Files.writeString(RESULTS, JSON.std.asString(line) + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
}
