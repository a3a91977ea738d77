package dev.loombalancer.logging;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * At most one log line of a kind per period: the first one at once, and later ones only
 * once the period has passed, saying how many were left out meanwhile. During an outage
 * every client fails the same way, and a line per client would bury the one that matters.
 * Lock-free: one compare-and-set decides which thread logs.
 */
public final class Throttle {

    private final long periodNanos;
    private final AtomicLong nextNanos;
    private final LongAdder suppressed = new LongAdder();

    public Throttle(Duration period) {
        this.periodNanos = period.toNanos();
        this.nextNanos = new AtomicLong(System.nanoTime() - periodNanos);
    }

    /**
     * Whether this line may be logged now. If so, returns how many were suppressed since
     * the last one logged (0 or more); if not, counts this one and returns -1.
     */
    public long admit() {
        long now = System.nanoTime();
        long next = nextNanos.get();
        if (now - next >= 0 && nextNanos.compareAndSet(next, now + periodNanos)) {
            return suppressed.sumThenReset();
        }
        suppressed.increment();
        return -1;
    }

    /** " (and 12 more like it since the last)" for a positive count, else "". */
    public static String more(long suppressed) {
        return suppressed > 0 ? " (and " + suppressed + " more like it since the last)" : "";
    }
}
