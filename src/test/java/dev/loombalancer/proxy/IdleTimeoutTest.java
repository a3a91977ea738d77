package dev.loombalancer.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.health.ProbeConfig;
import dev.loombalancer.server.Balancer;
import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import dev.loombalancer.pool.Backend;
import dev.loombalancer.server.BalancerConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** --idle-timeout closes connections that moved no byte for that long, and only those. */
class IdleTimeoutTest {

    private static final Duration IDLE = Duration.ofMillis(300);

    /** An idle connection is closed on both sides; one that keeps talking is left alone. */
    @Test
    void closesIdleConnectionsOnly() throws Exception {
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
        AtomicInteger ticks = new AtomicInteger();
        try (TestBackend backend = TestBackend.hello("B1");
             Balancer balancer = RunningBalancer.start(c -> c.idleTimeout(IDLE).health(ProbeConfig.OFF),
                     backend.address());
             TestClient idle = new TestClient(balancer.localAddress());
             TestClient chatty = new TestClient(balancer.localAddress())) {
            assertEquals("B1", idle.backendName("then silence"));
            assertEquals("B1", chatty.backendName("first"));
            // The chatty client sends a line every 100 ms, a third of the idle timeout.
            ticker.scheduleAtFixedRate(() -> {
                try {
                    chatty.send("tick");
                    ticks.incrementAndGet();
                } catch (IOException e) {
                    // the assertions below report a closed connection
                }
            }, 100, 100, TimeUnit.MILLISECONDS);

            long started = System.nanoTime();
            idle.assertClosed();
            Duration after = Duration.ofNanos(System.nanoTime() - started);
            assertTrue(after.compareTo(IDLE.minusMillis(50)) >= 0, "closed after only " + after);
            await().until(() -> backend.open() == 1); // its backend side is closed too

            // A second of ticking is more than three idle timeouts.
            await().until(() -> ticks.get() >= 10);
            ticker.shutdownNow();
            assertTrue(ticker.awaitTermination(5, TimeUnit.SECONDS));
            chatty.send("last");
            String reply;
            do {
                reply = chatty.readLine(); // the replies to the ticks, then to "last"
            } while (reply != null && !reply.endsWith(": last"));
            assertEquals("Hello from B1: last", reply, "the chatty connection is still open");
        } finally {
            ticker.shutdownNow();
        }
    }

    /**
     * A pipe stuck writing to a client that stopped reading moves no byte either, so it is
     * cut too, though neither direction is waiting in a read.
     */
    @Test
    void cutsAConnectionStuckWritingToAClientThatStoppedReading() throws Exception {
        TestBackend.Behaviour flood = socket -> {
            byte[] chunk = new byte[64 * 1024];
            while (true) {
                socket.getOutputStream().write(chunk); // until the balancer cuts us
            }
        };
        try (TestBackend backend = TestBackend.serving(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), flood);
             Balancer balancer = RunningBalancer.start(c -> c.idleTimeout(IDLE).health(ProbeConfig.OFF),
                     backend.address());
             TestClient stopsReading = new TestClient(balancer.localAddress())) {
            await().until(() -> backend.accepted() == 1);
            // Both directions are blocked now: one reading the silent client, one writing to
            // it into full socket buffers. Neither moves a byte, so the sweep cuts them.
            await().atMost(Duration.ofSeconds(10)).until(() -> backend.open() == 0 && balancer.liveThreads() == 0);
        }
    }

    /** With the defaults, idle connections are closed after 10 minutes, as nginx's proxy_timeout. */
    @Test
    void theDefaultIsTenMinutes() {
        assertEquals(Duration.ofMinutes(10), BalancerConfig.builder(new InetSocketAddress(0),
                List.of(new Backend(new InetSocketAddress(InetAddress.getLoopbackAddress(), 1)))).build().idleTimeout());
    }
}
