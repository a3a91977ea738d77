package dev.loombalancer.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.server.Balancer;
import dev.loombalancer.testing.Ports;
import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.TestClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** What a client gets when every backend is down. */
class WhenUnavailableTest {

    /** http-502: an HTTP client that already sent its request reads a complete 502 response. */
    @Test
    void http502AnswersBadGateway() throws Exception {
        try (Balancer balancer = RunningBalancer.start(c -> c.whenUnavailable(WhenUnavailable.HTTP_502),
                Ports.refusing(), Ports.refusing());
             Socket client = new Socket()) {
            client.connect(balancer.localAddress(), TestClient.READ_TIMEOUT_MILLIS);
            client.setSoTimeout(TestClient.READ_TIMEOUT_MILLIS);
            client.getOutputStream().write("GET / HTTP/1.1\r\nHost: example\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String response = new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(response.startsWith("HTTP/1.1 502 Bad Gateway\r\n"), response);
            String body = response.substring(response.indexOf("\r\n\r\n") + 4);
            assertTrue(response.contains("Content-Length: " + body.length() + "\r\n"), response);
        }
    }

    /** close (the default): the client just sees the end of the stream, no bytes. */
    @Test
    void closeSendsNothing() throws Exception {
        try (Balancer balancer = RunningBalancer.start(Ports.refusing());
             Socket client = new Socket()) {
            client.connect(balancer.localAddress(), TestClient.READ_TIMEOUT_MILLIS);
            client.setSoTimeout(TestClient.READ_TIMEOUT_MILLIS);
            InputStream in = client.getInputStream();
            assertEquals(-1, in.read());
        }
    }

    /** http-502: a client that trickles a byte every 200 ms is closed after the drain's deadline, not when it stops. */
    @Test
    void aTricklingClientIsClosedAtTheDeadline() throws Exception {
        try (Balancer balancer = RunningBalancer.start(c -> c.whenUnavailable(WhenUnavailable.HTTP_502),
                Ports.refusing());
             Socket client = new Socket()) {
            client.connect(balancer.localAddress(), TestClient.READ_TIMEOUT_MILLIS);
            client.setSoTimeout(TestClient.READ_TIMEOUT_MILLIS);
            long started = System.nanoTime();
            // Our half of the connection still takes writes after the balancer's FIN; only
            // once the balancer has closed its socket does a write fail (a reset comes back).
            AtomicLong closedAfterMillis = new AtomicLong(-1);
            Thread trickle = Thread.ofVirtual().start(() -> {
                try {
                    for (int i = 0; i < 40; i++) { // 8 s of trickling at most
                        client.getOutputStream().write('x');
                        Thread.sleep(200);
                    }
                } catch (IOException closed) {
                    closedAfterMillis.set((System.nanoTime() - started) / 1_000_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            String response = new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(response.startsWith("HTTP/1.1 502 Bad Gateway\r\n"), response);
            assertTrue(trickle.join(Duration.ofSeconds(15)));
            long millis = closedAfterMillis.get();
            assertTrue(millis >= 0 && millis < WhenUnavailable.LINGER_MILLIS + 2_000,
                    "closed while the client still trickled, within the deadline: " + millis + " ms");
        }
    }
}
