package dev.loombalancer.pool;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Active connections per backend, exact under concurrency.
 *
 * <p>The map is filled once, at construction, so the hot path never inserts: it only looks
 * up the backend's {@link AtomicInteger} and bumps it. A connection holds a {@link Lease};
 * closing the lease decrements exactly once, however many times and from however many
 * failure paths it is closed.
 */
public final class ConnectionCounter {

    private final Map<Backend, AtomicInteger> active = new ConcurrentHashMap<>();
    // Whom to tell: the newest pool, once a pool has a successor that shares this counter.
    private volatile Consumer<Backend> onChange;

    /** @param onChange told after every change of a backend's count, on the changing thread */
    public ConnectionCounter(Collection<Backend> backends, Consumer<Backend> onChange) {
        for (Backend backend : backends) {
            active.put(backend, new AtomicInteger());
        }
        this.onChange = onChange;
    }

    /**
     * Shares this counter with a successor pool: its new backends are counted from zero,
     * and changes go to {@code newOnChange}. Leases already out keep counting into the
     * same counters, so a backend kept across a change keeps its exact count.
     */
    void handOver(Collection<Backend> backends, Consumer<Backend> newOnChange) {
        for (Backend backend : backends) {
            active.putIfAbsent(backend, new AtomicInteger());
        }
        onChange = newOnChange;
    }

    /** Counts one more connection to {@code backend} until the returned lease is closed. */
    public Lease open(Backend backend) {
        AtomicInteger counter = counterOf(backend);
        counter.incrementAndGet();
        onChange.accept(backend);
        return new Lease(backend, counter);
    }

    /** The number of open connections to {@code backend} right now. */
    public int active(Backend backend) {
        return counterOf(backend).get();
    }

    /** The number of open connections to all backends right now. */
    public int total() {
        int sum = 0;
        for (AtomicInteger counter : active.values()) {
            sum += counter.get();
        }
        return sum;
    }

    private AtomicInteger counterOf(Backend backend) {
        AtomicInteger counter = active.get(backend);
        if (counter == null) {
            throw new IllegalArgumentException("not a backend of this pool: " + backend);
        }
        return counter;
    }

    /** One counted connection; {@link #close()} gives it back exactly once. */
    public final class Lease implements AutoCloseable {
        private final Backend backend;
        private final AtomicInteger counter;
        private final AtomicBoolean released = new AtomicBoolean();

        private Lease(Backend backend, AtomicInteger counter) {
            this.backend = backend;
            this.counter = counter;
        }

        @Override
        public void close() {
            if (released.compareAndSet(false, true)) {
                counter.decrementAndGet();
                onChange.accept(backend);
            }
        }
    }
}
