package dev.loombalancer.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.health.ProbeConfig;
import dev.loombalancer.server.Balancer;
import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Both sockets of a proxied connection have TCP keepalive on, so the kernel finds out a
 * peer that vanished without a FIN or a reset. Read back from the kernel with iproute2's
 * {@code ss}, which shows a keepalive timer only on sockets that have SO_KEEPALIVE set.
 */
class KeepAliveTest {

    /** The balancer's client-side and backend-side sockets both carry a keepalive timer. */
    @Test
    void bothSocketsHaveKeepAliveOn() throws Exception {
        try (TestBackend backend = TestBackend.hello("B1");
             Balancer balancer = RunningBalancer.start(c -> c.health(ProbeConfig.OFF), backend.address());
             TestClient client = new TestClient(balancer.localAddress())) {
            assertEquals("B1", client.backendName("hello"));
            String clientSide = socketLine(":" + balancer.localAddress().getPort(),
                    ":" + client.socket().getLocalPort());
            // The balancer's socket to the backend: any local port, the backend's as peer.
            String backendSide = socketLine("", ":" + backend.address().getPort());
            assertTrue(clientSide.contains("keepalive"), "the socket to the client: " + clientSide);
            assertTrue(backendSide.contains("keepalive"), "the socket to the backend: " + backendSide);
        }
    }

    /** --no-tcp-keepalive leaves both sockets without the timer (a system call saved on each). */
    @Test
    void offMeansNeitherSocket() throws Exception {
        try (TestBackend backend = TestBackend.hello("B1");
             Balancer balancer = RunningBalancer.start(c -> c.tcpKeepAlive(false).health(ProbeConfig.OFF), backend.address());
             TestClient client = new TestClient(balancer.localAddress())) {
            assertEquals("B1", client.backendName("hello"));
            String clientSide = socketLine(":" + balancer.localAddress().getPort(), ":" + client.socket().getLocalPort());
            String backendSide = socketLine("", ":" + backend.address().getPort());
            assertTrue(!clientSide.contains("keepalive"), clientSide);
            assertTrue(!backendSide.contains("keepalive"), backendSide);
        }
    }

    /** The established socket whose local address ends with {@code local} and peer with {@code peer}. */
    private static String socketLine(String local, String peer) throws IOException, InterruptedException {
        List<String> lines = ss();
        for (String line : lines) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length >= 4 && fields[2].endsWith(local) && fields[3].endsWith(peer)) {
                return line;
            }
        }
        throw new AssertionError("no socket " + local + " -> " + peer + " in:\n" + String.join("\n", lines));
    }

    private static List<String> ss() throws IOException, InterruptedException {
        Process ss;
        try {
            ss = new ProcessBuilder("ss", "-tnoH", "state", "established").redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("this test reads sockets with ss: install iproute2 (apt-get install iproute2)", e);
        }
        String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(ss.waitFor(10, TimeUnit.SECONDS), "ss did not finish");
        assertEquals(0, ss.exitValue(), out);
        return out.lines().toList();
    }
}
