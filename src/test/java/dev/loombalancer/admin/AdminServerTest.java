package dev.loombalancer.admin;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.loombalancer.health.ProbeConfig;
import dev.loombalancer.pool.BackendState;
import dev.loombalancer.server.Balancer;
import dev.loombalancer.testing.FastProbes;
import dev.loombalancer.testing.Ports;
import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The admin endpoint: metrics, status, health, and draining a backend. */
class AdminServerTest {

    private static final InetSocketAddress ADMIN = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void closeClient() {
        http.close();
    }

    private HttpResponse<String> send(AdminServer admin, String method, String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.address().getPort() + path))
                .timeout(Duration.ofSeconds(10))
                .method(method, HttpRequest.BodyPublishers.noBody()).build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** /metrics speaks Prometheus's text format, with per-backend series and JVM basics. */
    @Test
    void metrics() throws Exception {
        try (TestBackend b1 = TestBackend.hello("B1");
             Balancer balancer = RunningBalancer.start(c -> c.health(FastProbes.CONFIG), b1.address());
             AdminServer admin = AdminServer.start(ADMIN, List.of(balancer), AdminAccess.LOOPBACK)) {
            assertEquals("B1", TestClient.backendOf(balancer.localAddress(), null));
            await().until(() -> send(admin, "GET", "/metrics").body().contains("loom_health_checks_total{result=\"success\",service=\"default\"}"));
            String metrics = send(admin, "GET", "/metrics").body();
            String backend = "backend=\"127.0.0.1:" + b1.address().getPort() + "\"";
            // Prometheus text format: comments, or "name{labels} value".
            Pattern sample = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*(\\{.*})? (-?[0-9.eE+-]+|[+-]Inf|NaN)( [0-9]+)?");
            for (String line : metrics.split("\n")) {
                assertTrue(line.isEmpty() || line.startsWith("#") || sample.matcher(line).matches(), "not Prometheus text: " + line);
            }
            String service = "service=\"default\"";
            for (String expected : List.of("loom_connections_active{" + service + "} ",
                    "loom_backends{" + service + ",state=\"up\"} 1",
                    "loom_bytes_total{direction=\"up\"," + service + "} 3",
                    "loom_bytes_total{direction=\"down\"," + service + "} 18",
                    "loom_connections_total{" + service + "} 1", "loom_backend_up{" + backend + "," + service + "} 1",
                    "loom_backend_connections_total{" + backend + "," + service + "} 1",
                    "loom_health_check_duration_seconds_bucket",
                    "loom_connections_rejected_total{reason=\"no_backend_available\"," + service + "} 0",
                    "loom_connections_rejected_total{reason=\"bad_proxy_header\"," + service + "} 0",
                    "loom_backend_check_passed{" + backend + "," + service + "} 1",
                    "jvm_threads_current")) {
                assertTrue(metrics.contains(expected), expected + " in:\n" + metrics);
            }
        }
    }

    /** /status is JSON with the balancer and each backend; /healthz follows the backends' state. */
    @Test
    void statusAndHealthz() throws Exception {
        try (TestBackend b1 = TestBackend.hello("B1")) {
            InetSocketAddress dead = Ports.refusing();
            try (Balancer balancer = RunningBalancer.start(c -> c.health(FastProbes.CONFIG), b1.address(), dead);
                 AdminServer admin = AdminServer.start(ADMIN, List.of(balancer), AdminAccess.LOOPBACK)) {
                await().until(() -> balancer.pool().up().size() == 1);
                HttpResponse<String> status = send(admin, "GET", "/status");
                assertEquals(200, status.statusCode());
                assertEquals("application/json", status.headers().firstValue("Content-Type").orElseThrow());
                Map<String, Object> json = JSON.std.mapFrom(status.body());
                assertEquals("round-robin", json.get("strategy"));
                assertEquals(1, json.get("backendsUp"));
                List<?> backends = (List<?>) json.get("backends");
                assertEquals("UP", ((Map<?, ?>) backends.get(0)).get("state"));
                assertEquals("DOWN", ((Map<?, ?>) backends.get(1)).get("state"));
                assertEquals("connection refused", ((Map<?, ?>) backends.get(1)).get("lastHealthResult"));

                assertEquals(200, send(admin, "GET", "/healthz").statusCode());
                b1.kill();
                await().until(() -> send(admin, "GET", "/healthz").statusCode() == 503);
            }
        }
    }

    /** A drained backend gets no new connections while its open one goes on; enable brings it back. */
    @Test
    void drainAndEnable() throws Exception {
        try (TestBackend b1 = TestBackend.hello("B1");
             TestBackend b2 = TestBackend.hello("B2");
             Balancer balancer = RunningBalancer.start(c -> c.health(ProbeConfig.OFF), b1.address(), b2.address());
             AdminServer admin = AdminServer.start(ADMIN, List.of(balancer), AdminAccess.LOOPBACK);
             TestClient open = new TestClient(balancer.localAddress())) {
            assertEquals("B1", open.backendName("before"));
            String b1Path = "/backends/127.0.0.1:" + b1.address().getPort();

            HttpResponse<String> drained = send(admin, "POST", b1Path + "/drain");
            assertEquals(200, drained.statusCode(), drained.body());
            assertEquals("DRAINING", JSON.std.mapFrom(drained.body()).get("state"));
            for (int i = 0; i < 4; i++) {
                assertEquals("B2", TestClient.backendOf(balancer.localAddress(), null));
            }
            assertEquals("B1", open.backendName("still served"), "open connections finish");

            assertEquals(200, send(admin, "POST", b1Path + "/enable").statusCode());
            List<String> after = List.of(TestClient.backendOf(balancer.localAddress(), null),
                    TestClient.backendOf(balancer.localAddress(), null));
            assertTrue(after.contains("B1"), "enabled again: " + after);
        }
    }

    /** The operate level adds and removes backends while running; a removed one drains. */
    @Test
    void addAndRemoveBackends() throws Exception {
        try (TestBackend b1 = TestBackend.hello("B1");
             TestBackend b2 = TestBackend.hello("B2");
             Balancer balancer = RunningBalancer.start(c -> c.health(ProbeConfig.OFF), b1.address());
             AdminServer admin = AdminServer.start(ADMIN, List.of(balancer), AdminAccess.LOOPBACK);
             TestClient open = new TestClient(balancer.localAddress())) {
            assertEquals("B1", open.backendName("before"));
            HttpResponse<String> added = send(admin, "POST", "/backends/127.0.0.1:" + b2.address().getPort() + "/add");
            assertEquals(200, added.statusCode(), added.body());
            assertEquals(Set.of("B1", "B2"), Set.of(TestClient.backendOf(balancer.localAddress(), null),
                    TestClient.backendOf(balancer.localAddress(), null)));

            HttpResponse<String> removed = send(admin, "POST", "/services/default/backends/127.0.0.1:"
                    + b1.address().getPort() + "/remove");
            assertEquals(200, removed.statusCode(), removed.body());
            for (int i = 0; i < 3; i++) {
                assertEquals("B2", TestClient.backendOf(balancer.localAddress(), null));
            }
            assertEquals("B1", open.backendName("draining"), "its open connection goes on");
        }
    }

    /**
     * Unknown backends, bad addresses, paths and methods get clear errors, not stack traces;
     * {@code B1} in a path stands for the one backend's port.
     */
    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
        "POST | /backends/127.0.0.1:1/drain      | 404 | no backend 127.0.0.1:1 in this balancer",
        "POST | /backends/127.0.0.1:99999/drain  | 400 | is not a backend address",
        "GET  | /backends/127.0.0.1:B1/drain     | 405 |",
        "POST | /status                          | 405 |",
        "POST | /backends/127.0.0.1:1/reboot     | 404 | use POST /backends/HOST:PORT/drain, /enable, /add or /remove",
        "POST | /backends/127.0.0.1:B1/remove    | 409 | it is the service's only backend",
        "POST | /backends/127.0.0.1:B1/add       | 409 | is one already",
        "POST | /services/nope/backends/127.0.0.1:1/add | 404 | no service 'nope'",
        "GET  | /nothing-here                    | 404 |",
        // Exact paths and methods: the JDK server alone would answer these as /status and /metrics.
        "GET  | /statusX                         | 404 |",
        "GET  | /status/                         | 404 |",
        "PUT  | /metrics                         | 405 |",
    })
    void errors(String method, String path, int status, String says) throws Exception {
        try (TestBackend b1 = TestBackend.hello("B1");
             Balancer balancer = RunningBalancer.start(c -> c.health(ProbeConfig.OFF), b1.address());
             AdminServer admin = AdminServer.start(ADMIN, List.of(balancer), AdminAccess.LOOPBACK)) {
            HttpResponse<String> response = send(admin, method, path.replace("B1", "" + b1.address().getPort()));
            assertEquals(status, response.statusCode(), response.body());
            if (says != null) {
                assertTrue(response.body().contains(says), response.body());
            }
        }
    }

    /** One raw HTTP/1.1 request with the given header lines; returns the status code, and the body after a blank line. */
    private static String raw(AdminServer admin, String method, String path, String... headers) throws Exception {
        return rawFrom(InetAddress.getLoopbackAddress(), admin, method, path, headers);
    }

    /** {@link #raw}, connecting to {@code to} (::1, say) rather than 127.0.0.1. */
    private static String rawFrom(InetAddress to, AdminServer admin, String method, String path, String... headers)
            throws Exception {
        try (Socket socket = new Socket(to, admin.address().getPort())) {
            socket.setSoTimeout(10_000);
            StringBuilder request = new StringBuilder(method + " " + path + " HTTP/1.1\r\nConnection: close\r\n");
            boolean hasHost = false;
            for (String header : headers) {
                request.append(header).append("\r\n");
                hasHost |= header.regionMatches(true, 0, "Host:", 0, 5);
            }
            if (!hasHost) {
                request.append("Host: 127.0.0.1:").append(admin.address().getPort()).append("\r\n");
            }
            if (method.equals("POST")) {
                request.append("Content-Length: 0\r\n");
            }
            socket.getOutputStream().write(request.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String status = response.substring("HTTP/1.1 ".length(), "HTTP/1.1 ".length() + 3);
            int body = response.indexOf("\r\n\r\n");
            return status + (body < 0 ? "" : "\n" + response.substring(body + 4));
        }
    }

    /**
     * Web pages are kept out: a foreign Host (DNS rebinding) cannot read, and a cross-site
     * or form POST cannot operate; IP literals, localhost and listed names can.
     */
    @ParameterizedTest(name = "{0} {1} [{2}] -> {3}")
    @CsvSource(delimiter = '|', value = {
        "GET  | /status        | Host: evil.example                                     | 421 | is not this endpoint's",
        "GET  | /metrics       | Host: evil.example:9900                                | 421 | --admin-host",
        "POST | /backends/B1/drain | Host: evil.example                                 | 421 | is not this endpoint's",
        "POST | /backends/B1/drain | Origin: http://evil.example                        | 403 | cross-site request refused",
        "POST | /backends/B1/drain | Sec-Fetch-Site: cross-site                         | 403 | cross-site request refused",
        "POST | /backends/B1/drain | Content-Type: application/x-www-form-urlencoded    | 403 | a form's content type",
        "POST | /backends/B1/drain | Content-Type: text/plain;charset=UTF-8             | 403 | a form's content type",
        "GET  | /healthz       | Host: localhost                                        | 200 | ok",
        "GET  | /healthz       | Host: [::1]:9900                                       | 200 | ok",
        "GET  | /healthz       | Host: admin.lb.internal:9900                           | 200 | ok",
        "POST | /backends/B1/enable | Sec-Fetch-Site: same-origin                       | 200 | UP",
    })
    void webPagesAreKeptOut(String method, String path, String header, String status, String says) throws Exception {
        try (TestBackend b1 = TestBackend.hello("B1");
             Balancer balancer = RunningBalancer.start(c -> c.health(ProbeConfig.OFF), b1.address());
             AdminServer admin = AdminServer.start(ADMIN, List.of(balancer),
                     new AdminAccess(Optional.empty(), List.of("admin.lb.internal")))) {
            String response = raw(admin, method, path.replace("B1", "127.0.0.1:" + b1.address().getPort()), header);
            assertEquals(status, response.substring(0, 3), response);
            assertTrue(response.contains(says), response);
            assertEquals(BackendState.UP, balancer.pool().healthOf(balancer.pool().backends().get(0)).state(),
                    "no refused request changed anything");
            if (!status.startsWith("2")) {
                String reason = status.equals("421") ? "foreign_host" : "cross_site";
                assertTrue(raw(admin, "GET", "/metrics").contains("loom_admin_requests_refused_total{reason=\"" + reason
                        + "\"} 1.0"), "counted under " + reason);
            }
        }
    }

    /** With a token, operating needs it; reading does not. */
    @Test
    void operatingNeedsTheToken() throws Exception {
        byte[] token = "s3cret-token".getBytes(StandardCharsets.UTF_8);
        try (TestBackend b1 = TestBackend.hello("B1");
             Balancer balancer = RunningBalancer.start(c -> c.health(ProbeConfig.OFF), b1.address());
             AdminServer admin = AdminServer.start(ADMIN, List.of(balancer), new AdminAccess(Optional.of(token), List.of()))) {
            String drain = "/backends/127.0.0.1:" + b1.address().getPort() + "/drain";
            assertEquals("401", raw(admin, "POST", drain).substring(0, 3));
            assertEquals("401", raw(admin, "POST", drain, "Authorization: Bearer wrong").substring(0, 3));
            assertEquals("401", raw(admin, "POST", drain, "Authorization: Basic czNjcmV0LXRva2Vu").substring(0, 3));
            assertEquals(BackendState.UP, balancer.pool().healthOf(balancer.pool().backends().get(0)).state());
            assertEquals("200", raw(admin, "GET", "/status").substring(0, 3), "reading needs no token");
            assertEquals("200", raw(admin, "POST", drain, "Authorization: Bearer s3cret-token").substring(0, 3));
            assertEquals(BackendState.DRAINING, balancer.pool().healthOf(balancer.pool().backends().get(0)).state());
            assertTrue(raw(admin, "GET", "/metrics").contains("loom_admin_requests_refused_total{reason=\"bad_token\"} 3.0"));
        }
    }

    /** When every connection slot has stayed taken for a few seconds, /healthz says so (503), and recovers. */
    @Test
    void healthzReportsSaturation() throws Exception {
        try (TestBackend b1 = TestBackend.hello("B1");
             Balancer balancer = RunningBalancer.start(c -> c.health(ProbeConfig.OFF).maxConnections(1), b1.address());
             AdminServer admin = AdminServer.start(ADMIN, List.of(balancer), AdminAccess.LOOPBACK);
             TestClient holder = new TestClient(balancer.localAddress());
             TestClient waiting = new TestClient(balancer.localAddress())) {
            assertEquals("B1", holder.backendName("holds the only slot"));
            waiting.send("queued in the backlog");
            await().atMost(Duration.ofSeconds(15)).until(() -> send(admin, "GET", "/healthz").statusCode() == 503);
            String body = send(admin, "GET", "/healthz").body();
            assertTrue(body.contains("saturated: every connection slot taken for"), body);
            assertTrue(raw(admin, "GET", "/metrics").contains("loom_saturated_seconds{service=\"default\"} "), "in the metrics too");
            holder.close();
            assertEquals("Hello from B1: queued in the backlog", waiting.readLine());
            await().atMost(Duration.ofSeconds(10)).until(() -> send(admin, "GET", "/healthz").statusCode() == 200);
        }
    }

    /** --admin 0.0.0.0 is IPv4 only: an IPv6 client is refused with 403 and counted; [::] serves both. */
    @Test
    void theIpv4WildcardRefusesIpv6Clients() throws Exception {
        InetAddress v6 = InetAddress.getByName("::1");
        try (TestBackend b1 = TestBackend.hello("B1");
             Balancer balancer = RunningBalancer.start(c -> c.health(ProbeConfig.OFF), b1.address())) {
            AdminAccess token = new AdminAccess(Optional.of("t".getBytes(StandardCharsets.UTF_8)), List.of());
            try (AdminServer admin = AdminServer.start(new InetSocketAddress("0.0.0.0", 0), List.of(balancer), token)) {
                assertTrue(raw(admin, "GET", "/healthz").startsWith("200"), "IPv4 is served");
                String refused = rawFrom(v6, admin, "GET", "/status");
                assertTrue(refused.startsWith("403") && refused.contains("IPv4 only"), refused);
                assertTrue(raw(admin, "GET", "/metrics")
                        .contains("loom_admin_requests_refused_total{reason=\"ipv6_on_ipv4_only\"} 1.0"));
            }
            try (AdminServer admin = AdminServer.start(new InetSocketAddress("::", 0), List.of(balancer), token)) {
                assertTrue(rawFrom(v6, admin, "GET", "/healthz").startsWith("200"), "IPv6 is served");
                assertTrue(raw(admin, "GET", "/healthz").startsWith("200"), "and IPv4");
            }
        }
    }
}
