package dev.loombalancer.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The seed's acceptance test: rotation follows the order in which clients connect. */
class RoundRobinRotationTest {

    /** Four clients connected in order, all open at once, are answered by backends 1, 2, 3, 1. */
    @Test
    void fourConcurrentClientsRotateAcrossThreeBackends() throws Exception {
        try (TestBackend b1 = TestBackend.hello("B1");
             TestBackend b2 = TestBackend.hello("B2");
             TestBackend b3 = TestBackend.hello("B3");
             Balancer balancer = RunningBalancer.start(b1.address(), b2.address(), b3.address())) {
            List<TestClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    clients.add(new TestClient(balancer.localAddress()));
                }
                List<String> replies = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    replies.add(clients.get(i).exchange("request " + (i + 1)));
                }
                assertEquals(List.of(
                        "Hello from B1: request 1",
                        "Hello from B2: request 2",
                        "Hello from B3: request 3",
                        "Hello from B1: request 4"), replies);
            } finally {
                for (TestClient client : clients) {
                    client.close();
                }
            }
        }
    }
}
