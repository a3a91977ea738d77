package dev.loombalancer.server;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.admission.AdmissionRules;
import dev.loombalancer.admission.Cidr;
import dev.loombalancer.health.ProbeConfig;
import dev.loombalancer.net.ProxyHeader;
import dev.loombalancer.testing.Haproxy;
import dev.loombalancer.testing.Ports;
import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * --accept-proxy: an upstream balancer's PROXY header says who the client is, with real
 * HAProxy and curl as the upstreams; headers from anyone else are not honoured.
 */
class AcceptProxyTest {

    private static final Duration SHORT_PREREAD = Duration.ofMillis(300);

    @TempDir
    Path directory;

    /**
     * HAProxy in front (send-proxy-v2), the balancer, HAProxy behind (accept-proxy): the
     * backend HAProxy logs the address of the client that connected to the front one.
     */
    @Test
    void haproxyInFrontAndBehindSeeTheSameClient() throws Exception {
        try (TestBackend app = TestBackend.hello("APP")) {
            int front = Ports.free().getPort();
            int back = Ports.free().getPort();
            try (Balancer balancer = RunningBalancer.start(c -> c.preread(trusting("127.0.0.1/32"))
                    .sendProxy(ProxyHeader.Version.V1).health(ProbeConfig.OFF), new InetSocketAddress("127.0.0.1", back))) {
            String config = Haproxy.TCP_DEFAULTS + """
                    frontend front
                        bind 127.0.0.1:%d
                        log-format "front client=%%ci:%%cp"
                        default_backend to_balancer
                    backend to_balancer
                        server loom 127.0.0.1:%d send-proxy-v2
                    frontend back
                        bind 127.0.0.1:%d accept-proxy
                        log-format "back client=%%ci:%%cp"
                        default_backend app
                    backend app
                        server app 127.0.0.1:%d
                    """.formatted(front, balancer.localAddress().getPort(), back, app.address().getPort());
            try (Haproxy haproxy = Haproxy.start(directory, config, front);
                 TestClient client = new TestClient(new InetSocketAddress("127.0.0.1", front), InetAddress.getByName("127.0.0.2"))) {
                assertEquals("Hello from APP: across three hops", client.exchange("across three hops"));
                client.close();
                String seen = "client=127.0.0.2:" + client.socket().getLocalPort();
                await().atMost(Duration.ofSeconds(10)).until(() -> haproxy.logText().contains("back " + seen));
                assertTrue(haproxy.logText().contains("front " + seen), haproxy.logText());
                assertEquals(0, balancer.rejectedClients().get("bad_proxy_header"));
            }
            }
        }
    }

    /**
     * {@code curl --haproxy-protocol} sends a v1 header and then its HTTP request; HAProxy
     * behind answers with the client address it was given, which is curl's own.
     */
    @Test
    void curlsHeaderIsReadAndItsRequestPassesOn() throws Exception {
        int back = Ports.free().getPort();
        String config = """
                defaults
                    mode http
                    timeout connect 2s
                    timeout client 10s
                    timeout server 10s
                frontend back
                    bind 127.0.0.1:%d accept-proxy
                    http-request return status 200 content-type text/plain lf-string "seen %%[src]:%%[src_port]"
                """.formatted(back);
        try (Haproxy haproxy = Haproxy.start(directory, config, back);
             Balancer balancer = RunningBalancer.start(c -> c.preread(trusting("127.0.0.0/8"))
                     .sendProxy(ProxyHeader.Version.V2).health(ProbeConfig.OFF), new InetSocketAddress("127.0.0.1", back))) {
            Process curl;
            try {
                curl = new ProcessBuilder("curl", "-sS", "--max-time", "10", "--haproxy-protocol", "--interface", "127.0.0.3",
                        "-w", " curl %{local_ip}:%{local_port}",
                        "http://127.0.0.1:" + balancer.localAddress().getPort() + "/").redirectErrorStream(true).start();
            } catch (IOException e) {
                throw new AssertionError("this test needs curl as a real peer: apt-get install curl", e);
            }
            String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(curl.waitFor(15, TimeUnit.SECONDS));
            assertEquals(0, curl.exitValue(), out);
            String[] parts = out.split(" curl ");
            assertEquals("seen " + parts[1], parts[0], "HAProxy saw curl's own address and port");
            assertTrue(parts[1].startsWith("127.0.0.3:"), out);
        }
    }

    /** A header from a peer outside --accept-proxy is the client's data, passed on as it came. */
    @Test
    void anUntrustedPeersHeaderIsNotHonoured() throws Exception {
        try (TestBackend backend = TestBackend.hello("B1");
             Balancer balancer = RunningBalancer.start(c -> c.preread(trusting("127.0.0.2/32")).health(ProbeConfig.OFF),
                     backend.address());
             TestClient client = new TestClient(balancer.localAddress(), InetAddress.getByName("127.0.0.1"))) {
            String forged = "PROXY TCP4 203.0.113.9 127.0.0.1 4444 80";
            assertEquals("Hello from B1: " + forged, client.exchange(forged));
        }
    }

    /**
     * The header's client is admitted by --allow, not the upstream's address; the client's
     * first line, in the same packet as the header, reaches the backend intact.
     */
    @Test
    void theHeadersClientIsWhoAdmissionJudges() throws Exception {
        try (TestBackend backend = TestBackend.hello("B1");
             Balancer balancer = RunningBalancer.start(c -> c.preread(trusting("127.0.0.1/32"))
                     .admission(new AdmissionRules(List.of(Cidr.parse("203.0.113.0/24")), 0)).health(ProbeConfig.OFF),
                     backend.address())) {
            try (Socket allowed = connect(balancer)) {
                allowed.getOutputStream().write(("PROXY TCP4 203.0.113.5 127.0.0.1 5555 80\r\nfirst line\n")
                        .getBytes(StandardCharsets.US_ASCII));
                assertEquals("Hello from B1: first line", readLine(allowed.getInputStream()));
            }
            try (Socket refused = connect(balancer)) {
                // One write: the balancer resets the connection as soon as it has read the
                // header, so a second write could meet that reset.
                byte[] header = ProxyHeader.forClient(ProxyHeader.Version.V2,
                        new InetSocketAddress("198.51.100.7", 5555), new InetSocketAddress("127.0.0.1", 80));
                byte[] line = "second\n".getBytes(StandardCharsets.US_ASCII);
                byte[] both = Arrays.copyOf(header, header.length + line.length);
                System.arraycopy(line, 0, both, header.length, line.length);
                refused.getOutputStream().write(both);
                assertClosed(refused);
            }
            assertEquals(1, balancer.rejectedClients().get("not_allowed"));
            assertEquals(1, backend.accepted());
        }
    }

    /**
     * A trusted peer that sends no header within --preread-timeout, or something else than
     * a header, is closed and counted; no backend hears of it.
     */
    @Test
    void noValidHeaderInTimeIsClosedAndCounted() throws Exception {
        try (TestBackend backend = TestBackend.hello("B1");
             Balancer balancer = RunningBalancer.start(c -> c.preread(new PrereadRules(
                     List.of(Cidr.parse("127.0.0.1/32")), SHORT_PREREAD)).health(ProbeConfig.OFF), backend.address())) {
            try (Socket silent = connect(balancer)) {
                long started = System.nanoTime();
                assertClosed(silent);
                assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(5), "closed after the preread timeout");
            }
            try (Socket trickling = connect(balancer)) {
                trickling.getOutputStream().write("PROXY TCP4 ".getBytes(StandardCharsets.US_ASCII)); // and no more
                assertClosed(trickling);
            }
            try (Socket plain = connect(balancer)) {
                plain.getOutputStream().write("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertClosed(plain);
            }
            assertEquals(3, balancer.rejectedClients().get("bad_proxy_header"));
            assertEquals(0, backend.accepted());
        }
    }

    private static PrereadRules trusting(String cidr) {
        return new PrereadRules(List.of(Cidr.parse(cidr)), PrereadRules.DEFAULT_TIMEOUT);
    }

    private static Socket connect(Balancer balancer) throws IOException {
        Socket socket = new Socket(InetAddress.getByName("127.0.0.1"), balancer.localAddress().getPort());
        socket.setSoTimeout(TestClient.READ_TIMEOUT_MILLIS);
        return socket;
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c >= 0 && c != '\n'; c = in.read()) {
            line.append((char) c);
        }
        return line.toString();
    }

    /** The balancer closed or reset the connection: end of stream, or a reset, on reading. */
    private static void assertClosed(Socket socket) throws IOException {
        try {
            assertEquals(-1, socket.getInputStream().read());
        } catch (SocketException reset) {
            // a reset is a close too
        }
    }
}
