package dev.loombalancer.pool;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The backends the balancer spreads connections over, and how many connections each holds. */
public final class BackendPool {

    private final List<Backend> backends;
    private final ConnectionCounter connections;

    public BackendPool(List<Backend> backends) {
        if (backends.isEmpty()) {
            throw new IllegalArgumentException("a backend pool needs at least one backend");
        }
        Set<Backend> seen = new HashSet<>();
        for (Backend backend : backends) {
            if (!seen.add(backend)) {
                throw new IllegalArgumentException("backend " + backend + " is listed twice");
            }
        }
        this.backends = List.copyOf(backends);
        this.connections = new ConnectionCounter(this.backends);
    }

    public List<Backend> backends() {
        return backends;
    }

    public int size() {
        return backends.size();
    }

    public ConnectionCounter connections() {
        return connections;
    }
}
