package dev.loombalancer.server;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.loombalancer.admission.AdmissionRules;
import dev.loombalancer.admission.Cidr;
import dev.loombalancer.admission.ClientAdmission.Refusal;
import dev.loombalancer.health.ProbeConfig;
import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.io.IOException;
import dev.loombalancer.pool.Backend;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** --allow and --max-connections-per-client, with clients bound to distinct loopback addresses. */
class AdmissionTest {

    private static final Duration PROMPTLY = Duration.ofSeconds(5);

    /** Only clients from --allow networks are proxied; the others are reset before reaching a backend. */
    @Test
    void onlyAllowedClientsAreProxied() throws Exception {
        InetAddress inside = InetAddress.getByName("127.0.0.2");
        InetAddress outside = InetAddress.getByName("127.0.0.3");
        try (TestBackend b1 = TestBackend.hello("B1");
             Balancer balancer = RunningBalancer.start(c -> c.health(ProbeConfig.OFF)
                     .admission(new AdmissionRules(List.of(Cidr.parse("127.0.0.2/32"), Cidr.parse("10.0.0.0/8")), 0)),
                     b1.address())) {
            assertEquals("B1", TestClient.backendOf(balancer.localAddress(), inside));
            assertRefused(balancer, outside);
            assertRefused(balancer, outside);
            await().atMost(PROMPTLY).until(() -> balancer.admission().refused(Refusal.NOT_ALLOWED) == 2);
            assertEquals(1, b1.accepted(), "the refused clients never reached a backend");
            assertEquals("B1", TestClient.backendOf(balancer.localAddress(), inside));
        }
    }

    /** One address cannot hold more than --max-connections-per-client; other addresses are unaffected. */
    @Test
    void oneClientCannotTakeMoreThanItsShare() throws Exception {
        InetAddress greedy = InetAddress.getByName("127.0.0.4");
        InetAddress other = InetAddress.getByName("127.0.0.5");
        try (TestBackend b1 = TestBackend.hello("B1");
             Balancer balancer = RunningBalancer.start(c -> c.health(ProbeConfig.OFF)
                     .admission(new AdmissionRules(List.of(), 2)), b1.address());
             TestClient first = new TestClient(balancer.localAddress(), greedy);
             TestClient second = new TestClient(balancer.localAddress(), greedy)) {
            assertEquals("B1", first.backendName("1"));
            assertEquals("B1", second.backendName("2"));
            assertRefused(balancer, greedy);
            assertEquals("B1", TestClient.backendOf(balancer.localAddress(), other), "others are not affected");
            assertEquals(1, balancer.admission().refused(Refusal.PER_CLIENT_LIMIT));

            first.close(); // frees one of its two places
            await().atMost(PROMPTLY).until(() -> balancer.connections().total() == 1);
            assertEquals("B1", TestClient.backendOf(balancer.localAddress(), greedy));
        }
    }

    /** IPv6 clients match IPv6 networks only: ::1 is let in by ::1/128, not by 127.0.0.0/8. */
    @Test
    void ipv6ClientsMatchIpv6Networks() throws Exception {
        InetAddress v6 = InetAddress.getByName("::1");
        try (TestBackend b1 = TestBackend.hello("B1")) {
            for (String network : List.of("::1/128", "127.0.0.0/8")) {
                BalancerConfig config = BalancerConfig.builder(new InetSocketAddress(v6, 0),
                                List.of(new Backend(b1.address())))
                        .health(ProbeConfig.OFF)
                        .admission(new AdmissionRules(List.of(Cidr.parse(network)), 0)).build();
                try (Balancer balancer = Balancer.start(config)) {
                    if (network.startsWith("::")) {
                        assertEquals("B1", TestClient.backendOf(balancer.localAddress(), v6));
                    } else {
                        assertRefused(balancer, v6);
                        assertEquals(1, balancer.admission().refused(Refusal.NOT_ALLOWED));
                    }
                }
            }
        }
    }

    /** Closed at accept: the client reads end of stream or a reset, never a reply. */
    private static void assertRefused(Balancer balancer, InetAddress from) throws IOException {
        try (TestClient client = new TestClient(balancer.localAddress(), from)) {
            assertNull(client.exchange("let me in"));
        } catch (SocketException reset) {
            // refused with a reset, which may arrive before the connect call even returns
        }
    }
}
