package dev.loombalancer.server;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.tinylog.Logger;

/**
 * {@code --max-connections}: at most N client connections at once. A connection takes a
 * permit when it is accepted and gives it back when it ends. Beyond N, new clients wait
 * for a permit in a waiting room of {@code --backlog} places, each on its own virtual
 * thread, for at most {@code --queue-timeout} (HAProxy's {@code timeout queue}). The
 * accept loop keeps accepting meanwhile, so that {@link FairShare} sees who else arrives;
 * only once the room is full do newcomers queue in the kernel's backlog. Memory and
 * descriptors stay bounded under a flood either way.
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
    private final Semaphore places; // in the waiting room
    private final String describe;
    private final Semaphore permits;
    private final AtomicLong waits = new AtomicLong();
    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicBoolean full = new AtomicBoolean();
    // For the accept loop's pause after an accept error: a connection that ends frees two
    // descriptors, so it ends the pause at once. The volatile flag keeps release() free of
    // any lock unless the accept loop is paused right now.
    private final ReentrantLock pauseLock = new ReentrantLock();
    private final Condition released = pauseLock.newCondition();
    private volatile boolean paused;
    // Set by stop(); the accept thread's two waits check it instead of being interrupted.
    private volatile boolean stopping;
    // When the waiting room last became occupied; meaningful while `waiting` is above 0.
    private volatile long waitingSinceNanos;

    /**
     * @param max  the limit; 0 for none
     * @param room how many clients may wait for a permit at once
     */
    ConnectionLimit(int max, int room) {
        this(max, room, max > 0 ? "at most " + max + " connections" : "no connection limit");
    }

    private ConnectionLimit(int max, int room, String describe) {
        this.max = max;
        this.places = new Semaphore(Math.max(1, room));
        this.describe = describe;
        // Fair: waiting clients get slots in the order they came, not whoever asks last. The
        // accept thread's tryAcquire() stays the cheap unfair one, and it is called only
        // while nobody waits.
        this.permits = max > 0 ? new Semaphore(max, true) : null;
    }

    /**
     * The limit for {@code --max-connections configured} (0: not given) under an open-file
     * limit, with {@code otherFiles} descriptors needed besides (health probes in flight) and
     * a waiting room of at most {@code backlog} clients. A waiting client holds one
     * descriptor and a connection two, so the room gets at most a quarter of what is left.
     * A configured limit the files cannot hold is kept, with a warning that says what to raise.
     */
    static ConnectionLimit forFiles(int configured, OptionalLong fileLimit, int otherFiles, int backlog) {
        if (fileLimit.isEmpty()) {
            return new ConnectionLimit(configured, backlog);
        }
        long files = fileLimit.getAsLong();
        long spare = Math.max(0, files - RESERVED_FILES - otherFiles);
        int room = (int) Math.max(1, Math.min(backlog, spare / 4));
        int fits = (int) Math.max(1, Math.min(Integer.MAX_VALUE, (spare - room) / 2));
        if (configured == 0) {
            return new ConnectionLimit(fits, room,
                    "at most " + fits + " connections (open-file limit " + files + ")");
        }
        if (configured > fits) {
            Logger.warn("--max-connections {} needs about {} open files, but the limit is {}: beyond about {} "
                    + "connections, clients will be cut with \"too many open files\"; raise it (ulimit -n, or "
                    + "LimitNOFILE= under systemd) or lower --max-connections", configured,
                    2L * configured + room + RESERVED_FILES + otherFiles, files, fits);
        }
        return new ConnectionLimit(configured, room);
    }

    /** For the start-up line: "at most 9948 connections (open-file limit 20000)". */
    String describe() {
        return describe;
    }

    /**
     * Takes a permit if one is free and nobody is waiting for one (a newcomer does not jump
     * the queue).
     */
    boolean tryAcquire() {
        return permits == null || (waiting.get() == 0 && permits.tryAcquire());
    }

    /** A client found every slot taken: counted, and logged the first time. */
    void noteSaturated() {
        waits.incrementAndGet();
        if (full.compareAndSet(false, true)) {
            Logger.warn("--max-connections {} reached; new clients wait up to --queue-timeout for a connection "
                    + "to end, and a client whose address holds fewer connections takes the slot of the oldest "
                    + "connection of the address holding most", max);
        }
    }

    /**
     * Takes a place in the waiting room, on the accept thread. While the room is full this
     * waits for a place, and newcomers queue in the kernel's listen backlog meanwhile, as
     * with HAProxy's {@code maxconn}: nobody is turned away while the backlog has room.
     * Whoever got a place must call {@link #awaitPermit} or {@link #leaveWaitingRoom},
     * which give it back.
     *
     * @return false if the balancer is stopping; then no place was taken
     */
    boolean enterWaitingRoom() {
        places.acquireUninterruptibly(); // stop() adds a place to end this wait
        if (stopping) {
            places.release(); // for the next caller, who must not wait either
            return false;
        }
        if (waiting.getAndIncrement() == 0) {
            waitingSinceNanos = System.nanoTime();
        }
        return true;
    }

    /**
     * Waits in the room for a permit, on the client's own thread; returns whether it got one
     * within {@code timeout}.
     *
     * @throws InterruptedException if the balancer is stopping
     */
    boolean awaitPermit(Duration timeout) throws InterruptedException {
        try {
            return permits.tryAcquire(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } finally {
            leaveWaitingRoom();
        }
    }

    /** Gives back a place in the waiting room that was never waited in. */
    void leaveWaitingRoom() {
        waiting.decrementAndGet();
        places.release();
    }

    /** Clients waiting for a permit now. */
    int waiting() {
        return waiting.get();
    }

    /**
     * How long clients have been waiting for a free connection slot without a break: zero
     * while nobody waits. That is what {@code /healthz} reports as saturation.
     */
    Duration waitingFor() {
        return waiting.get() > 0 ? Duration.ofNanos(System.nanoTime() - waitingSinceNanos) : Duration.ZERO;
    }

    /** Gives a permit back; every path that took one must. */
    void release() {
        if (permits != null) {
            permits.release();
            if (full.get() && permits.availablePermits() > max / 10 && full.compareAndSet(true, false)) {
                Logger.info("below --max-connections {} again", max);
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
     * @return false if the balancer is stopping
     */
    boolean pauseUntilRelease(long millis) {
        pauseLock.lock();
        try {
            if (stopping) { // read under the lock stop() signals under: no wake-up is missed
                return false;
            }
            paused = true;
            released.await(millis, TimeUnit.MILLISECONDS);
            return !stopping;
        } catch (InterruptedException e) {
            return false;
        } finally {
            paused = false;
            pauseLock.unlock();
        }
    }

    /**
     * The balancer is stopping: ends the accept thread's waits for a place in the waiting
     * room or for the back-off, now and from now on.
     *
     * <p>Why not interrupt the accept thread: an interrupt that lands while a blocking
     * {@code ServerSocketChannel.accept()} has just taken a connection from the kernel makes
     * it throw {@code ClosedByInterruptException} and drop the new descriptor unclosed
     * (see {@code ServerSocketChannelImpl.accept} and {@code AbstractInterruptibleChannel.end}):
     * that client, whose request is already sent, is reset when the process exits.
     */
    void stop() {
        pauseLock.lock();
        try {
            stopping = true;
            released.signalAll();
        } finally {
            pauseLock.unlock();
        }
        places.release(); // whoever waits for a place wakes, sees stopping, and passes the place on
    }

    /** How many clients found every connection slot taken when they arrived. */
    long waits() {
        return waits.get();
    }
}
