package dev.loombalancer.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.loombalancer.pool.Backend;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** IPv6 on both sides, IPv4 and IPv6 backends in one pool, and which clients each wildcard takes. */
class Ipv6Test {

    /** A balancer listening on [::1] rotates over an IPv6 and an IPv4 backend. */
    @Test
    void ipv6ListenerAndMixedBackends() throws Exception {
        InetAddress v6 = InetAddress.getByName("::1");
        try (TestBackend b1 = TestBackend.hello("B1", v6);
             TestBackend b2 = TestBackend.hello("B2");
             Balancer balancer = Balancer.start(BalancerConfig.of(new InetSocketAddress(v6, 0),
                     List.of(new Backend(b1.address()), new Backend(b2.address()))))) {
            assertEquals(v6, balancer.localAddress().getAddress());
            try (TestClient first = new TestClient(balancer.localAddress());
                 TestClient second = new TestClient(balancer.localAddress())) {
                assertEquals("Hello from B1: over v6", first.exchange("over v6"));
                assertEquals("Hello from B2: to v4", second.exchange("to v4"));
            }
        }
    }

    /** --listen 0.0.0.0 takes IPv4 clients only: an IPv6 client is refused by the kernel. */
    @Test
    void theIpv4WildcardTakesIpv4Only() throws Exception {
        try (TestBackend b1 = TestBackend.hello("B1");
             Balancer balancer = Balancer.start(BalancerConfig.of(new InetSocketAddress("0.0.0.0", 0),
                     List.of(new Backend(b1.address()))))) {
            int port = balancer.localAddress().getPort();
            try (TestClient v4 = new TestClient(new InetSocketAddress("127.0.0.1", port))) {
                assertEquals("Hello from B1: v4", v4.exchange("v4"));
            }
            assertThrows(ConnectException.class, () -> new TestClient(new InetSocketAddress("::1", port)).close());
        }
    }

    /** --listen [::] takes IPv6 and IPv4 clients alike. */
    @Test
    void theIpv6WildcardTakesBoth() throws Exception {
        try (TestBackend b1 = TestBackend.hello("B1");
             Balancer balancer = Balancer.start(BalancerConfig.of(new InetSocketAddress("::", 0),
                     List.of(new Backend(b1.address()))))) {
            int port = balancer.localAddress().getPort();
            for (String client : List.of("::1", "127.0.0.1")) {
                try (TestClient c = new TestClient(new InetSocketAddress(client, port))) {
                    assertEquals("Hello from B1: from " + client, c.exchange("from " + client));
                }
            }
        }
    }
}
