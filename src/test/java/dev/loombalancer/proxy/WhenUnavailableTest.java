package dev.loombalancer.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.server.Balancer;
import dev.loombalancer.testing.Ports;
import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.TestClient;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
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
}
