package dev.loombalancer.server;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.loombalancer.health.ProbeConfig;
import dev.loombalancer.health.HealthProber;
import dev.loombalancer.pool.Backend;
import dev.loombalancer.testing.Ports;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The seed's scale: 10,000 backends, almost all of them dead, health checks on. */
class TenThousandBackendsTest {

    /** Traffic reaches only the live backends, every probe round finishes, nothing leaks. */
    @Test
    void onlyLiveBackendsGetTraffic() throws Exception {
        // 9,997 refusing backends: one closed port on as many loopback addresses (127.1.x.y).
        int closedPort = Ports.refusing().getPort();
        List<Backend> backends = new ArrayList<>();
        for (int i = 0; backends.size() < 9_997; i++) {
            byte[] ip = {127, 1, (byte) (i >>> 8), (byte) i};
            backends.add(new Backend(new InetSocketAddress(InetAddress.getByAddress(ip), closedPort)));
        }
        try (TestBackend b1 = TestBackend.hello("B1");
             TestBackend b2 = TestBackend.hello("B2");
             TestBackend b3 = TestBackend.hello("B3")) {
            // The live ones are spread through the list, not bunched at its start.
            backends.add(1_000, new Backend(b1.address()));
            backends.add(5_000, new Backend(b2.address()));
            backends.add(backends.size(), new Backend(b3.address()));
            BalancerConfig config = BalancerConfig.builder(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), backends)
                    .health(new ProbeConfig(Duration.ofMillis(500), Duration.ofMillis(500), 2, 3)).build();
            Balancer balancer = Balancer.start(config);
            try (balancer) {
                assertEquals(10_000, balancer.pool().size());
                await().atMost(Duration.ofSeconds(20)).until(() -> balancer.pool().up().size() == 3);

                Map<String, Integer> served = new HashMap<>();
                for (int i = 0; i < 30; i++) {
                    served.merge(TestClient.backendOf(balancer.localAddress(), null), 1, Integer::sum);
                }
                assertEquals(Map.of("B1", 10, "B2", 10, "B3", 10), served);

                HealthProber prober = balancer.prober().orElseThrow();
                // Once warmed up, each backend's probe ends before its next round is due. (The
                // first rounds, run by a cold JIT that also logs 9,997 DOWN lines, may overlap.)
                long rounds = prober.rounds();
                long skipped = prober.skipped();
                await().atMost(Duration.ofSeconds(20)).until(() -> prober.rounds() >= rounds + 3);
                assertEquals(skipped, prober.skipped(), "probes skipped because the previous one still ran");
                assertEquals(3, balancer.pool().up().size());
            }
            assertEquals(0, balancer.liveThreads(), "connection, pipe and probe threads after close");
            assertEquals(0, balancer.connections().total());
        }
    }
}
