package dev.loombalancer.server;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.tinylog.Logger;

/**
 * {@code --max-connections}: at most N client connections at once. The accept loop takes
 * a permit before it accepts, and a connection gives it back when it ends, so beyond N
 * new clients wait in the kernel's listen backlog (as with HAProxy's {@code maxconn}):
 * memory stays bounded under a flood, and nobody is turned away while there is room
 * in the backlog.
 *
 * <p>Without {@code --max-connections} the limit is what the open-file limit can hold, as
 * HAProxy derives {@code maxconn} from {@code ulimit -n}: past it, accepting or connecting
 * to a backend would fail with "too many open files" and clients would be cut instead of
 * queued.
 */
final class ConnectionLimit {

    /** Descriptors kept back for what is not a client connection: the JVM's own files, listeners, logs. */
    static final int RESERVED_FILES = 64;

    private final int max;
    private final String describe;
    private final Semaphore permits;
    private final AtomicLong waits = new AtomicLong();
    private final AtomicBoolean full = new AtomicBoolean();
    // For the accept loop's pause after an accept error: a connection that ends frees two
    // descriptors, so it ends the pause at once. The volatile flag keeps release() free of
    // any lock unless the accept loop is paused right now.
    private final ReentrantLock pauseLock = new ReentrantLock();
    private final Condition released = pauseLock.newCondition();
    private volatile boolean paused;
    // Set only by the accept loop: written before `waiting`, read after it.
    private volatile long waitingSinceNanos;
    private volatile boolean waiting;

    /** @param max the limit; 0 for none */
    ConnectionLimit(int max) {
        this(max, max > 0 ? "at most " + max + " connections" : "no connection limit");
    }

    private ConnectionLimit(int max, String describe) {
        this.max = max;
        this.describe = describe;
        this.permits = max > 0 ? new Semaphore(max) : null;
    }

    /**
     * The limit for {@code --max-connections configured} (0: not given) under an open-file
     * limit, with {@code otherFiles} descriptors needed besides (health probes in flight).
     * A configured limit the files cannot hold is kept, with a warning that says what to raise.
     */
    static ConnectionLimit forFiles(int configured, OptionalLong fileLimit, int otherFiles) {
        if (fileLimit.isEmpty()) {
            return new ConnectionLimit(configured);
        }
        long files = fileLimit.getAsLong();
        int fits = (int) Math.max(1, Math.min(Integer.MAX_VALUE, (files - RESERVED_FILES - otherFiles) / 2));
        if (configured == 0) {
            return new ConnectionLimit(fits, "at most " + fits + " connections (open-file limit " + files + ")");
        }
        if (configured > fits) {
            Logger.warn("--max-connections {} needs about {} open files, but the limit is {}: beyond about {} "
                    + "connections, clients will be cut with \"too many open files\"; raise it (ulimit -n, or "
                    + "LimitNOFILE= under systemd) or lower --max-connections", configured,
                    2L * configured + RESERVED_FILES + otherFiles, files, fits);
        }
        return new ConnectionLimit(configured);
    }

    /** For the start-up line: "at most 9948 connections (open-file limit 20000)". */
    String describe() {
        return describe;
    }

    /**
     * Takes a permit, waiting while the limit is reached.
     *
     * @throws InterruptedException if the balancer is stopping
     */
    void acquire() throws InterruptedException {
        if (permits == null || permits.tryAcquire()) {
            return;
        }
        waits.incrementAndGet();
        if (full.compareAndSet(false, true)) {
            Logger.warn("--max-connections {} reached; new clients wait in the listen backlog", max);
        }
        waitingSinceNanos = System.nanoTime();
        waiting = true;
        try {
            permits.acquire();
        } finally {
            waiting = false;
        }
    }

    /**
     * How long the accept loop has been waiting for a free connection slot: zero while
     * there is one. Clients queue in the backlog meanwhile, unanswered, which is what
     * {@code /healthz} reports as saturation.
     */
    Duration waitingFor() {
        return waiting ? Duration.ofNanos(System.nanoTime() - waitingSinceNanos) : Duration.ZERO;
    }

    /** Gives a permit back; every path that took one must. */
    void release() {
        if (permits != null) {
            permits.release();
            if (full.get() && permits.availablePermits() > max / 10 && full.compareAndSet(true, false)) {
                Logger.info("below --max-connections {} again; accepting", max);
            }
        }
        if (paused) {
            pauseLock.lock();
            try {
                released.signalAll();
            } finally {
                pauseLock.unlock();
            }
        }
    }

    /**
     * The accept loop's back-off after an accept error: waits until a connection ends or
     * {@code millis} have passed, whichever is first (a connection that ended just before
     * the wait began is missed, which costs at most the back-off).
     *
     * @return false if interrupted, which means the balancer is stopping
     */
    boolean pauseUntilRelease(long millis) {
        pauseLock.lock();
        try {
            paused = true;
            released.await(millis, TimeUnit.MILLISECONDS);
            return true;
        } catch (InterruptedException e) {
            return false;
        } finally {
            paused = false;
            pauseLock.unlock();
        }
    }

    /** How often accepting had to wait for a connection to end. */
    long waits() {
        return waits.get();
    }
}
