package dev.loombalancer.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.health.ProbeConfig;
import dev.loombalancer.server.Balancer;
import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.io.IOException;
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
}
