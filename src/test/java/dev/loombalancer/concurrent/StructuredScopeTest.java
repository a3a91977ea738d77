package dev.loombalancer.concurrent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The scope's contract: join waits for all, a failure shuts down the rest, close leaves nothing running. */
class StructuredScopeTest {

    private final CountingThreadFactory threads = new CountingThreadFactory("test-");

    /** Subtasks that succeed have all finished when join returns, with no failure. */
    @Test
    void joinWaitsForEverySubtask() throws Exception {
        AtomicInteger shutdowns = new AtomicInteger();
        AtomicInteger sum = new AtomicInteger();
        try (StructuredScope scope = new StructuredScope(threads, shutdowns::incrementAndGet)) {
            CountDownLatch go = new CountDownLatch(1);
            scope.fork(() -> {
                go.await();
                sum.addAndGet(1);
            });
            scope.fork(() -> {
                go.await();
                sum.addAndGet(2);
            });
            go.countDown();
            scope.join();
            assertEquals(3, sum.get(), "both subtasks had finished");
            assertNull(scope.failure());
            assertEquals(0, shutdowns.get(), "no shutdown before close when nothing failed");
        }
        assertEquals(1, shutdowns.get(), "close shuts the scope down once");
        assertEquals(0, threads.alive());
    }

    /** The first failure runs the shutdown action and interrupts a sibling blocked forever. */
    @Test
    void firstFailureShutsDownTheSiblings() throws Exception {
        IOException boom = new IOException("boom");
        CountDownLatch shutdownRan = new CountDownLatch(1);
        AtomicReference<Throwable> siblingSaw = new AtomicReference<>();
        try (StructuredScope scope = new StructuredScope(threads, shutdownRan::countDown)) {
            scope.fork(() -> {
                try {
                    new CountDownLatch(1).await(); // only an interrupt ends this
                } catch (InterruptedException e) {
                    siblingSaw.set(e);
                    throw e;
                }
            });
            scope.fork(() -> {
                throw boom;
            });
            scope.join();
            assertSame(boom, scope.failure(), "the first failure is the scope's, not the sibling's interrupt");
            assertTrue(siblingSaw.get() instanceof InterruptedException, "sibling was interrupted");
            assertEquals(0, shutdownRan.getCount());
        }
        assertEquals(0, threads.alive());
    }

    /** Closing without joining still waits for every subtask: nothing outlives the scope. */
    @Test
    void closeWithoutJoinLeavesNoThreadRunning() {
        CountDownLatch started = new CountDownLatch(1);
        try (StructuredScope scope = new StructuredScope(threads, () -> { })) {
            scope.fork(() -> {
                started.countDown();
                new CountDownLatch(1).await();
            });
            started.await();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertEquals(0, threads.alive());
    }

    /** Only the owner may fork; a closed scope forks nothing. */
    @Test
    void onlyTheOwnerMayFork() throws Exception {
        StructuredScope scope = new StructuredScope(threads, () -> { });
        CompletableFuture<Throwable> fromElsewhere = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                scope.fork(() -> { });
                fromElsewhere.complete(null);
            } catch (Throwable e) {
                fromElsewhere.complete(e);
            }
        });
        assertTrue(fromElsewhere.get() instanceof IllegalStateException);
        scope.close();
        assertThrows(IllegalStateException.class, () -> scope.fork(() -> { }));
        assertFalse(Thread.currentThread().isInterrupted());
    }
}
