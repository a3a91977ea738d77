package dev.loombalancer.server;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.cli.Main;
import dev.loombalancer.health.ProbeConfig;
import dev.loombalancer.net.HostPort;
import dev.loombalancer.testing.Dnsmasq;
import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Backends given by DNS name are looked up again while running, against a real DNS server (dnsmasq). */
class DnsBackendsTest {

    private static final Duration INTERVAL = Duration.ofMillis(200);

    @TempDir
    Path directory;

    private static Balancer start(BackendNames names) throws Exception {
        NameResolver.Resolved resolved = NameResolver.atStart(names);
        return RunningBalancer.start(c -> c.names(names).weighting(resolved.weighting()).health(ProbeConfig.OFF),
                resolved.backends().stream().map(b -> b.address()).toArray(InetSocketAddress[]::new));
    }

    /** Routing follows a name's changed answer, and a connection to the old address survives it. */
    @Test
    void routingFollowsAChangedAnswer() throws Exception {
        try (TestBackend b1 = TestBackend.hello("B1", InetAddress.getByName("127.0.0.1"))) {
            int port = b1.address().getPort();
            try (TestBackend b2 = TestBackend.hello("B2", new InetSocketAddress("127.0.0.2", port))) {
                Path hosts = directory.resolve("hosts");
                Files.writeString(hosts, "127.0.0.1 app.lb.test\n", StandardCharsets.UTF_8);
                try (Dnsmasq dns = Dnsmasq.start(hosts, List.of(), "app.lb.test");
                     Balancer balancer = start(new BackendNames(List.of(),
                             List.of(new BackendNames.Host("app.lb.test", port, port)), List.of(), INTERVAL, dns.address()));
                     TestClient open = new TestClient(balancer.localAddress())) {
                    assertEquals("B1", open.backendName("before"));

                    Files.writeString(hosts, "127.0.0.2 app.lb.test\n", StandardCharsets.UTF_8);
                    dns.reloadHosts();
                    await().atMost(Duration.ofSeconds(10))
                            .until(() -> TestClient.backendOf(balancer.localAddress(), null).equals("B2"));
                    assertEquals("Hello from B1: still open", open.exchange("still open"), "the old one drains");
                }
            }
        }
    }

    /** SRV answers give ports and weights, higher priorities are backups, and a failed lookup keeps the last answer. */
    @Test
    void srvGivesWeightsAndBackupsAndSurvivesAnOutage() throws Exception {
        try (TestBackend b1 = TestBackend.hello("B1"); TestBackend b2 = TestBackend.hello("B2");
             TestBackend b3 = TestBackend.hello("B3")) {
            Path hosts = directory.resolve("hosts");
            Files.writeString(hosts, "127.0.0.1 echo.lb.test\n", StandardCharsets.UTF_8);
            List<String> srv = List.of(
                    "_echo._tcp.lb.test,echo.lb.test," + b1.address().getPort() + ",0,3",
                    "_echo._tcp.lb.test,echo.lb.test," + b2.address().getPort() + ",0,1",
                    "_echo._tcp.lb.test,echo.lb.test," + b3.address().getPort() + ",1,1");
            Dnsmasq dns = Dnsmasq.start(hosts, srv, "echo.lb.test");
            try (Balancer balancer = start(new BackendNames(List.of(), List.of(), List.of("_echo._tcp.lb.test"),
                    INTERVAL, dns.address()))) {
                assertEquals(Map.of("B1", 6, "B2", 2), served(balancer, 8), "weights 3 and 1; B3 a backup");

                dns.close(); // the DNS server is gone: lookups fail
                await().during(INTERVAL.multipliedBy(4)).atMost(Duration.ofSeconds(5))
                        .until(() -> balancer.pool().size() == 3); // the last answer is kept, lookup after lookup
                assertEquals(Map.of("B1", 6, "B2", 2), served(balancer, 8));
            } finally {
                dns.close();
            }
        }
    }

    private static Map<String, Integer> served(Balancer balancer, int clients) throws Exception {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < clients; i++) {
            counts.merge(TestClient.backendOf(balancer.localAddress(), null), 1, Integer::sum);
        }
        return counts;
    }

    /** A name that does not answer at start is a one-line usage error, naming the DNS server. */
    @Test
    void aNameThatDoesNotAnswerAtStartIsAUsageError() throws Exception {
        Path hosts = directory.resolve("hosts");
        Files.writeString(hosts, "127.0.0.1 app.lb.test\n", StandardCharsets.UTF_8);
        try (Dnsmasq dns = Dnsmasq.start(hosts, List.of(), "app.lb.test")) {
            StringWriter err = new StringWriter();
            int code = Main.run(new String[] {"--backend", "nope.lb.test:9001", "--dns-server",
                    HostPort.format(dns.address())}, new PrintWriter(new StringWriter()), new PrintWriter(err, true));
            assertEquals(2, code);
            assertEquals(1, err.toString().lines().count(), err.toString());
            assertTrue(err.toString().contains("cannot look up nope.lb.test:9001 through DNS server 127.0.0.1:"),
                    err.toString());
        }
    }
}
