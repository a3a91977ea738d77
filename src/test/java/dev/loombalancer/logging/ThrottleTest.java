package dev.loombalancer.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** One line per period, the first at once, and the next one says how many were left out. */
class ThrottleTest {

    /** However many threads race, one logs per period; the next logged line reports the rest. */
    @Test
    void oneLinePerPeriodAndACountOfTheRest() throws Exception {
        Throttle throttle = new Throttle(Duration.ofMillis(300));
        AtomicInteger admitted = new AtomicInteger();
        AtomicLong reportedByFirst = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            threads.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; i < 1_000; i++) {
                    long more = throttle.admit();
                    if (more >= 0) {
                        admitted.incrementAndGet();
                        reportedByFirst.set(more);
                    }
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(1, admitted.get(), "one line within the period");
        Thread.sleep(350); // the period passes (a test of time itself, so it waits for time)
        // Calls that lost the race while the first line was being admitted are reported by
        // that first line; none is lost: the two lines account for every suppressed call.
        assertEquals(7_999, reportedByFirst.get() + throttle.admit(), "the lines count every suppressed call");
        assertEquals(-1, throttle.admit());
        assertEquals(" (and 3 more like it since the last)", Throttle.more(3));
        assertEquals("", Throttle.more(0));
    }
}
