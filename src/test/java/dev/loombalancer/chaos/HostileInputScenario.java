package dev.loombalancer.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.testing.BalancerProcess;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario 7, hostile input: random and malformed command lines, malformed admin
 * requests (paths, methods, bodies, huge headers, garbage bytes), and malformed PROXY
 * protocol headers from a trusted upstream. Every one gets a clear
 * answer or a closed connection; never a stack trace, never a crash.
 *
 * <p>Its first run found that the admin server answered {@code /status%00}, {@code PUT
 * /metrics}, HTTP/9.9 and POSTs with bodies as if they were proper requests; see
 * {@code StrictRequests}.
 */
class HostileInputScenario {

    private static final String[] OPTIONS = {"--listen", "--backend", "--strategy", "--health-interval",
        "--health-timeout", "--fall", "--rise", "--sticky-ttl", "--sticky-max", "--idle-timeout", "--when-unavailable",
        "--max-connections", "--max-connections-per-client", "--allow", "--retries", "--drain-timeout", "--admin",
        "--connect-timeout", "--backlog", "--no-health-check", "--help", "--version", "--frobnicate", "-x", "--", "-"};
    private static final String[] VALUES = {"", " ", "-1", "0", "1", "99999999999999999999", "abc", "1e9", "0x10",
        "2s", "-5s", "off", "127.0.0.1:", "[::1", "[::1]:70000", "127.0.0.1:9001-1", "10.0.0.1/8", "::/0",
        "round-robin", "sticky", "http-502", "%n%s%d", "${jndi:ldap://x}", "üñî©ødé", "\t\r\n", "a".repeat(10_000),
        "@/nonexistent/args/file", "127.0.0.1:0", "--listen", "9001-9003", "NaN", "1h", "[fe80::1%lo]:1"};

    /** Values that are valid for their option, so that some command lines get past parsing. */
    private static final Map<String, String> VALID = Map.of("--strategy", "sticky", "--health-interval", "500ms",
        "--retries", "1", "--allow", "127.0.0.0/8", "--max-connections-per-client", "4", "--idle-timeout", "5m",
        "--admin", "127.0.0.1:0", "--listen", "127.0.0.1:1", "--sticky-max", "10", "--when-unavailable", "http-502");

    /** Random command lines against the real jar: a usage error, a start error, or a clean start. */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void randomCommandLines() throws Exception {
        int runs = Chaos.pick(24, 120);
        Random random = new Random(6);
        List<List<String>> commandLines = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            List<String> args = new ArrayList<>();
            // A safe base, so a command line that happens to be valid starts on a free port.
            args.addAll(List.of("--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9", "--no-health-check"));
            for (int n = 1 + random.nextInt(3); n > 0; n--) {
                String option = OPTIONS[random.nextInt(OPTIONS.length)];
                args.add(option);
                int roll = random.nextInt(6);
                if (roll < 2 && VALID.containsKey(option)) {
                    args.add(VALID.get(option));
                } else if (roll > 0) {
                    args.add(VALUES[random.nextInt(VALUES.length)]);
                }
            }
            commandLines.add(args);
        }
        Map<String, Integer> kinds = new TreeMap<>();
        List<String> bad = new ArrayList<>();
        try (var pool = Executors.newFixedThreadPool(2)) { // two JVMs at a time: one per core
            List<Future<String>> outcomes = new ArrayList<>();
            for (List<String> args : commandLines) {
                outcomes.add(pool.submit(() -> runOnce(args)));
            }
            for (int i = 0; i < runs; i++) {
                String outcome = outcomes.get(i).get();
                if (outcome.startsWith("BAD")) {
                    bad.add(outcome + " for " + shorten(commandLines.get(i)));
                } else {
                    kinds.merge(outcome, 1, Integer::sum);
                }
            }
        }
        assertEquals(List.of(), bad);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("connections", 0);
        report.put("faultsInjected", runs + " random command lines");
        report.put("outcomes", kinds.toString());
        Chaos.report("hostile command lines", report);
    }

    /** One command line: "exit 2 usage", "exit 1 cannot start", "exit 0", "started", or "BAD: why". */
    private static String runOnce(List<String> args) throws Exception {
        try (BalancerProcess process = BalancerProcess.start(args.toArray(String[]::new))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (process.process().isAlive() && System.nanoTime() < deadline) {
                if (process.err().contains("INFO  listening on ")) {
                    return checkLog(process.err(), "started");
                }
                process.process().waitFor(50, TimeUnit.MILLISECONDS);
            }
            if (process.process().isAlive()) {
                return "BAD: neither started nor exited in 20 s: " + process.err();
            }
            String err = process.err();
            int code = process.process().exitValue();
            if (code == 0) {
                return checkLog(err, "exit 0 (help or version)");
            }
            if (code != 1 && code != 2) {
                return "BAD: exit " + code + ": " + err;
            }
            if (err.lines().count() != 1 || !err.startsWith("loom-balancer: ")) {
                return "BAD: not one 'loom-balancer: …' line: " + err;
            }
            return checkLog(err, code == 2 ? "exit 2 (usage error)" : "exit 1 (cannot start)");
        }
    }

    private static String checkLog(String err, String outcome) {
        return err.contains("\tat ") || err.contains("Exception") ? "BAD: a stack trace: " + err : outcome;
    }

    private static String shorten(List<String> args) {
        String text = String.join(" ", args);
        return text.length() > 300 ? text.substring(0, 300) + "…" : text;
    }

    /** Malformed admin requests: each gets a 4xx answer or a closed connection; the process lives on. */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void malformedAdminRequests() throws Exception {
        Map<String, byte[]> requests = new LinkedHashMap<>();
        requests.put("unknown path", get("/nope"));
        requests.put("path traversal", get("/../../etc/passwd"));
        requests.put("encoded traversal", get("/backends/%2e%2e%2f%2e%2e/drain"));
        requests.put("NUL in path", get("/status%00"));
        requests.put("longer path", get("/statusX"));
        requests.put("sub-path", get("/healthz/../metrics"));
        requests.put("unknown backend", post("/backends/127.0.0.1:1/drain", ""));
        requests.put("backend not an address", post("/backends/not-a-backend/drain", ""));
        requests.put("unknown action", post("/backends/127.0.0.1:9/explode", ""));
        requests.put("GET on an action", get("/backends/127.0.0.1:9/drain"));
        requests.put("DELETE", raw("DELETE /status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
        requests.put("PUT metrics", raw("PUT /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n\r\nabc"));
        requests.put("TRACE", raw("TRACE / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
        requests.put("garbage method", raw("G\u0001T /status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
        requests.put("no version", raw("GET /status\r\n\r\n"));
        requests.put("HTTP/9.9", raw("GET /status HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n"));
        requests.put("bad content length", raw("POST /backends/127.0.0.1:9/drain HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Length: -5\r\n\r\n"));
        requests.put("huge content length", raw("POST /backends/127.0.0.1:9/drain HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Length: 99999999999999999999\r\n\r\n"));
        requests.put("garbage chunked body", raw("POST /backends/127.0.0.1:9/drain HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Transfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n"));
        requests.put("4 MiB body", post("/backends/127.0.0.1:9/enable", "x".repeat(4 << 20)));
        requests.put("1 MiB header", raw("GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + "a".repeat(1 << 20) + "\r\n\r\n"));
        requests.put("10,000 headers", raw("GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "X-A: b\r\n".repeat(10_000) + "\r\n"));
        requests.put("header without colon", raw("GET /status HTTP/1.1\r\nHost x\r\nnonsense\r\n\r\n"));
        byte[] noise = new byte[64 * 1024];
        new Random(7).nextBytes(noise);
        requests.put("64 KiB of random bytes", noise);
        requests.put("half a request, then close", raw("GET /sta"));

        try (TestBackend b1 = TestBackend.hello("B1");
             BalancerProcess balancer = BalancerProcess.start("--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                     "--backend", Chaos.backendList(b1) + ",127.0.0.1:9", "--no-health-check")) {
            InetSocketAddress admin = balancer.adminAddress();
            // What a web page can make a browser send (CSRF, DNS rebinding): each must be refused.
            String drain = "POST /backends/127.0.0.1:" + b1.address().getPort() + "/drain HTTP/1.1\r\nContent-Length: 0\r\n";
            requests.put("cross-site form drain", raw(drain + "Host: evil.example\r\nOrigin: http://evil.example\r\n"
                    + "Content-Type: application/x-www-form-urlencoded\r\n\r\n"));
            requests.put("drain with a foreign Origin", raw(drain + "Host: 127.0.0.1:" + admin.getPort()
                    + "\r\nOrigin: http://evil.example\r\n\r\n"));
            requests.put("drain from a cross-site fetch", raw(drain + "Host: 127.0.0.1:" + admin.getPort()
                    + "\r\nSec-Fetch-Site: cross-site\r\n\r\n"));
            requests.put("text/plain drain", raw(drain + "Host: 127.0.0.1:" + admin.getPort()
                    + "\r\nContent-Type: text/plain\r\n\r\n"));
            requests.put("DNS-rebound status read", raw("GET /status HTTP/1.1\r\nHost: rebind.evil.example:"
                    + admin.getPort() + "\r\n\r\n"));
            Chaos.Baseline before = Chaos.Baseline.of(balancer);
            Map<String, String> answers = new ConcurrentHashMap<>();
            List<String> bad = new ArrayList<>();
            for (Map.Entry<String, byte[]> request : requests.entrySet()) {
                String answer = send(admin, request.getValue());
                answers.put(request.getKey(), answer);
                boolean acceptable = answer.equals("closed") || answer.matches("HTTP/1\\.1 (4\\d\\d|505) .*");
                if (!acceptable) {
                    bad.add(request.getKey() + " -> " + answer);
                }
            }
            assertEquals(List.of(), bad, "every hostile request gets a 4xx or a closed connection");
            // Concurrently, too: a burst of garbage from many connections at once.
            AtomicInteger burst = new AtomicInteger();
            try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 200; i++) {
                    threads.submit(() -> {
                        send(admin, noise);
                        burst.incrementAndGet();
                        return null;
                    });
                }
            }
            assertTrue(balancer.process().isAlive());
            assertTrue(balancer.admin("/healthz").startsWith("ok"));
            assertFalse(balancer.admin("/status").contains("DRAINING"), "no web-page request drained a backend");
            assertEquals("B1", TestClient.backendOf(balancer.address(), null), "still proxying");
            String log = balancer.err();
            assertFalse(log.contains("\tat ") || log.contains("Exception"), "no stack trace:\n" + log);
            Map<String, Object> figures = Chaos.backToBaseline(balancer, before);

            Map<String, Object> report = new LinkedHashMap<>();
            report.put("connections", requests.size() + burst.get());
            report.put("faultsInjected", requests.size() + " malformed admin requests + " + burst.get()
                    + " concurrent garbage connections");
            report.put("answers", new TreeMap<>(answers).toString());
            report.putAll(figures);
            Chaos.report("hostile admin requests", report);
        }
    }

    /**
     * Malformed PROXY headers from a trusted upstream (--accept-proxy): truncated, wrong
     * signature, wrong version or length, huge TLVs, noise, silence. Each is closed and
     * counted, no backend hears of it, and a proper header is still served.
     */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void malformedProxyHeaders() throws Exception {
        String signature = "\r\n\r\n\0\r\nQUIT\n";
        Map<String, byte[]> headers = new LinkedHashMap<>();
        headers.put("truncated v2", raw(signature + "\u0021\u0011\u0000"));
        headers.put("truncated v1", raw("PROXY TCP4 203.0.113.9 127.0.0.1 40"));
        headers.put("wrong signature", raw("\r\n\r\n\0\r\nQUIZ\n\u0021\u0011\u0000\u000c" + "x".repeat(12)));
        headers.put("v2 version 3", raw(signature + "\u0031\u0011\u0000\u000c" + "x".repeat(12)));
        headers.put("v2 length too short for IPv6", raw(signature + "\u0021\u0021\u0000\u000c" + "x".repeat(12)));
        headers.put("v2 length beyond what came", raw(signature + "\u0021\u0011\u0001\u0000" + "x".repeat(12)));
        headers.put("v2 with 64 KiB of TLVs", raw(signature + "\u0021\u0011\u00ff\u00ff" + "\u0004".repeat(65_535)));
        headers.put("v1 without CRLF", raw("PROXY TCP4 203.0.113.9 127.0.0.1 4000 80 " + "9".repeat(200)));
        headers.put("v1 with a name", raw("PROXY TCP4 evil.example 127.0.0.1 4000 80\r\n"));
        headers.put("v1 port 99999", raw("PROXY TCP4 203.0.113.9 127.0.0.1 99999 80\r\n"));
        headers.put("v1 family mismatch", raw("PROXY TCP6 203.0.113.9 127.0.0.1 4000 80\r\n"));
        headers.put("plain HTTP", get("/"));
        byte[] noise = new byte[16 * 1024];
        new Random(8).nextBytes(noise);
        headers.put("16 KiB of random bytes", noise);

        try (TestBackend b1 = TestBackend.hello("B1");
             BalancerProcess balancer = BalancerProcess.start("--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                     "--backend", Chaos.backendList(b1), "--no-health-check", "--accept-proxy", "127.0.0.0/8",
                     "--preread-timeout", "1s")) {
            assertEquals("Hello from B1: warm-up", properHeaderThen(balancer, "warm-up"), "a proper header is served");
            balancer.admin("/status");
            Chaos.Baseline before = Chaos.Baseline.of(balancer); // warmed up: the pollers and the admin are open
            Map<String, String> answers = new TreeMap<>();
            for (Map.Entry<String, byte[]> header : headers.entrySet()) {
                answers.put(header.getKey(), send(balancer.address(), header.getValue()));
            }
            // Silence: a trusted peer that sends nothing is closed after the preread timeout.
            try (Socket silent = new Socket()) {
                silent.connect(balancer.address(), 5_000);
                silent.setSoTimeout(10_000);
                try {
                    answers.put("silence", silent.getInputStream().read() < 0 ? "closed" : "answered");
                } catch (IOException reset) {
                    answers.put("silence", "closed");
                }
            }
            List<String> bad = answers.entrySet().stream().filter(e -> !e.getValue().equals("closed"))
                    .map(e -> e.getKey() + " -> " + e.getValue()).toList();
            assertEquals(List.of(), bad, "every malformed header gets a closed connection");
            AtomicInteger burst = new AtomicInteger();
            try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 200; i++) {
                    threads.submit(() -> {
                        send(balancer.address(), noise);
                        burst.incrementAndGet();
                        return null;
                    });
                }
            }
            int malformed = headers.size() + 1 + burst.get();
            String status = balancer.admin("/status");
            assertTrue(status.matches("(?s).*\"bad_proxy_header\" ?: ?" + malformed + "\\b.*"), "each counted: " + status);
            assertEquals(1, b1.accepted(), "no backend heard of any of them, only of the warm-up");
            assertEquals("Hello from B1: still served", properHeaderThen(balancer, "still served"));
            assertTrue(balancer.process().isAlive());
            String log = balancer.err();
            assertFalse(log.contains("\tat ") || log.contains("Exception"), "no stack trace:\n" + log);
            Map<String, Object> figures = Chaos.backToBaseline(balancer, before);
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("connections", malformed + 2);
            report.put("faultsInjected", (headers.size() + 1) + " malformed PROXY headers + " + burst.get()
                    + " concurrent garbage connections from a trusted upstream");
            report.put("answers", answers.toString());
            report.putAll(figures);
            Chaos.report("hostile PROXY headers", report);
        }
    }

    private static String properHeaderThen(BalancerProcess balancer, String line) throws IOException {
        try (TestClient client = new TestClient(balancer.address())) {
            client.send("PROXY TCP4 203.0.113.9 127.0.0.1 4000 80\r");
            return client.exchange(line);
        }
    }

    private static byte[] get(String path) {
        return raw("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    }

    private static byte[] post(String path, String body) {
        return raw("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: "
                + body.length() + "\r\n\r\n" + body);
    }

    private static byte[] raw(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Sends the bytes (as far as the server lets us) and returns its status line, or "closed". */
    private static String send(InetSocketAddress admin, byte[] request) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(admin, 5_000);
            socket.setSoTimeout(5_000);
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    socket.getOutputStream().write(request);
                    socket.shutdownOutput();
                } catch (IOException e) {
                    // the server answered and closed before taking it all: fine
                }
            });
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            try {
                InputStream in = socket.getInputStream();
                for (int c; (c = in.read()) >= 0 && c != '\r' && c != '\n' && head.size() < 200; ) {
                    head.write(c);
                }
            } catch (SocketTimeoutException e) {
                return "no answer in 5 s";
            } catch (IOException reset) {
                // reset
            } finally {
                socket.close();
                try {
                    writer.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            String status = head.toString(StandardCharsets.ISO_8859_1);
            return status.isEmpty() ? "closed" : status;
        }
    }
}
