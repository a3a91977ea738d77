package dev.loombalancer.health;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.BackendState;
import dev.loombalancer.server.Balancer;
import dev.loombalancer.testing.Redis;
import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Health checks that ask the application: HTTP status (Patroni's pattern) and send-expect (redis PING). */
class ProtocolChecksTest {

    private static ProbeConfig fast(HealthCheck check) {
        return new ProbeConfig(Duration.ofMillis(100), Duration.ofMillis(400), 1, 1, check);
    }

    private static HttpServer statusServer(InetSocketAddress address, AtomicInteger status) throws IOException {
        HttpServer server = HttpServer.create(address, 16);
        server.createContext("/health", exchange -> {
            byte[] body = "checked\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status.get(), body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return server;
    }

    /**
     * --health-check http on another port (--health-port): a backend whose status endpoint
     * answers 503 is DOWN, with the status as its reason, though its traffic port accepts.
     */
    @Test
    void anHttpCheckOnTheHealthPortFollowsTheStatus() throws Exception {
        AtomicInteger healthy = new AtomicInteger(200);
        AtomicInteger sick = new AtomicInteger(503);
        HttpServer first = statusServer(new InetSocketAddress("127.0.0.1", 0), healthy);
        int healthPort = first.getAddress().getPort();
        HttpServer second = statusServer(new InetSocketAddress("127.0.0.2", healthPort), sick);
        try (TestBackend b1 = TestBackend.hello("B1", InetAddress.getByName("127.0.0.1"));
             TestBackend b2 = TestBackend.hello("B2", InetAddress.getByName("127.0.0.2"));
             Balancer balancer = RunningBalancer.start(c -> c.health(fast(new HealthCheck(HealthCheck.Kind.HTTP,
                     "/health", 200, 399, new byte[0], new byte[0], healthPort))), b1.address(), b2.address())) {
            Backend down = new Backend(b2.address());
            await().atMost(Duration.ofSeconds(5)).until(() -> balancer.pool().healthOf(down).state() == BackendState.DOWN);
            assertEquals("HTTP 503, expected 200-399", balancer.pool().healthOf(down).streak().lastResult());
            assertTrue(balancer.pool().healthOf(new Backend(b1.address())).streak().lastResult().startsWith("HTTP 200"));
            for (int i = 0; i < 4; i++) {
                assertEquals("B1", TestClient.backendOf(balancer.localAddress(), null));
            }
        } finally {
            first.stop(0);
            second.stop(0);
        }
    }

    /**
     * --health-check send-expect against a real redis-server: PING must get +PONG. A
     * backend answering something else is DOWN; redis frozen with SIGSTOP (its kernel
     * still accepts) goes DOWN for want of a reply, and comes back with SIGCONT.
     */
    @Test
    void sendExpectAgainstRedisCatchesAFrozenServer() throws Exception {
        try (Redis redis = Redis.start();
             TestBackend notRedis = TestBackend.hello("B2");
             Balancer balancer = RunningBalancer.start(c -> c.health(fast(new HealthCheck(HealthCheck.Kind.SEND_EXPECT,
                     "/", 200, 399, Escapes.decode("PING\\r\\n"), Escapes.decode("+PONG"), 0))),
                     redis.address(), notRedis.address())) {
            Backend redisBackend = new Backend(redis.address());
            Backend other = new Backend(notRedis.address());
            await().atMost(Duration.ofSeconds(5)).until(() -> balancer.pool().healthOf(other).state() == BackendState.DOWN);
            assertTrue(balancer.pool().healthOf(other).streak().lastResult().contains("expected '+PONG'"),
                    balancer.pool().healthOf(other).streak().lastResult());
            await().atMost(Duration.ofSeconds(5)).until(() ->
                    balancer.pool().healthOf(redisBackend).streak().lastResult().startsWith("replied '+PONG'"));

            redis.freeze();
            await().atMost(Duration.ofSeconds(5)).until(() -> balancer.pool().healthOf(redisBackend).state() == BackendState.DOWN);
            assertEquals("no reply within the health timeout", balancer.pool().healthOf(redisBackend).streak().lastResult());
            redis.thaw();
            await().atMost(Duration.ofSeconds(5)).until(() -> balancer.pool().healthOf(redisBackend).state() == BackendState.UP);
        }
    }

    /** --on-marked-down shutdown-sessions: a backend that goes DOWN has its open connections closed. */
    @Test
    void aBackendMarkedDownHasItsSessionsShutDown() throws Exception {
        AtomicInteger status = new AtomicInteger(200);
        HttpServer health = statusServer(new InetSocketAddress("127.0.0.1", 0), status);
        try (TestBackend b1 = TestBackend.hello("B1");
             Balancer balancer = RunningBalancer.start(c -> c.shutdownSessionsOnDown(true)
                     .health(fast(new HealthCheck(HealthCheck.Kind.HTTP, "/health", 200, 299, new byte[0], new byte[0],
                             health.getAddress().getPort()))), b1.address());
             TestClient open = new TestClient(balancer.localAddress())) {
            assertEquals("B1", open.backendName("before the failover"));
            status.set(503); // the database's primary steps down
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> balancer.pool().healthOf(new Backend(b1.address())).state() == BackendState.DOWN);
            open.assertClosed();
        } finally {
            health.stop(0);
        }
    }
}
