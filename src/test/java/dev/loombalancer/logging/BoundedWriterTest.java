package dev.loombalancer.logging;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Collection;
import java.util.EnumSet;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.tinylog.Level;
import org.tinylog.core.LogEntry;
import org.tinylog.core.LogEntryValue;
import org.tinylog.runtime.RuntimeProvider;
import org.tinylog.writers.Writer;
import org.junit.jupiter.api.Test;

/** A stalled log sink costs dropped, counted lines: never a blocked caller, never unbounded memory. */
class BoundedWriterTest {

    private static final int CAPACITY = 100;
    private static final int LINES = 10_000;

    /** A sink that takes one entry and then blocks until released, as a pipe nobody reads does. */
    private static final class StalledSink implements Writer {
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger written = new AtomicInteger();

        @Override
        public Collection<LogEntryValue> getRequiredLogEntryValues() {
            return EnumSet.of(LogEntryValue.MESSAGE);
        }

        @Override
        public void write(LogEntry entry) throws InterruptedException {
            release.await();
            written.incrementAndGet();
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    /** Past the bound, writing neither blocks nor queues: the rest is dropped and counted, and what was queued is written once the sink moves. */
    @Test
    void aStalledSinkDropsAndCounts() throws Exception {
        StalledSink sink = new StalledSink();
        BoundedWriter writer = new BoundedWriter(sink, CAPACITY);
        long droppedBefore = BoundedWriter.dropped();
        long started = System.nanoTime();
        writer.write(entry(0));
        await().until(() -> writer.queued() == 0); // the writing thread took it and is stuck in the sink
        for (int i = 1; i < LINES; i++) {
            writer.write(entry(i));
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        assertTrue(millis < 5_000, "writing never waited for the sink: " + millis + " ms");
        assertEquals(CAPACITY, writer.queued(), "the queue holds its bound, no more");
        assertEquals(LINES - 1 - CAPACITY, BoundedWriter.dropped() - droppedBefore, "the rest was dropped and counted");
        sink.release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> sink.written.get() == 1 + CAPACITY);
        writer.close();
    }

    private static LogEntry entry(int i) {
        return new LogEntry(RuntimeProvider.createTimestamp(), Thread.currentThread(), Map.of(), null, null, null, -1,
                "access", Level.INFO, "access line " + i, null);
    }
}
