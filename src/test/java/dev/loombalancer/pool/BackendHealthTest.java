package dev.loombalancer.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The UP/DOWN state machine: HAProxy's rise and fall, and its start-up rule. */
class BackendHealthTest {

    /** A backend starts UP, and a first failure before any success takes it DOWN at once. */
    @Test
    void firstFailureTakesAnUncheckedBackendDown() {
        BackendHealth health = new BackendHealth(2, 3);
        assertTrue(health.isUp());
        assertNotNull(health.failed("connection refused"));
        assertFalse(health.isUp());
    }

    /** Once checked, it takes fall failures in a row to go DOWN and rise successes to come back. */
    @Test
    void fallAndRiseCountConsecutiveResults() {
        BackendHealth health = new BackendHealth(2, 3);
        assertNull(health.succeeded("ok"));
        assertNull(health.failed("refused"));
        assertNull(health.failed("refused"));
        assertNull(health.succeeded("ok")); // breaks the streak
        assertNull(health.failed("refused"));
        assertNull(health.failed("refused"));
        assertTrue(health.isUp());
        BackendHealth.Transition down = health.failed("refused");
        assertNotNull(down);
        assertEquals(3, down.after().failures());
        assertFalse(health.isUp());
        assertNull(health.succeeded("ok"));
        assertNull(health.failed("refused")); // breaks the rising streak
        assertNull(health.succeeded("ok"));
        assertFalse(health.isUp());
        assertNotNull(health.succeeded("ok"));
        assertTrue(health.isUp());
    }

    /** However many threads report at once, each change of state is reported exactly once. */
    @Test
    void concurrentReportsSeeEachTransitionOnce() throws Exception {
        BackendHealth health = new BackendHealth(1, 1);
        health.succeeded("ok");
        AtomicInteger downs = new AtomicInteger();
        AtomicInteger ups = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            boolean failing = t % 2 == 0;
            threads.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; i < 10_000; i++) {
                    if (failing ? health.failed("x") != null : health.succeeded("y") != null) {
                        (failing ? downs : ups).incrementAndGet();
                    }
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        // UP and DOWN alternate, so the counts differ by the final state alone.
        assertEquals(downs.get() - ups.get(), health.isUp() ? 0 : 1);
    }
}
