package dev.loombalancer.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** One line per period, the first at once, and the next one says how many were left out. */
class ThrottleTest {

    /** However many threads race, one logs per period; the next logged line reports the rest. */
    @Test
    void oneLinePerPeriodAndACountOfTheRest() throws Exception {
        Throttle throttle = new Throttle(Duration.ofMillis(300));
        AtomicInteger admitted = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            threads.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; i < 1_000; i++) {
                    if (throttle.admit() >= 0) {
                        admitted.incrementAndGet();
                    }
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(1, admitted.get(), "one line within the period");
        Thread.sleep(350); // the period passes (a test of time itself, so it waits for time)
        assertEquals(7_999, throttle.admit(), "the next line counts the suppressed ones");
        assertEquals(-1, throttle.admit());
        assertEquals(" (and 3 more like it since the last)", Throttle.more(3));
        assertEquals("", Throttle.more(0));
    }
}
