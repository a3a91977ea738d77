package dev.loombalancer.policy;

import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.BackendPool;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Whose turn it is among weighted backends: each backend gets turns in proportion to its
 * weight, spread evenly rather than in runs (with weights 5, 1, 1: a a a b c a a, not
 * a a a a a b c), as nginx's smooth weighted round-robin spreads them.
 *
 * <p>nginx adds every weight to every backend's score on each pick, O(n) per connection.
 * Here each backend has a virtual time at which its next turn falls, a stride of
 * 1/weight apart, starting half a stride in; the next turn is the earliest, kept in a
 * priority queue: O(log n) per connection, which is what 10,000 backends need. The queue
 * is rebuilt, O(n log n), whenever the list of selectable backends changes, so a backend
 * that comes back starts level with the others instead of owing them turns, and, while
 * one ramps up after coming back (slow start), once per tick with its grown share.
 *
 * <p>Picks come from the accept thread; the lock is uncontended and held for in-memory
 * work only.
 */
final class WeightedTurns {

    /** Virtual time for one turn of a share of 1 (1/16 of weight 1). */
    private static final long UNIT = 1L << 28;

    private static final class Turn {
        final int index;
        final long stride;
        long due;

        Turn(int index, int share, long start) {
            this.index = index;
            this.stride = UNIT / share;
            this.due = start + stride / 2;
        }
    }

    private final BackendPool pool;
    private final ReentrantLock lock = new ReentrantLock();
    private final PriorityQueue<Turn> queue = new PriorityQueue<>((a, b) ->
            a.due != b.due ? Long.compare(a.due, b.due) : Integer.compare(a.index, b.index));
    private List<Backend> builtFor;
    private long builtAtNanos;
    private boolean builtWhileRamping; // then one more rebuild is due, after the ramp has ended
    private long now; // virtual time of the last turn given, where a rebuilt queue starts

    WeightedTurns(BackendPool pool) {
        this.pool = pool;
    }

    /** The index, in {@code selectable}, of the backend whose turn it is. */
    int next(List<Backend> selectable) {
        lock.lock();
        try {
            // The pool hands out a new list whenever the set changes; while a backend ramps up
            // after coming back (slow start), its share grows, so the queue is rebuilt each tick.
            if (selectable != builtFor || (builtWhileRamping || !pool.ramping().isEmpty())
                    && System.nanoTime() - builtAtNanos >= pool.rampTickNanos()) {
                rebuild(selectable);
            }
            Turn turn = queue.poll();
            now = turn.due;
            turn.due += turn.stride;
            queue.add(turn);
            return turn.index;
        } finally {
            lock.unlock();
        }
    }

    private void rebuild(List<Backend> selectable) {
        queue.clear();
        long nowNanos = System.nanoTime();
        for (int i = 0; i < selectable.size(); i++) {
            queue.add(new Turn(i, pool.shareOf(selectable.get(i), nowNanos), now));
        }
        builtFor = selectable;
        builtAtNanos = nowNanos;
        builtWhileRamping = !pool.ramping().isEmpty();
    }
}
