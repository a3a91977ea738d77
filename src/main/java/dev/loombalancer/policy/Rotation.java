package dev.loombalancer.policy;

import dev.loombalancer.pool.Backend;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * The failover order every policy ends with: an optional preferred backend first, then
 * the backends of a list starting at {@code start} and wrapping around, each once.
 *
 * <p>It walks the list lazily, so a pool of 10,000 backends costs nothing per connection
 * unless the connection really has to fail over that far.
 */
final class Rotation implements Iterator<Backend> {

    private final Backend preferred;
    private final List<Backend> backends;
    private final int start;
    private boolean preferredGiven;
    private int offset;
    private Backend next;

    /**
     * @param preferred tried first, then skipped in the list; null for none
     * @param backends  the rest, in rotation order
     * @param start     where in {@code backends} the rotation starts (any int; wrapped)
     */
    Rotation(Backend preferred, List<Backend> backends, long start) {
        this.preferred = preferred;
        this.backends = backends;
        this.start = backends.isEmpty() ? 0 : (int) Math.floorMod(start, (long) backends.size());
        this.preferredGiven = preferred == null;
        this.next = advance();
    }

    /** Every backend of {@code backends} once, starting at {@code start}. */
    static Rotation of(List<Backend> backends, long start) {
        return new Rotation(null, backends, start);
    }

    @Override
    public boolean hasNext() {
        return next != null;
    }

    @Override
    public Backend next() {
        if (next == null) {
            throw new NoSuchElementException();
        }
        Backend current = next;
        next = advance();
        return current;
    }

    private Backend advance() {
        if (!preferredGiven) {
            preferredGiven = true;
            return preferred;
        }
        while (offset < backends.size()) {
            int index = start + offset++;
            Backend backend = backends.get(index < backends.size() ? index : index - backends.size());
            if (!backend.equals(preferred)) {
                return backend;
            }
        }
        return null;
    }
}
