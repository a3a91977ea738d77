package dev.loombalancer.admin;

import com.fasterxml.jackson.jr.ob.JSON;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.loombalancer.net.HostPort;
import dev.loombalancer.net.Listeners;
import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.BackendPool;
import dev.loombalancer.pool.Weighting;
import dev.loombalancer.server.BalancerView;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.tinylog.Logger;

/**
 * {@code --admin}: metrics, status and backend control over HTTP, served by the JDK's
 * built-in HTTP server with one virtual thread per request.
 *
 * <pre>
 * GET  /metrics                      Prometheus text format
 * GET  /status                       JSON: the balancer and every backend
 * GET  /healthz                      200 while listening with a backend UP, else 503
 * POST /backends/HOST:PORT/drain     no new connections for that backend; open ones finish
 * POST /backends/HOST:PORT/enable    undoes drain
 * POST /backends/HOST:PORT/add       a new backend, until the next reload
 * POST /backends/HOST:PORT/remove    the backend drains and goes, until the next reload
 * POST /services/NAME/backends/…     the same, for one service of several
 * </pre>
 *
 * <p>Reading is open to whoever can reach the endpoint; operating (the POSTs) needs the
 * bearer token from {@code --admin-token-file} when one is set, which the command line
 * requires beyond loopback. {@link RequestGuard} keeps web pages out at both levels.
 */
public final class AdminServer implements AutoCloseable {

    /** How long all connection slots must have been taken before /healthz says saturated. */
    static final Duration SATURATED_AFTER = Duration.ofSeconds(3);

    private final HttpServer server;
    private final ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor();
    private final Supplier<List<? extends BalancerView>> services;

    private AdminServer(HttpServer server, Supplier<List<? extends BalancerView>> services) {
        this.server = server;
        this.services = services;
    }

    /** The admin address could not be bound; says which address it was. */
    public static final class CannotBind extends IOException {
        private final InetSocketAddress address;

        CannotBind(InetSocketAddress address, IOException cause) {
            super(cause.getMessage(), cause);
            this.address = address;
        }

        public InetSocketAddress address() {
            return address;
        }
    }

    /** Binds the admin address and starts serving under {@code access}; the caller closes it. */
    public static AdminServer start(InetSocketAddress address, List<? extends BalancerView> services,
                                    AdminAccess access) throws CannotBind {
        List<? extends BalancerView> fixed = List.copyOf(services);
        return start(address, () -> fixed, access);
    }

    /**
     * Binds the admin address and serves whatever services {@code services} gives at each
     * request, so services a reload starts or removes appear and go; the caller closes it.
     */
    public static AdminServer start(InetSocketAddress address, Supplier<List<? extends BalancerView>> services,
                                    AdminAccess access) throws CannotBind {
        HttpServer server;
        try {
            server = HttpServer.create(address, 64);
        } catch (IOException e) {
            throw new CannotBind(address, e);
        }
        AdminServer admin = new AdminServer(server, services);
        server.setExecutor(admin.requests);
        Map<RequestGuard.Refusal, LongAdder> refused = RequestGuard.counters();
        boolean ipv4Only = Listeners.isIpv4Wildcard(address);
        RequestGuard read = new RequestGuard(access, false, ipv4Only, refused);
        RequestGuard operate = new RequestGuard(access, true, ipv4Only, refused);
        server.createContext("/metrics", new MetricsHandler(new BalancerMetrics(services, refused).registry()))
                .getFilters().addAll(List.of(new StrictRequests("GET"), read));
        server.createContext("/status", admin::status).getFilters().addAll(List.of(new StrictRequests("GET"), read));
        server.createContext("/healthz", admin::healthz).getFilters().addAll(List.of(new StrictRequests("GET"), read));
        server.createContext("/services/", admin::backends)
                .getFilters().addAll(List.of(new StrictRequests("POST"), operate));
        server.createContext("/backends/", admin::backends)
                .getFilters().addAll(List.of(new StrictRequests("POST"), operate));
        server.start();
        Logger.info("admin endpoint on http://{}/ (read: metrics, status, healthz; operate: "
                        + "backends/HOST:PORT/drain|enable|add|remove, {})", HostPort.format(admin.address()),
                access.operateToken().isPresent() ? "bearer token required" : "no token");
        return admin;
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    private void status(HttpExchange exchange) throws IOException {
        respond(exchange, 200, "application/json", StatusReport.json(services.get()));
    }

    /**
     * 200 while accepting with a backend UP and a free connection slot; 503 otherwise. A
     * balancer whose clients have waited for a slot for {@link #SATURATED_AFTER} or more is
     * reported too: it still accepts, but answers nobody new from the busiest addresses.
     */
    private void healthz(HttpExchange exchange) throws IOException {
        boolean healthy = true;
        List<? extends BalancerView> now = services.get();
        List<String> lines = new ArrayList<>(now.size());
        for (BalancerView service : now) {
            BackendPool pool = service.pool();
            int up = pool.up().size();
            Duration saturated = service.saturatedFor();
            boolean isSaturated = saturated.compareTo(SATURATED_AFTER) >= 0;
            boolean ok = service.isAccepting() && up > 0 && !isSaturated;
            healthy &= ok;
            lines.add((now.size() == 1 ? "" : service.name() + ": ") + up + " of " + pool.size() + " backends UP"
                    + (service.isAccepting() ? "" : ", not accepting")
                    + (isSaturated ? ", saturated: every connection slot taken for " + saturated.toSeconds()
                            + "s (new clients wait unanswered; see --max-connections, --idle-timeout, "
                            + "--max-connections-per-client)" : ""));
        }
        respond(exchange, healthy ? 200 : 503, "text/plain; charset=utf-8",
                (healthy ? "ok: " : "unavailable: ") + String.join("; ", lines) + "\n");
    }

    /**
     * {@code POST /backends/HOST:PORT/ACTION} and {@code POST /services/NAME/backends/HOST:PORT/ACTION}:
     * drain, enable, add or remove. Without a service, drain and enable apply to the
     * address in every service that has it (one machine); add and remove need the service
     * named unless there is only one.
     */
    private void backends(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String service = null;
        if (path.startsWith("/services/")) {
            String rest = path.substring("/services/".length());
            int end = rest.indexOf("/backends/");
            if (end <= 0) {
                error(exchange, 404, "no such endpoint: use POST /services/NAME/backends/HOST:PORT/ACTION");
                return;
            }
            service = rest.substring(0, end);
            path = rest.substring(end);
        }
        path = path.substring("/backends/".length());
        int slash = path.lastIndexOf('/');
        String action = slash < 0 ? "" : path.substring(slash + 1);
        if (slash < 0 || !List.of("drain", "enable", "add", "remove").contains(action)) {
            error(exchange, 404, "no such endpoint: use POST /backends/HOST:PORT/drain, /enable, /add or /remove");
            return;
        }
        String hostPort = path.substring(0, slash);
        Backend backend;
        try {
            List<InetSocketAddress> addresses = HostPort.parseBackends(hostPort);
            backend = addresses.size() == 1 ? new Backend(addresses.get(0)) : null;
        } catch (IllegalArgumentException e) {
            error(exchange, 400, "'" + hostPort + "' is not a backend address: " + e.getMessage());
            return;
        }
        if (backend == null) {
            error(exchange, 400, "'" + hostPort + "' is more than one backend; give one HOST:PORT");
            return;
        }
        List<? extends BalancerView> targets = services.get();
        if (service != null) {
            String name = service;
            targets = targets.stream().filter(s -> s.name().equals(name)).toList();
            if (targets.isEmpty()) {
                error(exchange, 404, "no service '" + name + "'; GET /status lists them");
                return;
            }
        }
        if (action.equals("add") || action.equals("remove")) {
            if (targets.size() != 1) {
                error(exchange, 409, "there are several services: name one, POST /services/NAME/backends/"
                        + hostPort + "/" + action);
                return;
            }
            change(exchange, targets.get(0), backend, action);
            return;
        }
        // A backend address in several services is one machine: drain or enable it in each.
        Map<String, Object> answer = null;
        List<String> in = new ArrayList<>();
        for (BalancerView target : targets) {
            BackendPool pool = target.pool();
            if (pool.backends().contains(backend)) {
                pool.setDraining(backend, action.equals("drain"));
                if (answer == null) {
                    answer = StatusReport.backend(pool, backend);
                }
                in.add(target.name());
            }
        }
        if (answer == null) {
            error(exchange, 404, "no backend " + hostPort + " in this balancer; GET /status lists them");
            return;
        }
        answer.put("services", in);
        respond(exchange, 200, "application/json", JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT).asString(answer));
    }

    /** Adds or removes a backend of one service; the change lasts until the next reload. */
    private void change(HttpExchange exchange, BalancerView service, Backend backend, String action)
            throws IOException {
        boolean changed;
        try {
            changed = action.equals("add") ? service.addBackend(backend, Weighting.DEFAULT)
                    : service.removeBackend(backend);
        } catch (IllegalStateException e) {
            error(exchange, 409, "cannot remove " + backend + ": " + e.getMessage());
            return;
        }
        if (!changed) {
            error(exchange, action.equals("add") ? 409 : 404, "backend " + backend
                    + (action.equals("add") ? " is one already" : " is not one of service '" + service.name() + "'"));
            return;
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("service", service.name());
        answer.put(action.equals("add") ? "added" : "removed", backend.toString());
        answer.put("backends", service.pool().backends().stream().map(Backend::toString).toList());
        answer.put("lasts", "until the configuration is next reloaded");
        respond(exchange, 200, "application/json", JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT).asString(answer));
    }

    static void error(HttpExchange exchange, int code, String message) throws IOException {
        respond(exchange, code, "application/json", JSON.std.asString(Map.of("error", message)));
    }

    private static void respond(HttpExchange exchange, int code, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Stops serving at once; requests in progress are cut. */
    @Override
    public void close() {
        server.stop(0);
        requests.close();
    }
}
