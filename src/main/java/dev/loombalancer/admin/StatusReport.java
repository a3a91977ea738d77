package dev.loombalancer.admin;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.loombalancer.net.HostPort;
import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.BackendHealth;
import dev.loombalancer.pool.BackendPool;
import dev.loombalancer.pool.BackendStats;
import dev.loombalancer.server.BalancerView;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The JSON document {@code GET /status} answers: the balancer and every backend, now. */
final class StatusReport {

    private StatusReport() {
    }

    static String json(BalancerView balancer) throws IOException {
        BackendPool pool = balancer.pool();
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("listen", HostPort.format(balancer.localAddress()));
        status.put("strategy", balancer.strategy());
        status.put("healthChecks", balancer.healthChecks());
        status.put("startedAt", balancer.startedAt().toString());
        status.put("uptimeSeconds", Duration.between(balancer.startedAt(), Instant.now()).toSeconds());
        status.put("activeConnections", pool.connections().total());
        status.put("backendsUp", pool.up().size());
        status.put("liveThreads", balancer.liveThreads());
        status.put("liveThreadsByKind", balancer.liveThreadsByKind());
        status.put("rejectedClients", balancer.rejectedClients());
        status.put("evictedConnections", balancer.evictedConnections());
        status.put("saturatedSeconds", balancer.saturatedFor().toMillis() / 1000.0);
        List<Map<String, Object>> backends = new ArrayList<>(pool.size());
        for (Backend backend : pool.backends()) {
            backends.add(backend(pool, backend));
        }
        status.put("backends", backends);
        return JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT).asString(status);
    }

    /** One backend's entry; also the body of the drain and enable answers. */
    static Map<String, Object> backend(BackendPool pool, Backend backend) {
        BackendHealth health = pool.healthOf(backend);
        BackendStats stats = pool.statsOf(backend);
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("address", backend.toString());
        entry.put("state", health.state().name());
        entry.put("activeConnections", pool.connections().active(backend));
        entry.put("totalConnections", stats.connections());
        entry.put("bytesUp", stats.bytesToBackend());
        entry.put("bytesDown", stats.bytesToClient());
        entry.put("connectFailures", stats.connectFailures());
        entry.put("lastHealthResult", health.streak().lastResult());
        return entry;
    }
}
