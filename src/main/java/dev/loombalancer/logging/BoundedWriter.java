package dev.loombalancer.logging;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.tinylog.configuration.ServiceLoader;
import org.tinylog.core.LogEntry;
import org.tinylog.core.LogEntryValue;
import org.tinylog.writers.Writer;

/**
 * A tinylog writer that hands each entry to another writer ({@code target}: console,
 * rolling file, …) through a bounded queue and a writing thread of its own, and drops
 * what does not fit instead of waiting or growing.
 *
 * <pre>
 * writer        = bounded
 * writer.target = console
 * writer.queue  = 8192      # entries at most; default 8192
 * </pre>
 *
 * <p>Why not tinylog's own {@code writingthread}: its queue has no bound. When standard
 * error is a pipe nobody reads, every access-log line waits in it and the heap grows
 * without end. Here a logging call costs one {@code offer}, which never blocks, and
 * the entries dropped are counted ({@link #dropped()}, the
 * {@code loom_log_lines_dropped_total} metric), as HAProxy's logging over UDP drops
 * rather than stalls the proxy.
 *
 * <p>The writing thread is a platform thread: writing to a console or a file is
 * blocking file I/O, which would hold a virtual thread's carrier for as long as it takes.
 */
public final class BoundedWriter implements Writer {

    static final int DEFAULT_QUEUE = 8192;
    private static final long CLOSE_DRAIN_MILLIS = 1_000;
    private static final LongAdder DROPPED = new LongAdder();

    private final Writer target;
    private final BlockingQueue<LogEntry> queue;
    private final Thread writer;
    private volatile boolean closing;

    /** Made by tinylog from the configuration; {@code target} names the writer that does the writing. */
    public BoundedWriter(Map<String, String> properties) {
        this(target(properties), capacity(properties));
    }

    /** Writes to {@code target} through a queue of {@code capacity} entries. */
    BoundedWriter(Writer target, int capacity) {
        this.target = target;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.writer = Thread.ofPlatform().name("loom-log-writer").daemon(true).start(this::writeAll);
    }

    /** The writer named by {@code target}, made with the other properties (format, stream, file, …). */
    private static Writer target(Map<String, String> properties) {
        String name = properties.get("target");
        if (name == null) {
            throw new IllegalArgumentException("the bounded log writer needs 'target', such as console or rolling file");
        }
        Map<String, String> rest = new HashMap<>(properties);
        rest.remove("target");
        rest.remove("queue");
        Writer target = new ServiceLoader<>(Writer.class, Map.class).create(name, rest);
        if (target == null) {
            throw new IllegalArgumentException("no tinylog writer named '" + name + "'");
        }
        return target;
    }

    private static int capacity(Map<String, String> properties) {
        String size = properties.get("queue");
        return size == null ? DEFAULT_QUEUE : Integer.parseInt(size.trim());
    }

    /** Log entries dropped since start because the queue was full: the sink did not keep up. */
    public static long dropped() {
        return DROPPED.sum();
    }

    /** Entries waiting for the writing thread now. */
    int queued() {
        return queue.size();
    }

    @Override
    public Collection<LogEntryValue> getRequiredLogEntryValues() {
        return target.getRequiredLogEntryValues();
    }

    /** Queues the entry, or drops and counts it if the queue is full; never blocks. */
    @Override
    public void write(LogEntry entry) {
        if (!queue.offer(entry)) {
            DROPPED.increment();
        }
    }

    @Override
    public void flush() {
        // The writing thread flushes whenever the queue runs empty.
    }

    /** Writes what is queued, for a moment at most (the sink may be stalled), then closes the target. */
    @Override
    public void close() throws Exception {
        closing = true;
        writer.join(CLOSE_DRAIN_MILLIS);
        writer.interrupt();
        target.close();
    }

    private void writeAll() {
        try {
            while (!closing || !queue.isEmpty()) {
                LogEntry entry = queue.poll(100, TimeUnit.MILLISECONDS);
                if (entry != null) {
                    writeQuietly(entry);
                    if (queue.isEmpty()) {
                        flushQuietly();
                    }
                }
            }
        } catch (InterruptedException e) {
            // close() gave up on a stalled sink
        }
    }

    private void flushQuietly() {
        try {
            target.flush();
        } catch (Exception e) {
            // the sink is gone; what follows is counted as dropped when writing fails
        }
    }

    private void writeQuietly(LogEntry entry) {
        try {
            target.write(entry);
        } catch (Exception e) {
            DROPPED.increment(); // the sink refused it: counted like a drop
        }
    }
}
