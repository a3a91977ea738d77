package dev.loombalancer.policy;

import dev.loombalancer.pool.BackendPool;
import java.util.Locale;

/** The selection policies users can choose with {@code --strategy}, by their command-line names. */
public enum Strategy {
    ROUND_ROBIN,
    LEAST_CONNECTIONS,
    STICKY,
    CONSISTENT_HASH;

    /** Makes this policy for {@code pool}; only sticky uses {@code sessions}. */
    public SelectionPolicy create(BackendPool pool, StickyTable.Limits sessions) {
        return create(pool, sessions, null);
    }

    /**
     * Makes this policy for a pool that replaces {@code previous}'s (a reload): a sticky
     * policy keeps the previous one's table, so known clients stay where they are.
     */
    public SelectionPolicy create(BackendPool pool, StickyTable.Limits sessions, SelectionPolicy previous) {
        return switch (this) {
            case ROUND_ROBIN -> new RoundRobin(pool);
            case LEAST_CONNECTIONS -> new LeastConnections(pool);
            case STICKY -> new Sticky(pool, previous instanceof Sticky sticky ? sticky.sessions() : new StickyTable(sessions));
            case CONSISTENT_HASH -> new ConsistentHash(pool);
        };
    }

    /** The name as written on the command line: {@code round-robin}, {@code least-connections}, … */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
