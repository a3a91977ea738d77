package dev.loombalancer.server;

import dev.loombalancer.admission.ClientAdmission;
import dev.loombalancer.concurrent.ConnectionThreads;
import dev.loombalancer.concurrent.Uninterruptibly;
import dev.loombalancer.net.Closer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * The client connections open now, and what each one holds until it ends: its admission
 * slot ({@code --max-connections-per-client}), its {@code --max-connections} permit and
 * its virtual thread. {@link #open} takes them in one place, and the connection's thread
 * gives all three back in one place when it ends, however it ends.
 */
final class LiveConnections {

    private final ClientAdmission admission;
    private final ConnectionLimit limit;
    // One shared name, not a numbered one: a numbered name costs a string per connection.
    private final ThreadFactory threads = ConnectionThreads.named("loom-connection");
    // Added before start and removed as each one ends, so cutAll() can interrupt them.
    private final Set<Thread> live = ConcurrentHashMap.newKeySet();
    // Signalled whenever the last live connection ends, for awaitIdle to wait on.
    private final ReentrantLock idleLock = new ReentrantLock();
    private final Condition idle = idleLock.newCondition();

    LiveConnections(ClientAdmission admission, ConnectionLimit limit) {
        this.admission = admission;
        this.limit = limit;
    }

    /**
     * Admits the client and starts its connection on a new virtual thread, or resets it if
     * admission refuses it. Runs on the accept thread, which took the limit permit.
     *
     * @param connection makes the connection's task for the client's address
     * @throws RuntimeException if the task or its thread cannot be made or started; then
     *                          nothing was taken over, and the accept loop closes the client
     *                          and gives the permit back
     */
    void open(Socket client, Function<InetSocketAddress, Runnable> connection) {
        InetSocketAddress clientAddress = (InetSocketAddress) client.getRemoteSocketAddress();
        InetAddress ip = clientAddress.getAddress();
        if (admission.admit(ip).isPresent()) {
            // Refused before anything is spent on it: a reset, so that a flood of refused
            // clients leaves no TIME_WAIT sockets here. (Counted and logged by admit.)
            Closer.reset(client);
            limit.release();
            return;
        }
        Thread thread = null;
        boolean started = false;
        try {
            Runnable task = connection.apply(clientAddress);
            thread = threads.newThread(() -> {
                try {
                    task.run();
                } finally {
                    ended(Thread.currentThread(), ip);
                }
            });
            live.add(thread);
            thread.start();
            started = true;
        } finally {
            if (!started) {
                // Out of memory, or a policy that threw: undo what this method took.
                if (thread != null) {
                    live.remove(thread);
                }
                admission.release(ip);
            }
        }
    }

    /** Gives back what {@link #open} took; runs last on the connection's own thread. */
    private void ended(Thread thread, InetAddress ip) {
        live.remove(thread);
        admission.release(ip);
        limit.release(); // the permit the accept loop took for this connection
        if (live.isEmpty()) {
            idleLock.lock();
            try {
                idle.signalAll();
            } finally {
                idleLock.unlock();
            }
        }
    }

    /** Connections open now. */
    int size() {
        return live.size();
    }

    /**
     * Waits until no connection is open, the timeout has passed, or {@code stop} says to
     * give up (checked whenever the last connection ends, or another cuts them all);
     * returns whether none is open.
     */
    boolean awaitIdle(Duration timeout, BooleanSupplier stop) {
        long remaining = timeout.toNanos();
        idleLock.lock();
        try {
            while (!live.isEmpty() && remaining > 0 && !stop.getAsBoolean()) {
                remaining = idle.awaitNanos(remaining);
            }
            return live.isEmpty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            idleLock.unlock();
        }
    }

    /**
     * Cuts every open connection and waits until each thread has ended; returns how many
     * were cut. Interrupting a virtual thread blocked in a socket call closes that socket
     * (see {@link Socket}'s class documentation), so each connection unwinds through its
     * own cleanup: counters, sockets and pipe threads are released the usual way.
     */
    int cutAll() {
        List<Thread> cut = List.copyOf(live);
        cut.forEach(Thread::interrupt);
        cut.forEach(Uninterruptibly::join);
        return cut.size();
    }
}
