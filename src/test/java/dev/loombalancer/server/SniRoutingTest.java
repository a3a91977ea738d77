package dev.loombalancer.server;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.health.ProbeConfig;
import dev.loombalancer.pool.Backend;
import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import dev.loombalancer.testing.TlsBackend;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SNI routing with real TLS on loopback: openssl s_server backends with self-signed
 * certificates, Java's SSLSocket and openssl s_client as clients. A handshake that
 * verifies against one pool's certificate proves the connection reached that pool.
 */
class SniRoutingTest {

    @TempDir
    Path directory;

    /** Each name lands on its pool (exact, wildcard, default), and the handshake verifies against that pool's certificate. */
    @Test
    void eachNameLandsOnItsPool() throws Exception {
        try (TlsBackend a = TlsBackend.start(directory, "a.example");
             TlsBackend b = TlsBackend.start(directory, "x.b.example");
             TlsBackend fallback = TlsBackend.start(directory, "default.example");
             Balancer balancer = RunningBalancer.start(c -> c.health(ProbeConfig.OFF).routes(List.of(
                     route("a", List.of("a.example"), a.address()),
                     route("b", List.of("*.b.example"), b.address()))), fallback.address())) {
            assertEquals("HTTP/1.0 200 ok", get(balancer, "a.example", a.trustingOnlyThis()));
            assertEquals("HTTP/1.0 200 ok", get(balancer, "x.b.example", b.trustingOnlyThis()));
            assertEquals("HTTP/1.0 200 ok", get(balancer, "default.example", fallback.trustingOnlyThis()), "an unknown name");
            assertEquals("HTTP/1.0 200 ok", get(balancer, null, fallback.trustingOnlyThis()), "no SNI at all");
            // The wrong pool's certificate does not verify: the name really chose the pool.
            assertThrows(SSLHandshakeException.class, () -> get(balancer, "a.example", b.trustingOnlyThis()));
            assertEquals(2, balancer.routes().get(0).pool().statsOf(new Backend(a.address())).connections(),
                    "both a.example clients reached a.example's pool");
            // openssl s_client, verifying against the route's certificate.
            Process client = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + balancer.localAddress().getPort(),
                    "-servername", "x.b.example", "-CAfile", b.certificate().toString(), "-verify_return_error", "-brief")
                    .redirectErrorStream(true).start();
            client.getOutputStream().close(); // no input: it completes the handshake and leaves
            String out = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(client.waitFor(15, TimeUnit.SECONDS));
            assertTrue(out.contains("Verification: OK"), out);
            assertEquals(0, client.exitValue(), out);
        }
    }

    /**
     * A ClientHello split across records and across packets still routes, and the backend
     * receives the bytes exactly as sent.
     */
    @Test
    void aSplitClientHelloRoutesAndPassesUnchanged() throws Exception {
        Set<String> digests = ConcurrentHashMap.newKeySet();
        try (TestBackend echo = TestBackend.hashingEcho(digests);
             TestBackend fallback = TestBackend.hello("DEFAULT");
             Balancer balancer = RunningBalancer.start(c -> c.health(ProbeConfig.OFF).routes(List.of(
                     route("a", List.of("a.example"), echo.address()))), fallback.address());
             Socket socket = new Socket("127.0.0.1", balancer.localAddress().getPort())) {
            socket.setSoTimeout(10_000);
            byte[] hello = splitIntoRecords(clientHello("a.example"), 64);
            int third = hello.length / 3;
            for (int at = 0; at < hello.length; at += third) { // in packets a third long, apart
                socket.getOutputStream().write(hello, at, Math.min(third, hello.length - at));
                socket.getOutputStream().flush();
                Thread.sleep(50); // a client's packets, apart in time: this is the scenario, not a wait for a result
            }
            socket.shutdownOutput();
            assertArrayEquals(hello, socket.getInputStream().readAllBytes(), "echoed back unchanged, by a.example's pool");
            assertEquals(1, echo.accepted());
        }
    }

    /** Plain text (not TLS) goes to the default pool with its first bytes intact. */
    @Test
    void notTlsGoesToTheDefaultPool() throws Exception {
        try (TestBackend routed = TestBackend.hello("ROUTED");
             TestBackend fallback = TestBackend.hello("DEFAULT");
             Balancer balancer = RunningBalancer.start(c -> c.health(ProbeConfig.OFF).routes(List.of(
                     route("a", List.of("a.example"), routed.address()))), fallback.address());
             TestClient client = new TestClient(balancer.localAddress())) {
            assertEquals("Hello from DEFAULT: not tls", client.exchange("not tls"));
        }
    }

    /** A client that trickles part of a ClientHello is closed after the preread timeout, and counted. */
    @Test
    void aTricklingClientHelloIsClosedAndCounted() throws Exception {
        try (TestBackend routed = TestBackend.hello("ROUTED");
             TestBackend fallback = TestBackend.hello("DEFAULT");
             Balancer balancer = RunningBalancer.start(c -> c.health(ProbeConfig.OFF)
                     .preread(new PrereadRules(List.of(), Duration.ofMillis(300)))
                     .routes(List.of(route("a", List.of("a.example"), routed.address()))), fallback.address());
             Socket socket = new Socket("127.0.0.1", balancer.localAddress().getPort())) {
            socket.setSoTimeout(10_000);
            byte[] hello = clientHello("a.example");
            long started = System.nanoTime();
            try {
                for (int i = 0; i < 20; i++) { // a byte every 100 ms: never the whole ClientHello in time
                    socket.getOutputStream().write(hello[i]);
                    Thread.sleep(100); // the trickle itself, not a wait for a result
                }
                assertEquals(-1, socket.getInputStream().read());
            } catch (SocketException closed) {
                // reset while we trickled: closed, as it must be
            }
            assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(5));
            await().atMost(Duration.ofSeconds(5)).until(() -> balancer.rejectedClients().get("no_client_hello") == 1);
            assertEquals(0, routed.accepted() + fallback.accepted(), "no backend heard of it");
        }
    }

    private static SniRoute route(String name, List<String> serverNames, InetSocketAddress backend) {
        return new SniRoute(serverNames, BalancerConfig.builder(new InetSocketAddress("127.0.0.1", 0),
                List.of(new Backend(backend))).health(ProbeConfig.OFF).build().asRoute(name));
    }

    /** A GET over TLS through the balancer, asking for {@code serverName} (null: none); the status line. */
    private static String get(Balancer balancer, String serverName, SSLContext trust) throws IOException {
        try (SSLSocket socket = (SSLSocket) trust.getSocketFactory().createSocket("127.0.0.1", balancer.localAddress().getPort())) {
            socket.setSoTimeout(10_000);
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(serverName == null ? List.of() : List.of(new SNIHostName(serverName)));
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            socket.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            for (int c; (c = socket.getInputStream().read()) >= 0 && c != '\r' && c != '\n'; ) {
                line.write(c);
            }
            return line.toString(StandardCharsets.US_ASCII);
        }
    }

    /** The first TLS record a JDK client sends for {@code serverName}. */
    private static byte[] clientHello(String serverName) throws Exception {
        SSLEngine engine = SSLContext.getDefault().createSSLEngine();
        engine.setUseClientMode(true);
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setServerNames(List.of(new SNIHostName(serverName)));
        engine.setSSLParameters(parameters);
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), out);
        return Arrays.copyOf(out.array(), out.position());
    }

    /** The same handshake message, re-framed into records of at most {@code size} bytes. */
    private static byte[] splitIntoRecords(byte[] record, int size) {
        byte[] message = Arrays.copyOfRange(record, 5, record.length);
        ByteArrayOutputStream records = new ByteArrayOutputStream();
        for (int at = 0; at < message.length; at += size) {
            int length = Math.min(size, message.length - at);
            records.write(new byte[] {22, 3, 1, 0, (byte) length}, 0, 5);
            records.write(message, at, length);
        }
        return records.toByteArray();
    }
}
