package dev.loombalancer.pool;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Whether one backend is UP or DOWN, decided the way HAProxy decides it: a backend goes
 * DOWN after {@code fall} consecutive failed attempts and comes back UP after {@code rise}
 * consecutive successful ones. Attempts are health probes and, just as well, real client
 * connections, so a dead backend stops getting traffic even before its next probe.
 *
 * <p>Like HAProxy's default {@code init-state up}, a backend starts UP so traffic flows at
 * once, but a single failure before anything has succeeded takes it DOWN: at startup we
 * know nothing, and a refusing backend should not cost three rounds of failed clients.
 *
 * <p>Probes and client connections report from many threads at once. The whole state is
 * one immutable {@link Streak} swapped by compare-and-set, so there is no lock, and a
 * transition is seen by exactly one reporter, which is the one that logs it.
 */
public final class BackendHealth {

    /** Where a backend stands, and the streak that got it there. */
    public record Streak(boolean up, boolean checked, int successes, int failures, String lastResult) {

        static final Streak INITIAL = new Streak(true, false, 0, 0, "not checked yet");

        Streak succeeded(int rise, String result) {
            boolean nowUp = up || successes + 1 >= rise;
            return new Streak(nowUp, true, successes + 1, 0, result);
        }

        Streak failed(int fall, String result) {
            boolean nowDown = !up || !checked || failures + 1 >= fall;
            return new Streak(!nowDown, true, 0, failures + 1, result);
        }
    }

    /** A change of state, for the one reporter that caused it to log. */
    public record Transition(Streak before, Streak after) {
    }

    private final int rise;
    private final int fall;
    private final AtomicReference<Streak> streak = new AtomicReference<>(Streak.INITIAL);
    // Set by an operator (admin API): no new connections, whatever the health checks say.
    private volatile boolean draining;

    public BackendHealth(int rise, int fall) {
        if (rise < 1 || fall < 1) {
            throw new IllegalArgumentException("rise and fall must be at least 1, not " + rise + " and " + fall);
        }
        this.rise = rise;
        this.fall = fall;
    }

    public boolean isUp() {
        return streak.get().up();
    }

    /** UP and not drained by an operator: may get new connections. */
    public boolean isSelectable() {
        return !draining && streak.get().up();
    }

    public BackendState state() {
        return draining ? BackendState.DRAINING : isUp() ? BackendState.UP : BackendState.DOWN;
    }

    public boolean isDraining() {
        return draining;
    }

    void setDraining(boolean draining) {
        this.draining = draining;
    }

    public Streak streak() {
        return streak.get();
    }

    /** Records a successful attempt; returns the transition to UP it caused, or null. */
    public Transition succeeded(String result) {
        Streak before = streak.getAndUpdate(s -> s.succeeded(rise, result));
        return transition(before, before.succeeded(rise, result));
    }

    /** Records a failed attempt; returns the transition to DOWN it caused, or null. */
    public Transition failed(String result) {
        Streak before = streak.getAndUpdate(s -> s.failed(fall, result));
        return transition(before, before.failed(fall, result));
    }

    // The update functions are pure, so recomputing from `before` gives exactly what was stored.
    private static Transition transition(Streak before, Streak after) {
        return before.up() == after.up() ? null : new Transition(before, after);
    }

    /** Successes in a row that bring a DOWN backend back. */
    public int rise() {
        return rise;
    }

    /** Failures in a row that take an UP backend out. */
    public int fall() {
        return fall;
    }
}
