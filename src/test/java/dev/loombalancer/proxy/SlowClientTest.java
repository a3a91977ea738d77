package dev.loombalancer.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.loombalancer.server.Balancer;
import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** One connection's pace never sets another's. */
class SlowClientTest {

    /** A client that connects and sends nothing does not delay another client's exchange. */
    @Test
    void silentClientDoesNotDelayOthers() throws Exception {
        try (TestBackend backend = TestBackend.hello("B1");
             Balancer balancer = RunningBalancer.start(backend.address());
             TestClient silent = new TestClient(balancer.localAddress());
             TestClient busy = new TestClient(balancer.localAddress())) {
            // Both go to the same backend through the same balancer; the silent one holds
            // its connection open for the whole exchange. The bound only tells "served"
            // from "stuck behind the silent client", which would never finish.
            assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
                for (int i = 0; i < 10; i++) {
                    assertEquals("Hello from B1: ping " + i, busy.exchange("ping " + i));
                }
            });
            assertEquals("Hello from B1: late", silent.exchange("late"), "the silent client is still served");
        }
    }
}
