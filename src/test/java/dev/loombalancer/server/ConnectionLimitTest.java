package dev.loombalancer.server;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.loombalancer.health.ProbeConfig;
import dev.loombalancer.net.OpenFileLimit;
import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * --max-connections: beyond it clients wait in the backlog; without it, the open-file limit
 * decides, as HAProxy derives maxconn from ulimit -n.
 */
class ConnectionLimitTest {

    /**
     * Without --max-connections: two files per connection, after the reserve, the probes and
     * the waiting room (one file per waiting client, at most --backlog or a quarter).
     */
    @Test
    void derivedFromTheOpenFileLimit() {
        assertEquals("at most 9454 connections (open-file limit 20000)",
                ConnectionLimit.forFiles(0, OptionalLong.of(20_000), 3, 1024).describe());
        assertEquals("at most 60 connections (open-file limit 256)",
                ConnectionLimit.forFiles(0, OptionalLong.of(256), 32, 1024).describe());
        assertEquals("at most 13 connections (open-file limit 100)",
                ConnectionLimit.forFiles(0, OptionalLong.of(100), 0, 1024).describe());
    }

    /** A limit the operator gave is kept, whatever the open-file limit (a warning says what to raise). */
    @Test
    void aGivenLimitIsKeptEvenAboveWhatFilesHold() {
        assertEquals("at most 500 connections", ConnectionLimit.forFiles(500, OptionalLong.of(256), 0, 1024).describe());
        assertEquals("at most 500 connections", ConnectionLimit.forFiles(500, OptionalLong.of(100_000), 0, 1024).describe());
    }

    /** Where the open-file limit cannot be read, there is no limit. */
    @Test
    void unknownFileLimitMeansNoLimit() {
        assertEquals("no connection limit", ConnectionLimit.forFiles(0, OptionalLong.empty(), 0, 1024).describe());
    }

    /** On Linux the limit is read from /proc/self/limits; the build machines run Linux. */
    @Test
    void readsThisProcessesLimitOnLinux() {
        assumeTrue(System.getProperty("os.name").equals("Linux"), "/proc/self/limits is Linux's");
        assertTrue(OpenFileLimit.current().orElseThrow() >= 256, "a real limit: " + OpenFileLimit.current());
    }

    /** After an accept error the loop waits, but a connection that ends cuts the wait short. */
    @Test
    void aConnectionEndingEndsTheAcceptPause() throws Exception {
        ConnectionLimit limit = new ConnectionLimit(0, 1);
        AtomicBoolean resumed = new AtomicBoolean();
        Thread acceptLoop = Thread.ofVirtual().start(() -> resumed.set(limit.pauseUntilRelease(600_000)));
        await().atMost(Duration.ofSeconds(5)).until(() -> acceptLoop.getState() == Thread.State.WAITING
                || acceptLoop.getState() == Thread.State.TIMED_WAITING);
        limit.release(); // a connection ends
        assertTrue(acceptLoop.join(Duration.ofSeconds(5)), "resumed long before the 10-minute back-off");
        assertTrue(resumed.get());
    }

    /**
     * Stopping ends the accept thread's back-off and its wait for a place in a full waiting
     * room without interrupting it (an interrupt in accept() can lose a client just taken).
     */
    @Test
    void stopEndsTheAcceptThreadsWaitsWithoutAnInterrupt() throws Exception {
        ConnectionLimit limit = new ConnectionLimit(1, 1);
        assertTrue(limit.tryAcquire());
        assertTrue(limit.enterWaitingRoom(), "the one place");
        AtomicBoolean entered = new AtomicBoolean(true);
        AtomicBoolean interrupted = new AtomicBoolean();
        Thread acceptLoop = Thread.ofVirtual().start(() -> {
            entered.set(limit.enterWaitingRoom()); // the room is full: waits
            interrupted.set(Thread.currentThread().isInterrupted());
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> acceptLoop.getState() == Thread.State.WAITING);
        limit.stop();
        assertTrue(acceptLoop.join(Duration.ofSeconds(5)), "the wait for a place ended");
        assertFalse(entered.get(), "no place taken while stopping");
        assertFalse(interrupted.get());
        assertFalse(limit.enterWaitingRoom(), "nor later");
        assertFalse(limit.pauseUntilRelease(600_000), "a back-off after stop() does not wait");
    }

    /** Beyond --max-connections a client from the same address waits, unserved, until a connection ends. */
    @Test
    void maxConnectionsMakesNewClientsWait() throws Exception {
        try (TestBackend backend = TestBackend.hello("B1");
             Balancer balancer = RunningBalancer.start(c -> c.maxConnections(2).health(ProbeConfig.OFF), backend.address());
             TestClient first = new TestClient(balancer.localAddress());
             TestClient second = new TestClient(balancer.localAddress());
             TestClient third = new TestClient(balancer.localAddress())) {
            assertEquals("B1", first.backendName("one"));
            assertEquals("B1", second.backendName("two"));
            third.send("three"); // accepted, but waiting for a slot
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> backend.accepted() == 2);
            first.close();
            assertEquals("Hello from B1: three", third.readLine(), "served once a connection ended");
            assertEquals(3, backend.accepted());
        }
    }
}
