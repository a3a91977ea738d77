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

/** The JSON document {@code GET /status} answers: every service and every backend, now. */
final class StatusReport {

    private StatusReport() {
    }

    /**
     * Every service under {@code services}. With one service, the top level is that
     * service's entry too (the shape from before several services were possible); with
     * several, it holds the totals across them.
     */
    static String json(List<? extends BalancerView> services) throws IOException {
        Map<String, Object> status = new LinkedHashMap<>();
        if (services.size() == 1) {
            status.putAll(service(services.get(0)));
        } else {
            status.putAll(totals(services));
        }
        List<Map<String, Object>> entries = new ArrayList<>(services.size());
        for (BalancerView service : services) {
            entries.add(service(service));
        }
        status.put("services", entries);
        return JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT).asString(status);
    }

    private static Map<String, Object> service(BalancerView balancer) {
        BackendPool pool = balancer.pool();
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("name", balancer.name());
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
        return status;
    }

    /** The counters summed over the services; the longest saturation; the earliest start. */
    private static Map<String, Object> totals(List<? extends BalancerView> services) {
        Instant started = services.stream().map(BalancerView::startedAt).min(Instant::compareTo).orElseThrow();
        long active = 0;
        long up = 0;
        long threads = 0;
        long evicted = 0;
        double saturated = 0;
        Map<String, Integer> threadsByKind = new LinkedHashMap<>();
        Map<String, Long> rejected = new LinkedHashMap<>();
        for (BalancerView service : services) {
            active += service.pool().connections().total();
            up += service.pool().up().size();
            threads += service.liveThreads();
            evicted += service.evictedConnections();
            saturated = Math.max(saturated, service.saturatedFor().toMillis() / 1000.0);
            service.liveThreadsByKind().forEach((kind, count) -> threadsByKind.merge(kind, count, Integer::sum));
            service.rejectedClients().forEach((reason, count) -> rejected.merge(reason, count, Long::sum));
        }
        Map<String, Object> totals = new LinkedHashMap<>();
        totals.put("startedAt", started.toString());
        totals.put("uptimeSeconds", Duration.between(started, Instant.now()).toSeconds());
        totals.put("activeConnections", active);
        totals.put("backendsUp", up);
        totals.put("liveThreads", threads);
        totals.put("liveThreadsByKind", threadsByKind);
        totals.put("rejectedClients", rejected);
        totals.put("evictedConnections", evicted);
        totals.put("saturatedSeconds", saturated);
        return totals;
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
