package dev.loombalancer.pool;

import dev.loombalancer.pool.BackendHealth.Transition;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.tinylog.Logger;

/**
 * The backends the balancer spreads connections over: which of them are UP, and how many
 * connections each holds.
 *
 * <p>The list of backends is fixed at startup; what changes under it is health. Policies
 * ask for {@link #up()} once per connection, so that list is cached and rebuilt only after
 * a backend has changed state, which is rare next to connections.
 */
public final class BackendPool {

    private final List<Backend> backends;
    private final String logPrefix;
    private final Map<Backend, Weighting> weighting;
    private final long slowStartNanos;
    // Backends ramping up after coming back UP, with when they came back.
    private final Map<Backend, Long> ramping = new ConcurrentHashMap<>();
    private final boolean weighted;
    private final List<Backend> primaries;
    // One entry per backend, so a connection looks its backend up once for both.
    private final Map<Backend, Entry> entries = new HashMap<>();
    private final boolean tracked;
    private final ConnectionCounter connections;
    private final List<PoolListener> listeners = new CopyOnWriteArrayList<>();
    private final RiseFall thresholds;
    private volatile BackendPool successor; // set once a reload has replaced this pool
    // Bumped after every state change; the cached UP list remembers the version it saw.
    private final AtomicLong version = new AtomicLong();
    private final StateFilter upList = new StateFilter(this::isSelectable);
    private final StateFilter notDrainingList = new StateFilter(b -> !healthOf(b).isDraining());
    private final StateFilter primariesUpList = new StateFilter(b -> isSelectableNow(b) && !isBackup(b));
    private final StateFilter backupsUpList = new StateFilter(b -> isSelectableNow(b) && isBackup(b));

    public BackendPool(List<Backend> backends, RiseFall thresholds) {
        this(backends, thresholds, Map.of(), null, "");
    }

    /**
     * @param weighting weights and backups, for the backends that have them (the others:
     *                  {@link Weighting#DEFAULT})
     * @param slowStart how long a backend that comes back UP takes to ramp up to its full
     *                  weight (HAProxy's {@code slowstart}); null for at once
     * @param logPrefix starts every line this pool logs ("service web: "), so that the
     *                  pools of several services can be told apart; "" for none
     */
    public BackendPool(List<Backend> backends, RiseFall thresholds, Map<Backend, Weighting> weighting,
                       Duration slowStart, String logPrefix) {
        this(backends, thresholds, weighting, slowStart, logPrefix, null);
    }

    /**
     * The pool that replaces this one when the backends change while running (a reload):
     * each backend kept shares this pool's health, stats and connection count, so it keeps
     * its state, its open connections and its counters; new backends start as at start-up.
     * Changes this pool still sees (a connection begun before the change fails, say) are
     * passed on to the successor.
     */
    public BackendPool successor(List<Backend> newBackends, Map<Backend, Weighting> newWeighting) {
        BackendPool next = new BackendPool(newBackends, thresholds, newWeighting,
                slowStartNanos == 0 ? null : Duration.ofNanos(slowStartNanos), logPrefix, this);
        successor = next;
        return next;
    }

    private BackendPool(List<Backend> backends, RiseFall thresholds, Map<Backend, Weighting> weighting,
                        Duration slowStart, String logPrefix, BackendPool previous) {
        this.thresholds = thresholds;
        this.logPrefix = logPrefix;
        this.slowStartNanos = slowStart == null || slowStart.isZero() ? 0 : slowStart.toNanos();
        this.weighting = Map.copyOf(weighting);
        this.weighted = backends.stream().map(this::weightOf).distinct().count() > 1;
        this.primaries = backends.stream().filter(b -> !isBackup(b)).toList();
        if (backends.isEmpty()) {
            throw new IllegalArgumentException("a backend pool needs at least one backend");
        }
        for (Backend backend : backends) {
            Entry kept = previous == null ? null : previous.entries.get(backend);
            Entry entry = kept != null ? kept
                    : new Entry(new BackendHealth(thresholds.rise(), thresholds.fall()), new BackendStats());
            if (previous != null && slowStartNanos > 0) {
                Long ramp = previous.ramping.get(backend);
                if (kept == null) {
                    ramping.put(backend, System.nanoTime()); // added while running: ramps up as a recovered one does
                } else if (ramp != null) {
                    ramping.put(backend, ramp); // still ramping: go on where it was
                }
            }
            if (entries.put(backend, entry) != null) {
                throw new IllegalArgumentException("backend " + backend + " is listed twice");
            }
        }
        this.backends = List.copyOf(backends);
        this.tracked = thresholds.tracked();
        if (previous == null) {
            this.connections = new ConnectionCounter(this.backends, this::loadChanged);
        } else {
            this.connections = previous.connections;
            this.connections.handOver(this.backends, this::loadChanged);
        }
    }

    /** A pool whose backends are always UP (no health checking). */
    public BackendPool(List<Backend> backends) {
        this(backends, RiseFall.UNTRACKED);
    }

    /** Every backend, in the order given on the command line. */
    public List<Backend> backends() {
        return backends;
    }

    public int size() {
        return backends.size();
    }

    /** The backends that may get new connections now (UP, not draining), in command-line order. */
    public List<Backend> up() {
        return upList.get();
    }

    /**
     * The backends worth trying: the UP ones that are not backups; while none of those is
     * UP, the UP backups; and when nothing is UP, all of them. Probes may be stale (a
     * backend restarted a second ago), and trying costs a client less than being turned
     * away without trying.
     */
    public List<Backend> selectable() {
        List<Backend> primaryUp = primariesUp();
        if (!primaryUp.isEmpty()) {
            return primaryUp;
        }
        List<Backend> backupUp = backupsUpList.get();
        return !backupUp.isEmpty() ? backupUp : notDraining();
    }

    /** The UP, not drained backends that are not backups. */
    public List<Backend> primariesUp() {
        return primariesUpList.get();
    }

    /** Every backend that is not a backup, in the order given. */
    public List<Backend> primaries() {
        return primaries;
    }

    /** The weights and backups given, by backend (the others have {@link Weighting#DEFAULT}). */
    public Map<Backend, Weighting> weighting() {
        return weighting;
    }

    /** The backend's weight (1 unless configured). */
    public int weightOf(Backend backend) {
        return weighting.getOrDefault(backend, Weighting.DEFAULT).weight();
    }

    /** Whether the backend gets clients only while no other backend is UP. */
    public boolean isBackup(Backend backend) {
        return weighting.getOrDefault(backend, Weighting.DEFAULT).backup();
    }

    /** Whether the backends' weights differ, or may while one ramps up: policies must honour them. */
    public boolean isWeighted() {
        return weighted || slowStartNanos > 0;
    }

    /** Units of {@link #shareOf} per unit of weight: a ramping backend's share grows in steps this fine. */
    public static final int SHARE_STEPS = 16;

    /**
     * The backend's weight now, in 1/{@value #SHARE_STEPS} steps: its weight × 16, or, while
     * it ramps up after coming back UP, that much times the part of the slow start that has
     * passed (at least one step).
     */
    public int shareOf(Backend backend, long nowNanos) {
        int full = weightOf(backend) * SHARE_STEPS;
        Long since = ramping.get(backend);
        if (since == null) {
            return full;
        }
        long elapsed = nowNanos - since;
        if (elapsed >= slowStartNanos) {
            ramping.remove(backend, since);
            return full;
        }
        return (int) Math.max(1, full * elapsed / slowStartNanos);
    }

    /** The backends ramping up now (usually none); each one's share grows with time. */
    public Set<Backend> ramping() {
        return ramping.keySet();
    }

    /** How often policies should re-read ramping backends' shares: a sixteenth of the slow start. */
    public long rampTickNanos() {
        return slowStartNanos / SHARE_STEPS;
    }

    public boolean isUp(Backend backend) {
        return healthOf(backend).isUp();
    }

    /**
     * May get new connections now: UP and not drained, and, for a backup, only while no
     * other backend is UP.
     */
    public boolean isSelectable(Backend backend) {
        return isSelectableNow(backend) && (!isBackup(backend) || primariesUp().isEmpty());
    }

    private boolean isSelectableNow(Backend backend) {
        return healthOf(backend).isSelectable();
    }

    /**
     * Drains a backend (no new connections; open ones go on) or enables it again. Returns
     * false if it already was in that state.
     */
    public boolean setDraining(Backend backend, boolean draining) {
        BackendHealth state = healthOf(backend);
        if (state.isDraining() == draining) {
            return false;
        }
        state.setDraining(draining);
        version.incrementAndGet();
        passOn(backend);
        Logger.info("{}backend {} {} by the admin API", logPrefix, backend, draining ? "DRAINING" : "enabled again");
        for (PoolListener listener : listeners) {
            listener.stateChanged(backend);
        }
        return true;
    }

    /** Traffic counters of one backend. */
    public BackendStats statsOf(Backend backend) {
        return entryOf(backend).stats();
    }

    /** Every backend an operator has not drained: the fallback when none is UP. */
    private List<Backend> notDraining() {
        return notDrainingList.get();
    }

    /**
     * The backends that pass a test of their state, rebuilt only after a state change:
     * policies ask once per connection, and states change rarely.
     */
    private final class StateFilter {
        private final Predicate<Backend> test;
        private volatile Snapshot snapshot = new Snapshot(-1, List.of());

        private record Snapshot(long version, List<Backend> backends) {
        }

        StateFilter(Predicate<Backend> test) {
            this.test = test;
        }

        List<Backend> get() {
            Snapshot cached = snapshot;
            long current = version.get();
            if (cached.version() == current) {
                return cached.backends();
            }
            // The version is read before the states: a change racing with this rebuild
            // bumps the version after its state, so the next call rebuilds again instead
            // of keeping a stale list.
            List<Backend> rebuilt = backends.stream().filter(test).toList();
            snapshot = new Snapshot(current, rebuilt);
            return rebuilt;
        }
    }

    /** The backend's health state: UP or DOWN, its streak, its last result. */
    public BackendHealth healthOf(Backend backend) {
        return entryOf(backend).health();
    }

    private record Entry(BackendHealth health, BackendStats stats) {
    }

    private Entry entryOf(Backend backend) {
        Entry entry = entries.get(backend);
        if (entry == null) {
            throw new IllegalArgumentException("not a backend of this pool: " + backend);
        }
        return entry;
    }

    public ConnectionCounter connections() {
        return connections;
    }

    /** Registers a listener; policies do so once, when they are made. */
    public void addListener(PoolListener listener) {
        listeners.add(listener);
    }

    /** Records a successful probe or client connection; {@code result} says which. */
    public void succeeded(Backend backend, String result) {
        if (tracked) {
            changed(backend, healthOf(backend).succeeded(result));
        }
    }

    /**
     * Records a client connection established to the backend, and returns the backend's
     * stats for the connection to add its bytes to. A backend already known to be healthy
     * learns nothing from it, so the common case changes no state at all.
     */
    public BackendStats connectedTo(Backend backend) {
        Entry entry = entryOf(backend);
        entry.stats().connected();
        if (tracked) {
            BackendHealth.Streak streak = entry.health().streak();
            if (!streak.up() || !streak.checked() || streak.failures() > 0) {
                succeeded(backend, "client connection succeeded");
            }
        }
        return entry.stats();
    }

    /** Records a client connection the backend refused or did not accept in time. */
    public void connectFailed(Backend backend, String why) {
        entryOf(backend).stats().connectFailed();
        failed(backend, why + " on a client connection");
    }

    /** Records a failed probe or client connection; {@code result} says what failed. */
    public void failed(Backend backend, String result) {
        if (tracked) {
            changed(backend, healthOf(backend).failed(result));
        }
    }

    private void changed(Backend backend, Transition transition) {
        if (transition == null) {
            return;
        }
        if (slowStartNanos > 0 && transition.after().up() && transition.before().checked()) {
            ramping.put(backend, System.nanoTime()); // back from DOWN: ramp up (not at start)
        } else if (!transition.after().up()) {
            ramping.remove(backend);
        }
        version.incrementAndGet();
        log(backend, transition, up().size());
        for (PoolListener listener : listeners) {
            listener.stateChanged(backend);
        }
        passOn(backend);
    }

    /** A kept backend's shared state changed through this replaced pool: the successor must see it too. */
    private void passOn(Backend backend) {
        BackendPool next = successor;
        if (next != null && next.entries.get(backend) == entries.get(backend)) {
            next.version.incrementAndGet();
            for (PoolListener listener : next.listeners) {
                listener.stateChanged(backend);
            }
            next.passOn(backend);
        }
    }

    /** Whether {@code backend} is one of this pool's. */
    public boolean contains(Backend backend) {
        return entries.containsKey(backend);
    }

    private void loadChanged(Backend backend) {
        for (PoolListener listener : listeners) {
            listener.loadChanged(backend);
        }
    }

    /** One line per state change, never one per probe. */
    private void log(Backend backend, Transition transition, int up) {
        BackendHealth.Streak after = transition.after();
        BackendHealth state = healthOf(backend);
        String streak = after.up() ? after.successes() + "/" + state.rise()
                : transition.before().checked() ? after.failures() + "/" + state.fall() : "first check";
        Logger.info("{}backend {} {} ({}, {}); {} of {} backends UP", logPrefix,
                backend, after.up() ? "UP" : "DOWN", after.lastResult(), streak, up, backends.size());
        if (up == 0) {
            Logger.warn("{}no backend is UP; each client will try backends anyway, up to 1 + --retries of them",
                    logPrefix);
        }
    }
}
