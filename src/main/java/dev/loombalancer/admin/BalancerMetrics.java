package dev.loombalancer.admin;

import dev.loombalancer.logging.BoundedWriter;
import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.BackendHealth;
import dev.loombalancer.pool.BackendState;
import dev.loombalancer.pool.BackendPool;
import dev.loombalancer.pool.BackendStats;
import dev.loombalancer.server.BalancerView;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The balancer's metrics, in Prometheus's model, built with the official client library.
 *
 * <p>Almost all are callback metrics: at scrape time they read the counters the balancer
 * keeps anyway (connection counts, per-backend stats), so the data path does no extra
 * work for metrics. Only health-check results are recorded as they happen.
 *
 * <p>Every series of a service carries its name in the label {@code service}
 * ({@code default} for the command line's one service).
 *
 * <p>Label cardinality: per-backend series (label {@code backend}) are exported only when
 * the services have at most {@value #PER_BACKEND_LIMIT} backends in all. A pool of 10,000 would
 * otherwise produce tens of thousands of series per scrape; there, the aggregates
 * (totals, backends by state) are exported and {@code /status} has the per-backend detail.
 */
final class BalancerMetrics {

    static final int PER_BACKEND_LIMIT = 256;

    private final PrometheusRegistry registry = new PrometheusRegistry();

    BalancerMetrics(Supplier<List<? extends BalancerView>> current, Map<RequestGuard.Refusal, LongAdder> adminRefused) {
        // Every callback asks for the services of the moment: a reload may start or remove some.
        int backendCount = current.get().stream().mapToInt(service -> service.pool().size()).sum();
        boolean perBackend = backendCount <= PER_BACKEND_LIMIT;

        GaugeWithCallback.builder().name("loom_connections_active")
                .help("Client connections open now (connecting or proxying).")
                .labelNames("service")
                .callback(cb -> current.get().forEach(s -> cb.call(s.pool().connections().total(), s.name())))
                .register(registry);
        GaugeWithCallback.builder().name("loom_backends")
                .help("Backends by state: up, down, or draining (drained by the admin API).")
                .labelNames("service", "state")
                .callback(cb -> current.get().forEach(s -> {
                    BackendPool pool = s.pool();
                    Map<BackendState, Integer> counts = new EnumMap<>(BackendState.class);
                    for (BackendState state : BackendState.values()) {
                        counts.put(state, 0);
                    }
                    for (Backend backend : pool.backends()) {
                        counts.merge(pool.healthOf(backend).state(), 1, Integer::sum);
                    }
                    counts.forEach((state, count) -> cb.call(count, s.name(), state.name().toLowerCase(Locale.ROOT)));
                }))
                .register(registry);
        CounterWithCallback.builder().name("loom_bytes")
                .help("Bytes proxied, by direction: up is client to backend, down is backend to client.")
                .unit(Unit.BYTES)
                .labelNames("service", "direction")
                .callback(cb -> current.get().forEach(s -> {
                    cb.call(sum(s.pool(), BackendStats::bytesToBackend), s.name(), "up");
                    cb.call(sum(s.pool(), BackendStats::bytesToClient), s.name(), "down");
                }))
                .register(registry);
        CounterWithCallback.builder().name("loom_connections")
                .help("Client connections established to a backend since start.")
                .labelNames("service")
                .callback(cb -> current.get().forEach(s -> cb.call(sum(s.pool(), BackendStats::connections), s.name())))
                .register(registry);
        CounterWithCallback.builder().name("loom_backend_connect_failures")
                .help("Client connections a backend refused or did not accept in time.")
                .labelNames("service")
                .callback(cb -> current.get().forEach(s -> cb.call(sum(s.pool(), BackendStats::connectFailures), s.name())))
                .register(registry);
        CounterWithCallback.builder().name("loom_connections_rejected")
                .help("Clients turned away, by reason.")
                .labelNames("service", "reason")
                .callback(cb -> current.get().forEach(s ->
                        s.rejectedClients().forEach((reason, count) -> cb.call(count, s.name(), reason))))
                .register(registry);
        CounterWithCallback.builder().name("loom_max_connections_waits")
                .help("Clients that found every --max-connections slot taken when they arrived.")
                .labelNames("service")
                .callback(cb -> current.get().forEach(s -> cb.call(s.maxConnectionWaits(), s.name())))
                .register(registry);
        CounterWithCallback.builder().name("loom_connections_evicted")
                .help("Connections cut to give their slot to a client from an address holding fewer (fair share).")
                .labelNames("service")
                .callback(cb -> current.get().forEach(s -> cb.call(s.evictedConnections(), s.name())))
                .register(registry);
        GaugeWithCallback.builder().name("loom_saturated_seconds")
                .help("How long clients have been waiting for a connection slot without a break; 0 while nobody waits.")
                .unit(Unit.SECONDS)
                .labelNames("service")
                .callback(cb -> current.get().forEach(s -> cb.call(s.saturatedFor().toMillis() / 1000.0, s.name())))
                .register(registry);
        CounterWithCallback.builder().name("loom_admin_requests_refused")
                .help("Admin requests refused, by reason: foreign_host, cross_site, bad_token, ipv6_on_ipv4_only.")
                .labelNames("reason")
                .callback(cb -> adminRefused.forEach((reason, count) ->
                        cb.call(count.sum(), reason.name().toLowerCase(Locale.ROOT))))
                .register(registry);
        CounterWithCallback.builder().name("loom_log_lines_dropped")
                .help("Log lines dropped because the log sink did not keep up (the bounded writer's queue was full).")
                .callback(cb -> cb.call(BoundedWriter.dropped()))
                .register(registry);
        GaugeWithCallback.builder().name("loom_threads_live")
                .help("Connection, pipe and probe virtual threads alive now.")
                .labelNames("service")
                .callback(cb -> current.get().forEach(s -> cb.call(s.liveThreads(), s.name())))
                .register(registry);

        if (perBackend) {
            perBackendMetrics(current);
        }
        healthCheckMetrics(current.get());
        JvmMetrics.builder().register(registry);
    }

    /** Recorded as probes finish: one counter and one histogram, labelled by service. */
    private void healthCheckMetrics(List<? extends BalancerView> services) {
        if (services.stream().noneMatch(s -> s.prober().isPresent())) {
            return;
        }
        Counter checks = Counter.builder().name("loom_health_checks")
                .help("Health-check probes, by result.")
                .labelNames("service", "result")
                .register(registry);
        Histogram latency = Histogram.builder().name("loom_health_check_duration_seconds")
                .help("How long health-check probes took, failures included.")
                .unit(Unit.SECONDS)
                .labelNames("service")
                .classicUpperBounds(0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5)
                .register(registry);
        for (BalancerView service : services) {
            service.prober().ifPresent(prober -> prober.observe((ok, nanos) -> {
                checks.labelValues(service.name(), ok ? "success" : "failure").inc();
                latency.labelValues(service.name()).observe(nanos / 1e9);
            }));
        }
    }

    PrometheusRegistry registry() {
        return registry;
    }

    private void perBackendMetrics(Supplier<List<? extends BalancerView>> services) {
        GaugeWithCallback.builder().name("loom_backend_up")
                .help("1 if the backend is UP (whether or not it is draining), else 0.")
                .labelNames("service", "backend")
                .callback(cb -> eachBackend(services, (s, b) -> cb.call(s.pool().isUp(b) ? 1 : 0, s.name(), b.toString())))
                .register(registry);
        GaugeWithCallback.builder().name("loom_backend_connections_active")
                .help("Client connections open to the backend now.")
                .labelNames("service", "backend")
                .callback(cb -> eachBackend(services, (s, b) ->
                        cb.call(s.pool().connections().active(b), s.name(), b.toString())))
                .register(registry);
        CounterWithCallback.builder().name("loom_backend_connections")
                .help("Client connections established to the backend since start.")
                .labelNames("service", "backend")
                .callback(cb -> eachBackend(services, (s, b) ->
                        cb.call(s.pool().statsOf(b).connections(), s.name(), b.toString())))
                .register(registry);
        GaugeWithCallback.builder().name("loom_backend_check_passed")
                .help("1 if the backend's last health result passed, 0 if it failed: a check, or a failure seen on a "
                        + "client connection (the reason is /status's lastHealthResult); absent until first checked.")
                .labelNames("service", "backend")
                .callback(cb -> eachBackend(services, (s, b) -> {
                    BackendHealth.Streak streak = s.pool().healthOf(b).streak();
                    if (streak.checked()) {
                        cb.call(streak.successes() > 0 ? 1 : 0, s.name(), b.toString());
                    }
                }))
                .register(registry);
        CounterWithCallback.builder().name("loom_backend_connect_failures_by_backend")
                .help("Client connections the backend refused or did not accept in time.")
                .labelNames("service", "backend")
                .callback(cb -> eachBackend(services, (s, b) ->
                        cb.call(s.pool().statsOf(b).connectFailures(), s.name(), b.toString())))
                .register(registry);
    }

    private static void eachBackend(Supplier<List<? extends BalancerView>> services,
                                    BiConsumer<BalancerView, Backend> action) {
        for (BalancerView service : services.get()) {
            for (Backend backend : service.pool().backends()) {
                action.accept(service, backend);
            }
        }
    }

    private static double sum(BackendPool pool, ToDoubleFunction<BackendStats> field) {
        double total = 0;
        for (Backend backend : pool.backends()) {
            total += field.applyAsDouble(pool.statsOf(backend));
        }
        return total;
    }
}
