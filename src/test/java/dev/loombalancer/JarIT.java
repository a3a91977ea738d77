package dev.loombalancer;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.loombalancer.testing.BalancerProcess;
import dev.loombalancer.testing.Locales;
import dev.loombalancer.testing.Ports;
import dev.loombalancer.testing.Sha256;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The packaged jar, run as users run it: {@code java -jar target/loom-balancer.jar}. */
class JarIT {

    private static final Path JAR = BalancerProcess.JAR;
    private static final Path JAVA = BalancerProcess.JAVA;

    /** The jar exists and --version answers through the launcher. */
    @Test
    void versionRunsFromTheJar() throws Exception {
        assertTrue(Files.isRegularFile(JAR), "built jar at " + JAR);
        Process process = new ProcessBuilder(JAVA.toString(), "-jar", JAR.toString(), "--version")
                .redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), out);
        assertTrue(out.startsWith("loom-balancer "), out);
    }

    /** A bad flag ends the real process with exit code 2 and one line, no stack trace. */
    @Test
    void badFlagExitsTwoWithOneLine() throws Exception {
        Process process = new ProcessBuilder(JAVA.toString(), "-jar", JAR.toString(), "--backend", "127.0.0.1:99999")
                .redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, process.exitValue(), out);
        assertEquals(1, out.lines().count(), out);
        assertTrue(out.contains("port 99999 is outside 1-65535"), out);
    }

    /** Each backend state change is logged once, at INFO, in HAProxy's style, however many probes ran. */
    @Test
    void logsEachStateChangeOnce() throws Exception {
        InetSocketAddress refusing = Ports.refusing();
        try (TestBackend backend = TestBackend.hello("B1")) {
            InetSocketAddress live = backend.address();
            String b1 = "127.0.0.1:" + live.getPort();
            String dead = "127.0.0.1:" + refusing.getPort();
            try (BalancerProcess balancer = BalancerProcess.start("--listen", "127.0.0.1:0", "--health-interval", "50ms",
                    "--backend", b1 + "," + dead)) {
                balancer.awaitLine("INFO  backend " + dead + " DOWN (connection refused, first check); 1 of 2 backends UP");
                backend.kill();
                balancer.awaitLine("INFO  backend " + b1 + " DOWN (connection refused, 3/3); 0 of 2 backends UP");
                balancer.awaitLine("WARN  no backend is UP");
                try (TestBackend restarted = TestBackend.hello("B1", live)) {
                    balancer.awaitLine("INFO  backend " + b1 + " UP (check passed in ");
                    balancer.awaitLine(", 2/2); 1 of 2 backends UP");
                }
                String log = balancer.err();
                assertEquals(1, log.lines().filter(l -> l.contains("backend " + dead + " ")).count(), log);
                assertEquals(2, log.lines().filter(l -> l.contains("backend " + b1 + " ")).count(), log);
            }
        }
    }

    /** SIGTERM drains: a long transfer completes intact, new clients are refused, exit code 0. */
    @Test
    void sigtermDrainsALongTransfer() throws Exception {
        Set<String> received = ConcurrentHashMap.newKeySet();
        try (TestBackend backend = TestBackend.hashingEcho(received);
             BalancerProcess balancer = BalancerProcess.start("--listen", "127.0.0.1:0", "--no-health-check",
                     "--backend", "127.0.0.1:" + backend.address().getPort())) {
            InetSocketAddress address = balancer.address();
            byte[] payload = new byte[4 * 1024 * 1024];
            new Random(7).nextBytes(payload);
            try (Socket client = new Socket()) {
                client.connect(address, TestClient.READ_TIMEOUT_MILLIS);
                client.setSoTimeout(TestClient.READ_TIMEOUT_MILLIS);
                MessageDigest echoed = Sha256.newDigest();
                Thread reader = Thread.ofVirtual().start(() -> readAll(client, echoed));
                OutputStream out = client.getOutputStream();
                out.write(payload, 0, 1024 * 1024);
                out.flush();

                balancer.process().destroy(); // SIGTERM, mid-transfer
                balancer.awaitLine("waiting up to 30s for 1 open connection to finish");
                assertThrows(ConnectException.class, () -> new Socket().connect(address, 2_000), "new clients refused");

                out.write(payload, 1024 * 1024, payload.length - 1024 * 1024);
                client.shutdownOutput();
                reader.join(Duration.ofSeconds(30));
                String sent = HexFormat.of().formatHex(Sha256.newDigest().digest(payload));
                assertEquals(sent, HexFormat.of().formatHex(echoed.digest()), "echoed intact");
                assertEquals(Set.of(sent), received, "received intact");
            }
            assertTrue(balancer.process().waitFor(30, TimeUnit.SECONDS), "stopped once the transfer ended");
            assertEquals(0, balancer.process().exitValue(), balancer.err());
            balancer.awaitLine("1 connection finished while draining, 0 cut");
        }
    }

    /** The access log line carries the right byte counts and how the connection ended. */
    @Test
    void accessLogCountsBytes() throws Exception {
        try (TestBackend backend = TestBackend.hello("B1");
             BalancerProcess balancer = BalancerProcess.start("--listen", "127.0.0.1:0", "--no-health-check",
                     "--backend", "127.0.0.1:" + backend.address().getPort())) {
            InetSocketAddress address = balancer.address();
            int clientPort;
            try (TestClient client = new TestClient(address)) {
                clientPort = client.socket().getLocalPort();
                assertEquals("Hello from B1: hi", client.exchange("hi")); // 3 bytes up, 18 down
            }
            balancer.awaitLine("INFO  access client=127.0.0.1:" + clientPort + " backend=127.0.0.1:"
                    + backend.address().getPort() + " up=3 down=18 ms=");
            balancer.awaitLine("end=\"client closed\"");
        }
    }

    private static void readAll(Socket socket, MessageDigest digest) {
        byte[] buffer = new byte[64 * 1024];
        try {
            for (int n; (n = socket.getInputStream().read(buffer)) >= 0; ) {
                digest.update(buffer, 0, n);
            }
        } catch (IOException e) {
            // the assertion on the digest reports it
        }
    }

    /** The jar proxies a client to its backend, and SIGTERM stops it with exit code 0. */
    /**
     * The diagnostic switches of docs/experiments.md run the same proxy: plain transferTo,
     * and platform threads (which the start-up log warns about).
     */
    @ParameterizedTest
    @ValueSource(strings = {"-Dloom.diagnostic.copy=transferTo", "-Dloom.diagnostic.threads=platform"})
    void diagnosticSwitchesStillProxy(String option) throws Exception {
        try (TestBackend backend = TestBackend.hello("B1");
             BalancerProcess balancer = BalancerProcess.startWithJvmOptions(List.of(option), "--listen", "127.0.0.1:0",
                     "--no-health-check", "--backend", "127.0.0.1:" + backend.address().getPort())) {
            for (int i = 0; i < 3; i++) {
                try (TestClient client = new TestClient(balancer.address())) {
                    assertEquals("Hello from B1: " + option, client.exchange(option));
                }
            }
            if (option.contains("platform")) {
                balancer.awaitLine("diagnostic: connections run on platform threads");
            } else {
                assertFalse(balancer.err().contains("diagnostic:"), balancer.err());
            }
        }
    }

    /**
     * A taken port is recognised whatever language the JDK's message is in: under a German
     * locale the error still names the cause's remedy, for --listen and --admin alike.
     */
    @ParameterizedTest
    @ValueSource(strings = {"--listen", "--admin"})
    void aTakenPortIsRecognisedUnderAGermanLocale(String option) throws Exception {
        String locale = Locales.require(Locales.GERMAN);
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             BalancerProcess balancer = BalancerProcess.startInLocale(locale, "--no-health-check",
                     "--backend", "127.0.0.1:9", "--listen", option.equals("--listen")
                             ? "127.0.0.1:" + taken.getLocalPort() : "127.0.0.1:0",
                     "--admin", option.equals("--admin") ? "127.0.0.1:" + taken.getLocalPort() : "127.0.0.1:0")) {
            assertTrue(balancer.process().waitFor(30, TimeUnit.SECONDS), "exits");
            assertEquals(1, balancer.process().exitValue(), balancer.err());
            assertTrue(balancer.err().contains("\u2014 stop the process using it or choose another port with " + option),
                    balancer.err());
        }
    }

    /** With every backend drained, the log says so (not "are the backends running?"), and says a 502 was sent. */
    @Test
    void allDrainedNamesTheCause() throws Exception {
        try (TestBackend backend = TestBackend.hello("B1");
             BalancerProcess balancer = BalancerProcess.start("--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                     "--no-health-check", "--when-unavailable", "http-502",
                     "--backend", "127.0.0.1:" + backend.address().getPort());
             HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> drained = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                            + balancer.adminAddress().getPort() + "/backends/127.0.0.1:" + backend.address().getPort()
                            + "/drain")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, drained.statusCode(), drained.body());
            try (TestClient client = new TestClient(balancer.address())) {
                assertTrue(client.exchange("GET / HTTP/1.0").startsWith("HTTP/1.1 502"));
            }
            balancer.awaitLine("all 1 backends are drained by the admin API");
            assertTrue(balancer.err().contains("answering the client 502 Bad Gateway and closing"), balancer.err());
            assertFalse(balancer.err().contains("are the backends running?"), balancer.err());
        }
    }

    /** During an outage the log says it once, not three lines per client (it counts the rest). */
    @Test
    void anOutageIsLoggedOnceNotPerClient() throws Exception {
        try (BalancerProcess balancer = BalancerProcess.start("--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                "--no-health-check", "--backend", "127.0.0.1:" + Ports.refusing().getPort() + ",127.0.0.1:"
                        + Ports.refusing().getPort())) {
            InetSocketAddress address = balancer.address();
            List<Thread> clients = new ArrayList<>();
            for (int i = 0; i < 50; i++) { // at once: all within one 5 s period of the log's throttle
                clients.add(Thread.ofVirtual().start(() -> {
                    try (TestClient client = new TestClient(address)) {
                        client.send("hi");
                        client.assertClosed();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }));
            }
            for (Thread client : clients) {
                if (!client.join(Duration.ofSeconds(10))) {
                    fail("a client was not closed within 10 s; the balancer logged:\n" + balancer.err());
                }
            }
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> balancer.admin("/metrics").contains("reason=\"no_backend_available\",service=\"default\"} 50.0"));
            String log = balancer.err();
            assertEquals(1, log.lines().filter(line -> line.contains("no backend reachable for client")).count(), log);
            assertEquals(1, log.lines().filter(line -> line.contains("failed for client")).count(), log);
        }
    }

    @Test
    void proxiesAndStopsOnSigterm() throws Exception {
        try (TestBackend backend = TestBackend.hello("B1");
             BalancerProcess balancer = BalancerProcess.start("--listen", "127.0.0.1:0",
                     "--backend", "127.0.0.1:" + backend.address().getPort())) {
            try (TestClient client = new TestClient(balancer.address())) {
                assertEquals("Hello from B1: through the jar", client.exchange("through the jar"));
            }

            balancer.process().destroy(); // SIGTERM on Linux and macOS
            assertTrue(balancer.process().waitFor(30, TimeUnit.SECONDS), "stopped after SIGTERM");
            assertEquals(0, balancer.process().exitValue(), balancer.err());
            assertTrue(balancer.find(Pattern.compile("SIGTERM received")).isPresent(), balancer.err());
            assertTrue(balancer.find(Pattern.compile("stopped listening")).isPresent(), balancer.err());
        }
    }

    /** --config runs several services in one process, each with its own backends; the admin endpoint shows them all. */
    @Test
    void oneFileRunsSeveralServices() throws Exception {
        try (TestBackend web = TestBackend.hello("WEB");
             TestBackend db = TestBackend.hello("DB")) {
            Path file = Files.createTempFile("loom", ".yaml");
            Files.writeString(file, """
                    services:
                      - name: web
                        listen: 127.0.0.1:0
                        backends: [127.0.0.1:%d]
                      - name: db
                        listen: 127.0.0.1:0
                        strategy: least-connections
                        backends:
                          - address: 127.0.0.1:%d
                    admin: 127.0.0.1:0
                    """.formatted(web.address().getPort(), db.address().getPort()));
            try (BalancerProcess balancer = BalancerProcess.start("--config", file.toString())) {
                Pattern listening = Pattern.compile("service (\\w+): listening on 127\\.0\\.0\\.1:(\\d+)");
                await().atMost(Duration.ofSeconds(30)).until(() -> listening.matcher(balancer.err()).results().count() == 2);
                for (var line : listening.matcher(balancer.err()).results().toList()) {
                    InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(),
                            Integer.parseInt(line.group(2)));
                    String expected = line.group(1).equals("web") ? "WEB" : "DB";
                    assertEquals(expected, TestClient.backendOf(address, null), line.group());
                }
                String status = balancer.admin("/status");
                assertTrue(status.contains("\"name\" : \"web\"") && status.contains("\"name\" : \"db\""), status);
                String metrics = balancer.admin("/metrics");
                assertTrue(metrics.contains("loom_connections_total{service=\"web\"} 1.0")
                        && metrics.contains("loom_connections_total{service=\"db\"} 1.0"), metrics);
                assertTrue(balancer.admin("/healthz").startsWith("ok: web: 1 of 1 backends UP; db: 1 of 1"));
                await().atMost(Duration.ofSeconds(10)).until(() -> balancer.err().contains("access service=web client=")
                        && balancer.err().contains("access service=db client="));

                balancer.process().destroy();
                assertTrue(balancer.process().waitFor(30, TimeUnit.SECONDS), "stopped after SIGTERM");
                assertEquals(0, balancer.process().exitValue(), balancer.err());
                assertEquals(2, balancer.err().lines().filter(l -> l.contains("stopped listening")).count(), balancer.err());
            } finally {
                Files.deleteIfExists(file);
            }
        }
    }

    /**
     * --config is reloaded when the file changes and on SIGHUP, under load: backends and
     * services are added and removed, a broken file is refused, and no connection is lost.
     */
    @Test
    void reloadsTheFileWithoutLosingAConnection() throws Exception {
        try (TestBackend b1 = TestBackend.hello("B1"); TestBackend b2 = TestBackend.hello("B2");
             TestBackend db = TestBackend.hello("DB")) {
            Path directory = Files.createTempDirectory("loom-reload");
            Path file = directory.resolve("loom.yaml");
            int webPort = Ports.free().getPort();
            int dbPort = Ports.free().getPort();
            String web = "  - name: web\n    listen: 127.0.0.1:" + webPort + "\n    health-interval: 200ms\n    backends:\n";
            String b1Line = "      - 127.0.0.1:" + b1.address().getPort() + "\n";
            String b2Line = "      - address: 127.0.0.1:" + b2.address().getPort() + "\n        weight: 2\n";
            String dbService = "  - name: db\n    listen: 127.0.0.1:" + dbPort + "\n    backends: [127.0.0.1:"
                    + db.address().getPort() + "]\n";
            write(file, "services:\n" + web + b1Line + "admin: 127.0.0.1:0\n");
            try (BalancerProcess balancer = BalancerProcess.start("--config", file.toString())) {
                InetSocketAddress webAddress = new InetSocketAddress(InetAddress.getLoopbackAddress(), webPort);
                balancer.awaitLine("service web: listening on");
                TestClient longLived = new TestClient(webAddress);
                assertEquals("B1", longLived.backendName("stays open across every reload"));

                // A client loop runs through every reload: each exchange must be answered.
                AtomicInteger ok = new AtomicInteger();
                AtomicInteger lost = new AtomicInteger();
                AtomicBoolean running = new AtomicBoolean(true);
                Thread loop = Thread.ofVirtual().start(() -> {
                    for (int i = 0; running.get() && i < 100_000; i++) {
                        try {
                            String name = TestClient.backendOf(webAddress, null);
                            (name.startsWith("B") ? ok : lost).incrementAndGet();
                        } catch (IOException | RuntimeException e) {
                            lost.incrementAndGet();
                        }
                    }
                });

                // 1. Add a backend and a service.
                write(file, "services:\n" + web + b1Line + b2Line + dbService + "admin: 127.0.0.1:0\n");
                balancer.awaitLine("service db: listening on");
                await().atMost(Duration.ofSeconds(10)).until(() ->
                        TestClient.backendOf(new InetSocketAddress(InetAddress.getLoopbackAddress(), dbPort), null).equals("DB"));
                await().atMost(Duration.ofSeconds(10)).until(() -> b2.accepted() > 0);

                // 2. A broken file is refused, once, and everything keeps running.
                write(file, "services:\n  - name: web\n    helth-interval: 2s\n");
                balancer.awaitLine("refused, the running configuration stays");
                assertEquals("DB", TestClient.backendOf(new InetSocketAddress(InetAddress.getLoopbackAddress(), dbPort), null));

                // 3. Remove B1 and the db service; SIGHUP is a reload too (and does not end the process).
                write(file, "services:\n" + web + b2Line + "admin: 127.0.0.1:0\n");
                new ProcessBuilder("kill", "-HUP", Long.toString(balancer.process().pid())).start().waitFor();
                balancer.awaitLine("[db] removed (draining), backends changed in [web]");
                await().atMost(Duration.ofSeconds(10)).until(() -> refuses(dbPort)); // db no longer listens
                int b1Before = b1.accepted();
                for (int i = 0; i < 5; i++) {
                    assertEquals("B2", TestClient.backendOf(webAddress, null), "B1 gets no new client");
                }
                assertTrue(balancer.process().isAlive(), "SIGHUP reloads, it does not stop");

                running.set(false);
                loop.join();
                assertEquals("Hello from B1: still here", longLived.exchange("still here"), "a connection to a removed "
                        + "backend finishes within --drain-timeout");
                longLived.close();
                assertTrue(ok.get() > 50, ok.get() + " exchanges during the reloads");
                assertEquals(0, lost.get(), "exchanges lost during the reloads (of " + (ok.get() + lost.get()) + ")");
                assertTrue(b1.accepted() >= b1Before);
            } finally {
                try (var files = Files.list(directory)) {
                    for (Path each : files.toList()) {
                        Files.deleteIfExists(each);
                    }
                }
                Files.deleteIfExists(directory);
            }
        }
    }

    /**
     * A Kubernetes ConfigMap volume: loom.yaml is a symlink through ..data, itself a symlink
     * to a timestamped directory, and an update swaps ..data. The reload sees it.
     */
    @Test
    void aConfigMapSymlinkSwapIsReloaded() throws Exception {
        try (TestBackend b1 = TestBackend.hello("B1"); TestBackend b2 = TestBackend.hello("B2")) {
            Path volume = Files.createTempDirectory("loom-configmap");
            int port = Ports.free().getPort();
            String service = "services:\n  - name: web\n    listen: 127.0.0.1:" + port + "\n    backends: [127.0.0.1:%d]\n";
            Path first = Files.createDirectory(volume.resolve("..2026_12_02_01"));
            Files.writeString(first.resolve("loom.yaml"), service.formatted(b1.address().getPort()));
            Files.createSymbolicLink(volume.resolve("..data"), first.getFileName());
            Files.createSymbolicLink(volume.resolve("loom.yaml"), Path.of("..data/loom.yaml"));
            try (BalancerProcess balancer = BalancerProcess.start("--config", volume.resolve("loom.yaml").toString())) {
                InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
                balancer.awaitLine("service web: listening on");
                assertEquals("B1", TestClient.backendOf(address, null));

                // What the kubelet does: a new directory, a new ..data link beside, renamed over the old one.
                Path second = Files.createDirectory(volume.resolve("..2026_12_02_02"));
                Files.writeString(second.resolve("loom.yaml"), service.formatted(b2.address().getPort()));
                Path next = Files.createSymbolicLink(volume.resolve("..data_tmp"), second.getFileName());
                Files.move(next, volume.resolve("..data"), StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
                await().atMost(Duration.ofSeconds(10)).until(() -> TestClient.backendOf(address, null).equals("B2"));
            } finally {
                for (Path each : List.of(volume.resolve("loom.yaml"), volume.resolve("..data"),
                        volume.resolve("..2026_12_02_01/loom.yaml"), volume.resolve("..2026_12_02_02/loom.yaml"),
                        volume.resolve("..2026_12_02_01"), volume.resolve("..2026_12_02_02"), volume)) {
                    Files.deleteIfExists(each);
                }
            }
        }
    }

    /** Replaces the file as editors and Kubernetes do: write beside it, then rename over it. */
    private static void write(Path file, String text) throws IOException {
        Path next = file.resolveSibling(file.getFileName() + ".next");
        Files.writeString(next, text, StandardCharsets.UTF_8);
        Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static boolean refuses(int port) throws IOException {
        try (Socket probe = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return false;
        } catch (ConnectException refused) {
            return true;
        }
    }
}
