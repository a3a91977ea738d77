package dev.loombalancer.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.loombalancer.net.ProxyHeader;
import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.BackendState;
import dev.loombalancer.server.Balancer;
import dev.loombalancer.testing.FastProbes;
import dev.loombalancer.testing.Haproxy;
import dev.loombalancer.testing.Ports;
import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * --send-proxy: a real HAProxy behind the balancer, with {@code accept-proxy}, logs the
 * client's own address and port, and our health checks' LOCAL/UNKNOWN headers keep it UP.
 */
class SendProxyTest {

    @TempDir
    Path directory;

    /** HAProxy sees the client's address, not the balancer's, through either version of the header. */
    @ParameterizedTest
    @EnumSource(ProxyHeader.Version.class)
    void haproxySeesTheClientsAddress(ProxyHeader.Version version) throws Exception {
        try (TestBackend app = TestBackend.hello("APP")) {
            int haproxyPort = Ports.free().getPort();
            try (Haproxy haproxy = Haproxy.start(directory, Haproxy.acceptingProxy(haproxyPort, app.address().getPort()), haproxyPort);
                 Balancer balancer = RunningBalancer.start(c -> c.sendProxy(version).health(FastProbes.CONFIG),
                         new InetSocketAddress("127.0.0.1", haproxyPort))) {
                int clientPort;
                try (TestClient client = new TestClient(balancer.localAddress())) {
                    clientPort = client.socket().getLocalPort();
                    assertEquals("Hello from APP: through haproxy", client.exchange("through haproxy"));
                }
                String seen = "client=127.0.0.1:" + clientPort;
                await().atMost(Duration.ofSeconds(10)).until(() -> haproxy.logText().contains(seen));
                Backend haproxyBackend = new Backend(new InetSocketAddress("127.0.0.1", haproxyPort));
                await().atMost(Duration.ofSeconds(5)).until(() ->
                        balancer.pool().healthOf(haproxyBackend).streak().successes() >= 2);
                assertEquals(BackendState.UP, balancer.pool().healthOf(haproxyBackend).state());
            }
        }
    }
}
