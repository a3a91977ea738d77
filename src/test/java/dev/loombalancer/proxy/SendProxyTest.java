package dev.loombalancer.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.loombalancer.net.ProxyHeader;
import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.BackendState;
import dev.loombalancer.server.Balancer;
import dev.loombalancer.testing.FastProbes;
import dev.loombalancer.testing.Ports;
import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
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
            Path log = directory.resolve("haproxy.log");
            Process haproxy = startHaproxy(haproxyPort, app.address().getPort(), log);
            try (Balancer balancer = RunningBalancer.start(c -> c.sendProxy(version).health(FastProbes.CONFIG),
                    new InetSocketAddress("127.0.0.1", haproxyPort))) {
                int clientPort;
                try (TestClient client = new TestClient(balancer.localAddress())) {
                    clientPort = client.socket().getLocalPort();
                    assertEquals("Hello from APP: through haproxy", client.exchange("through haproxy"));
                }
                String seen = "client=127.0.0.1:" + clientPort;
                await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(log).contains(seen));
                Backend haproxyBackend = new Backend(new InetSocketAddress("127.0.0.1", haproxyPort));
                await().atMost(Duration.ofSeconds(5)).until(() ->
                        balancer.pool().healthOf(haproxyBackend).streak().successes() >= 2);
                assertEquals(BackendState.UP, balancer.pool().healthOf(haproxyBackend).state());
            } finally {
                haproxy.destroy();
                haproxy.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private Process startHaproxy(int port, int appPort, Path log) throws IOException {
        Path config = directory.resolve("haproxy.cfg");
        Files.writeString(config, """
                global
                    log stdout format raw local0
                defaults
                    mode tcp
                    log global
                    timeout connect 2s
                    timeout client 10s
                    timeout server 10s
                frontend fe
                    bind 127.0.0.1:%d accept-proxy
                    log-format "client=%%ci:%%cp"
                    default_backend be
                backend be
                    server app 127.0.0.1:%d
                """.formatted(port, appPort), StandardCharsets.UTF_8);
        Process haproxy;
        try {
            haproxy = new ProcessBuilder("haproxy", "-db", "-f", config.toString()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new AssertionError("this test needs HAProxy as a real peer: apt-get install haproxy", e);
        }
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
            try (Socket probe = new Socket("127.0.0.1", port)) {
                return true;
            }
        });
        return haproxy;
    }
}
