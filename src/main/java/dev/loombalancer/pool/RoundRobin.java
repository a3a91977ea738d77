package dev.loombalancer.pool;

import java.net.InetSocketAddress;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Strict rotation: connection n starts at backend n mod size, then fails over to the
 * following backends in list order, wrapping around once.
 *
 * <p>An atomic counter is all the shared state, so choosing never takes a lock. A long
 * does not wrap in practice, which keeps the rotation even forever.
 */
public final class RoundRobin implements SelectionPolicy {

    private final List<Backend> backends;
    private final AtomicLong next = new AtomicLong();

    public RoundRobin(List<Backend> backends) {
        this.backends = List.copyOf(backends);
    }

    @Override
    public Iterator<Backend> candidates(InetSocketAddress client) {
        int start = (int) (next.getAndIncrement() % backends.size());
        return new Rotation(backends, start);
    }

    @Override
    public String name() {
        return "round-robin";
    }

    /** Every backend once, starting at {@code start} and wrapping around the end. */
    private static final class Rotation implements Iterator<Backend> {
        private final List<Backend> backends;
        private final int start;
        private int offset;

        Rotation(List<Backend> backends, int start) {
            this.backends = backends;
            this.start = start;
        }

        @Override
        public boolean hasNext() {
            return offset < backends.size();
        }

        @Override
        public Backend next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            int index = start + offset++;
            return backends.get(index < backends.size() ? index : index - backends.size());
        }
    }
}
