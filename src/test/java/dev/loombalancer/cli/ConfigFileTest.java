package dev.loombalancer.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.policy.Strategy;
import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.Weighting;
import dev.loombalancer.testing.Haproxy;
import dev.loombalancer.testing.Ports;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import dev.loombalancer.server.Balancer;
import dev.loombalancer.server.BalancerConfig;
import dev.loombalancer.server.SniRoute;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * --config FILE: services from YAML, each key a command-line option without its dashes;
 * every mistake is one line naming the file, the line and the key.
 */
class ConfigFileTest {

    @TempDir
    Path directory;

    private Path write(String yaml) throws IOException {
        Path file = directory.resolve("loom.yaml");
        Files.writeString(file, yaml, StandardCharsets.UTF_8);
        return file;
    }

    /** Two services with their own listen, strategy, backends and options; the rest are the defaults. */
    @Test
    void readsSeveralServices() throws Exception {
        ConfigFile.Contents contents = ConfigFile.read(write("""
                services:
                  - name: web
                    listen: 127.0.0.1:8000
                    strategy: least-connections
                    idle-timeout: 5m
                    allow: [10.0.0.0/8, fd00::/8]
                    backends:
                      - 127.0.0.1:9001
                      - address: 127.0.0.1:9002
                  - name: db
                    listen: "[::1]:5432"
                    no-health-check: true
                    backends: ["[::1]:5433-5434"]
                admin: 9900
                """));
        List<ConfigFile.Service> services = contents.services();
        assertEquals(List.of("web", "db"), services.stream().map(ConfigFile.Service::name).toList());
        BalancerConfig web = services.get(0).config();
        assertEquals("web", web.name());
        assertEquals(new InetSocketAddress("127.0.0.1", 8000), web.listen());
        assertEquals(Strategy.LEAST_CONNECTIONS, web.strategy());
        assertEquals(Duration.ofMinutes(5), web.idleTimeout());
        assertEquals(2, web.admission().allow().size());
        assertEquals(List.of(new Backend(new InetSocketAddress("127.0.0.1", 9001)),
                new Backend(new InetSocketAddress("127.0.0.1", 9002))), web.backends());
        BalancerConfig db = services.get(1).config();
        assertEquals(Strategy.ROUND_ROBIN, db.strategy(), "the command line's default");
        assertTrue(!db.health().enabled(), "no-health-check: true");
        assertEquals(2, db.backends().size(), "a port range");
        assertEquals(Duration.ofMinutes(10), db.idleTimeout(), "the command line's default");
        assertEquals(List.of("--admin=9900"), contents.processArgs());
    }

    /** Each mistake names the file, its line and the key, with a suggestion for a misspelt key. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "a misspelt key       |   - name: web\\n    listen: 8000\\n    helth-interval: 2s\\n    backends: [127.0.0.1:9001] | 3 | unknown key 'helth-interval'; did you mean 'health-interval'?",
        "backend, singular    |   - name: web\\n    listen: 8000\\n    backend: 127.0.0.1:9001 | 3 | did you mean 'backends'?",
        "a bad value          |   - name: web\\n    listen: 8000\\n    backends: [127.0.0.1:9001]\\n    idle-timeout: soon | 4 | service 'web': Invalid value for option '--idle-timeout'",
        "a bad backend        |   - name: web\\n    listen: 8000\\n    backends:\\n      - 127.0.0.1:99999 | 4 | port 99999 is outside 1-65535",
        "a key given twice    |   - name: web\\n    listen: 8000\\n    listen: 8001\\n    backends: [127.0.0.1:9001] | 3 | 'listen' is given twice (first on line 3)",
        "no name              |   - listen: 8000\\n    backends: [127.0.0.1:9001] | 1 | a service needs a 'name'",
        "no backends          |   - name: web\\n    listen: 8000 | 1 | service 'web' needs 'backends'",
        "a flag not boolean   |   - name: web\\n    listen: 8000\\n    backends: [127.0.0.1:9001]\\n    no-health-check: maybe | 4 | 'no-health-check' is true or false, not 'maybe'",
        "two names alike      |   - name: web\\n    listen: 8000\\n    backends: [127.0.0.1:9001]\\n  - name: web\\n    listen: 8001\\n    backends: [127.0.0.1:9001] | 4 | a second service named 'web' (the first is on line 2)",
        "two listens alike    |   - name: a\\n    listen: 8000\\n    backends: [127.0.0.1:9001]\\n  - name: b\\n    listen: 8000\\n    backends: [127.0.0.1:9001] | 4 | service 'b' listens on 0.0.0.0:8000, as service 'a' does",
        "a weight too large   |   - name: web\\n    listen: 8000\\n    backends:\\n      - address: 127.0.0.1:9001\\n        weight: 300 | 5 | 'weight' is a whole number from 1 to 256, not '300'",
        "backup not boolean   |   - name: web\\n    listen: 8000\\n    backends:\\n      - address: 127.0.0.1:9001\\n        backup: yes please | 5 | 'backup' is true or false",
        "an unknown backend key |   - name: web\\n    listen: 8000\\n    backends:\\n      - adress: 127.0.0.1:9001 | 4 | unknown key 'adress' in a backend",
    })
    void mistakesAreOneLineWithFileAndLine(String what, String services, int line, String says) throws Exception {
        Path file = write("services:\n  " + services.replace("\\n", "\n") + "\n"); // CSV trims the first indent
        ConfigFile.Invalid e = assertThrows(ConfigFile.Invalid.class, () -> ConfigFile.read(file));
        assertTrue(e.getMessage().startsWith(file + ":" + (line + 1) + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(says), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    /** The top level holds services and the admin options; a service's key there says where it belongs. */
    @Test
    void theTopLevelHoldsServicesAndAdmin() throws Exception {
        Path file = write("listen: 8000\nservices: []\n");
        ConfigFile.Invalid e = assertThrows(ConfigFile.Invalid.class, () -> ConfigFile.read(file));
        assertEquals(file + ":1: 'listen' belongs to a service: put it under 'services:'", e.getMessage());
    }

    /**
     * routes: each route has its server names and pool, takes its service's settings unless
     * it sets its own, and may not set what belongs to the listener.
     */
    @Test
    void routesTakeTheirServicesSettingsUnlessTheySetTheirOwn() throws Exception {
        ConfigFile.Contents contents = ConfigFile.read(write("""
                services:
                  - name: tls
                    listen: 127.0.0.1:8443
                    strategy: least-connections
                    health-interval: 5s
                    routes:
                      - sni: [a.example, "*.B.example"]
                        backends: [127.0.0.1:9011, {address: 127.0.0.1:9012, weight: 3}]
                        strategy: round-robin
                      - name: c
                        sni: c.example
                        backends: [127.0.0.1:9013]
                    backends: [127.0.0.1:9021]
                """));
        BalancerConfig tls = contents.services().get(0).config();
        assertEquals(2, tls.routes().size());
        SniRoute first = tls.routes().get(0);
        assertEquals(List.of("a.example", "*.b.example"), first.serverNames());
        assertEquals("tls-route1", first.pool().name());
        assertEquals(Strategy.ROUND_ROBIN, first.pool().strategy(), "its own");
        assertEquals(Duration.ofSeconds(5), first.pool().health().interval(), "its service's");
        assertEquals(3, first.pool().weighting().get(new Backend(new InetSocketAddress("127.0.0.1", 9012))).weight());
        assertEquals("c", tls.routes().get(1).pool().name());
        assertEquals(Strategy.LEAST_CONNECTIONS, tls.routes().get(1).pool().strategy(), "its service's");

        ConfigFile.Contents lines = ConfigFile.read(write("""
                services:
                  - name: tls
                    listen: 127.0.0.1:8443
                    route: ["a.example=127.0.0.1:9011", "c.example=127.0.0.1:9013"]
                    routes:
                      - sni: b.example
                        backends: [127.0.0.1:9012]
                    backends: [127.0.0.1:9021]
                """));
        List<SniRoute> both = lines.services().get(0).config().routes();
        assertEquals(List.of("tls-route1", "tls-route2", "tls-route3"), both.stream().map(r -> r.pool().name()).toList(),
                "the command line's form, 'route:', first; then 'routes:'");
        assertEquals(List.of("b.example"), both.get(2).serverNames());

        Path listening = write("services:\n  - name: tls\n    listen: 8443\n    backends: [127.0.0.1:9001]\n"
                + "    routes:\n      - sni: a.example\n        backends: [127.0.0.1:9002]\n        accept-proxy: 10.0.0.0/8\n");
        ConfigFile.Invalid e = assertThrows(ConfigFile.Invalid.class, () -> ConfigFile.read(listening));
        assertEquals(listening + ":8: 'accept-proxy' belongs to the service, not to a route", e.getMessage());
        Path twice = write("services:\n  - name: tls\n    listen: 8443\n    backends: [127.0.0.1:9001]\n"
                + "    routes:\n      - {sni: a.example, backends: [127.0.0.1:9002]}\n      - {sni: A.example, backends: [127.0.0.1:9003]}\n");
        e = assertThrows(ConfigFile.Invalid.class, () -> ConfigFile.read(twice));
        assertTrue(e.getMessage().contains("server name 'a.example' is in two routes"), e.getMessage());
    }

    /**
     * A backend's own send-proxy (HAProxy's per-server send-proxy): a real HAProxy with
     * accept-proxy gets the header, the plain backend beside it gets the client's bytes only.
     */
    @Test
    void aBackendMayHaveItsOwnSendProxy() throws Exception {
        try (TestBackend plain = TestBackend.hello("PLAIN"); TestBackend app = TestBackend.hello("APP")) {
            int haproxyPort = Ports.free().getPort();
            String haproxyConfig = Haproxy.acceptingProxy(haproxyPort, app.address().getPort());
            ConfigFile.Contents contents = ConfigFile.read(write("""
                    services:
                      - name: web
                        listen: 127.0.0.1:0
                        no-health-check: true
                        backends:
                          - {address: 127.0.0.1:%d, send-proxy: v2}
                          - 127.0.0.1:%d
                    """.formatted(haproxyPort, plain.address().getPort())));
            try (Haproxy haproxy = Haproxy.start(directory, haproxyConfig, haproxyPort);
                 Balancer balancer = Balancer.start(contents.services().get(0).config())) {
                int port;
                try (TestClient first = new TestClient(balancer.localAddress())) {
                    port = first.socket().getLocalPort();
                    assertEquals("Hello from APP: via haproxy", first.exchange("via haproxy"));
                }
                try (TestClient second = new TestClient(balancer.localAddress())) {
                    assertEquals("Hello from PLAIN: no header here", second.exchange("no header here"));
                }
                await().atMost(Duration.ofSeconds(10)).until(() -> haproxy.logText().contains("client=127.0.0.1:" + port));
            }
        }
        Path bad = write("services:\n  - name: web\n    listen: 8000\n    backends:\n      - {address: 127.0.0.1:9001, send-proxy: v3}\n");
        ConfigFile.Invalid e = assertThrows(ConfigFile.Invalid.class, () -> ConfigFile.read(bad));
        assertEquals(bad + ":5: a backend's 'send-proxy' is v1, v2 or none, not 'v3'", e.getMessage());
    }

    /** Broken YAML is reported with its line, in one line. */
    @Test
    void brokenYamlNamesTheLine() throws Exception {
        Path file = write("services:\n  - name: web\n    listen: [8000\n");
        ConfigFile.Invalid e = assertThrows(ConfigFile.Invalid.class, () -> ConfigFile.read(file));
        assertTrue(e.getMessage().startsWith(file + ":4: not valid YAML"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    /** On the command line: a bad file is a usage error (exit 2, one line), and so is a service option beside --config. */
    @Test
    void theCommandLineReportsItAsAUsageError() throws Exception {
        Path file = write("services:\n  - name: web\n    listen: 8000\n    helth-interval: 2s\n    backends: [127.0.0.1:9001]\n");
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {"--config", file.toString()}, new PrintWriter(new StringWriter()),
                new PrintWriter(err, true));
        assertEquals(2, code);
        assertEquals(1, err.toString().lines().count(), err.toString());
        assertTrue(err.toString().startsWith("loom-balancer: " + file + ":4: unknown key 'helth-interval'"), err.toString());

        err = new StringWriter();
        code = Main.run(new String[] {"--config", file.toString(), "--listen", "9000"},
                new PrintWriter(new StringWriter()), new PrintWriter(err, true));
        assertEquals(2, code);
        assertTrue(err.toString().contains("--listen cannot be combined with --config: set 'listen' in the file's services"),
                err.toString());
    }

    /** A backend map may carry a weight and a backup flag; a range's backends share them. */
    @Test
    void backendsCarryWeightsAndBackups() throws Exception {
        ConfigFile.Contents contents = ConfigFile.read(write("""
                services:
                  - name: web
                    listen: 127.0.0.1:8000
                    strategy: round-robin
                    backends:
                      - 127.0.0.1:9001
                      - address: 127.0.0.1:9002
                        weight: 3
                      - address: 127.0.0.1:9003-9004
                        backup: true
                """));
        BalancerConfig web = contents.services().get(0).config();
        assertEquals(4, web.backends().size());
        Backend second = new Backend(new InetSocketAddress("127.0.0.1", 9002));
        assertEquals(new Weighting(3, false), web.weighting().get(second));
        assertEquals(new Weighting(1, true), web.weighting().get(new Backend(new InetSocketAddress("127.0.0.1", 9004))));
        assertEquals(null, web.weighting().get(new Backend(new InetSocketAddress("127.0.0.1", 9001))), "the default");
    }

    /** The example the README points to is a valid file. */
    @Test
    void theShippedExampleIsValid() throws Exception {
        ConfigFile.Contents contents = ConfigFile.read(Path.of("examples/loom.yaml"));
        assertEquals(List.of("web", "postgres"), contents.services().stream().map(ConfigFile.Service::name).toList());
        assertEquals(null, contents.services().get(1).config().idleTimeout(), "idle-timeout: off");
        assertEquals(2, contents.services().get(0).config().weighting().size(), "a weight and a backup");
    }
}
