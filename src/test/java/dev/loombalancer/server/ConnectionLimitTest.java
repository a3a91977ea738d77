package dev.loombalancer.server;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.net.OpenFileLimit;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Without --max-connections, the open-file limit decides, as HAProxy derives maxconn from ulimit -n. */
class ConnectionLimitTest {

    @Test
    void derivedFromTheOpenFileLimit() {
        assertEquals("at most 9966 connections (open-file limit 20000)",
                ConnectionLimit.forFiles(0, OptionalLong.of(20_000), 3).describe());
        assertEquals("at most 80 connections (open-file limit 256)",
                ConnectionLimit.forFiles(0, OptionalLong.of(256), 32).describe());
        assertEquals("at most 18 connections (open-file limit 100)",
                ConnectionLimit.forFiles(0, OptionalLong.of(100), 0).describe());
    }

    @Test
    void aGivenLimitIsKeptEvenAboveWhatFilesHold() {
        assertEquals("at most 500 connections", ConnectionLimit.forFiles(500, OptionalLong.of(256), 0).describe());
        assertEquals("at most 500 connections", ConnectionLimit.forFiles(500, OptionalLong.of(100_000), 0).describe());
    }

    @Test
    void unknownFileLimitMeansNoLimit() {
        assertEquals("no connection limit", ConnectionLimit.forFiles(0, OptionalLong.empty(), 0).describe());
    }

    /** On Linux the limit is read from /proc/self/limits; the build machines run Linux. */
    @Test
    void readsThisProcessesLimitOnLinux() {
        if (System.getProperty("os.name").equals("Linux")) {
            assertTrue(OpenFileLimit.current().orElseThrow() >= 256, "a real limit: " + OpenFileLimit.current());
        }
    }

    /** After an accept error the loop waits, but a connection that ends cuts the wait short. */
    @Test
    void aConnectionEndingEndsTheAcceptPause() throws Exception {
        ConnectionLimit limit = new ConnectionLimit(0);
        AtomicBoolean resumed = new AtomicBoolean();
        Thread acceptLoop = Thread.ofVirtual().start(() -> resumed.set(limit.pauseUntilRelease(600_000)));
        await().atMost(Duration.ofSeconds(5)).until(() -> acceptLoop.getState() == Thread.State.WAITING
                || acceptLoop.getState() == Thread.State.TIMED_WAITING);
        limit.release(); // a connection ends
        assertTrue(acceptLoop.join(Duration.ofSeconds(5)), "resumed long before the 10-minute back-off");
        assertTrue(resumed.get());
    }
}
