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
        return switch (this) {
            case ROUND_ROBIN -> new RoundRobin(pool);
            case LEAST_CONNECTIONS -> new LeastConnections(pool);
            case STICKY -> new Sticky(pool, new StickyTable(sessions));
            case CONSISTENT_HASH -> new ConsistentHash(pool);
        };
    }

    /** The name as written on the command line: {@code round-robin}, {@code least-connections}, … */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
