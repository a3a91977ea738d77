package dev.loombalancer.server;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Starting, surviving bad clients, and stopping. */
class BalancerLifecycleTest {

    /** Stopping cuts open connections, releases every counter and thread, and refuses new clients. */
    @Test
    void closeCutsOpenConnectionsAndLeavesNothingBehind() throws Exception {
        try (TestBackend backend = TestBackend.hello("B1")) {
            Balancer balancer = RunningBalancer.start(backend.address());
            InetSocketAddress address = balancer.localAddress();
            try (TestClient idle = new TestClient(address)) {
                assertEquals("Hello from B1: hi", idle.exchange("hi"));
                assertEquals(1, balancer.connections().total());

                balancer.close();

                assertNull(idle.readLine(), "the open connection is closed");
                assertEquals(0, balancer.connections().total(), "active connections");
                assertEquals(0, balancer.liveThreads(), "balancer threads");
                assertThrows(IOException.class, () -> new Socket(address.getAddress(), address.getPort()).close(),
                        "no longer listening");
                await().atMost(Duration.ofSeconds(5)).until(() -> backend.open() == 0);
            }
        }
    }

    /** Clients that reset right after connecting do not stop the balancer serving others. */
    @Test
    void acceptLoopSurvivesClientsThatResetAtOnce() throws Exception {
        try (TestBackend backend = TestBackend.hello("B1");
             Balancer balancer = RunningBalancer.start(backend.address())) {
            for (int i = 0; i < 50; i++) {
                Socket rude = new Socket(balancer.localAddress().getAddress(), balancer.localAddress().getPort());
                rude.setSoLinger(true, 0); // close with RST instead of FIN
                rude.close();
            }
            try (TestClient client = new TestClient(balancer.localAddress())) {
                assertEquals("Hello from B1: still there?", client.exchange("still there?"));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> balancer.liveThreads() == 0);
            assertEquals(0, balancer.connections().total());
        }
    }

    /** A port that is taken is reported as a BindException, and nothing is left open. */
    @Test
    void portInUseFailsToStart() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            BalancerConfig config = BalancerConfig.of((InetSocketAddress) taken.getLocalSocketAddress(),
                    List.of(new dev.loombalancer.pool.Backend(new InetSocketAddress(InetAddress.getLoopbackAddress(), 9))));
            assertThrows(BindException.class, () -> Balancer.start(config));
        }
    }
}
