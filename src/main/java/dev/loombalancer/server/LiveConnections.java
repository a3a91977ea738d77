package dev.loombalancer.server;

import dev.loombalancer.admission.ClientAdmission;
import dev.loombalancer.concurrent.ConnectionThreads;
import dev.loombalancer.concurrent.Uninterruptibly;
import dev.loombalancer.logging.DurationText;
import dev.loombalancer.logging.Throttle;
import dev.loombalancer.net.Closer;
import dev.loombalancer.net.HostPort;
import dev.loombalancer.proxy.ProxiedConnection;
import dev.loombalancer.proxy.Preread;
import dev.loombalancer.proxy.ServerName;
import dev.loombalancer.proxy.UpstreamHeader;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.tinylog.Logger;

/**
 * The client connections open now, and what each one holds until it ends: its admission
 * slot ({@code --max-connections-per-client}), its {@code --max-connections} slot and its
 * virtual thread. {@link #open} takes them in one place, and the connection's thread
 * gives all three back in one place when it ends, however it ends.
 *
 * <p>When every slot is taken, a newcomer either takes the slot of the oldest connection
 * of the address holding most ({@link FairShare}), or waits for one on its own thread,
 * in a bounded waiting room, for at most the queue timeout.
 */
final class LiveConnections {

    /** Where a connection's slot is: the states only ever move forward. */
    private static final int WAITING = 0;
    private static final int HOLDING = 1;
    private static final int GIVEN_UP = 2; // ended, or handed to a newcomer
    private static final byte[] NOTHING = new byte[0];

    private final ClientAdmission admission;
    private final ConnectionLimit limit;
    private final Duration queueTimeout;
    private final PrereadRules preread;
    private final boolean readServerName;
    private final FairShare fairShare = new FairShare();
    // One shared name, not a numbered one: a numbered name costs a string per connection.
    private final ThreadFactory threads = ConnectionThreads.named("loom-connection");
    // Added before start and removed as each one ends, for cutAll, cutIdle and evictions.
    private final Map<Thread, Live> live = new ConcurrentHashMap<>();
    // Signalled whenever the last live connection ends, for awaitIdle to wait on.
    private final ReentrantLock idleLock = new ReentrantLock();
    private final Condition idle = idleLock.newCondition();
    private final LongAdder evicted = new LongAdder();
    private final LongAdder queueTimedOut = new LongAdder();
    private final LongAdder badProxyHeaders = new LongAdder();
    private final LongAdder noClientHello = new LongAdder();
    private final Throttle prereadLog = new Throttle(Duration.ofSeconds(5));
    private final Throttle evictionLog = new Throttle(Duration.ofSeconds(5));
    private final Throttle queueLog = new Throttle(Duration.ofSeconds(5));

    /** Makes a connection's task once it is known who the client is and what it asks for. */
    interface Connections {
        /**
         * @param client     the client's address: the peer's, or the one its upstream's PROXY header gave
         * @param serverName the TLS server name it asked for, when SNI routes are read; else null
         * @param pending    the client's bytes already read; empty for none
         * @return the connection; null if it was handed over to another service (an SNI route),
         *         which owns the client socket from then on
         */
        ProxiedConnection make(InetSocketAddress client, String serverName, byte[] pending);
    }

    /**
     * One open connection: who it is for, and where its slot is. A connection from an
     * upstream balancer ({@code --accept-proxy}) learns both on its own thread, from the
     * header: until then {@code ip} and {@code connection} are null, and it holds no
     * admission or fair-share place, only its {@code --max-connections} slot.
     */
    private static final class Live {
        final Socket client;
        final long openedNanos = System.nanoTime();
        final AtomicInteger slot;
        volatile InetAddress ip;
        volatile ProxiedConnection connection;

        Live(Socket client, InetAddress ip, ProxiedConnection connection, boolean holding) {
            this.client = client;
            this.ip = ip;
            this.connection = connection;
            this.slot = new AtomicInteger(holding ? HOLDING : WAITING);
        }

        /** Ends it from another thread; before it is proxied, closing the client ends its preread. */
        void cut(String why) {
            ProxiedConnection now = connection;
            if (now != null) {
                now.cut(why);
            } else {
                Closer.closeQuietly(client);
            }
        }
    }

    /**
     * @param readServerName whether each connection's TLS server name is read first, for SNI routes
     */
    LiveConnections(ClientAdmission admission, ConnectionLimit limit, Duration queueTimeout, PrereadRules preread,
                    boolean readServerName) {
        this.admission = admission;
        this.limit = limit;
        this.queueTimeout = queueTimeout;
        this.preread = preread;
        this.readServerName = readServerName;
    }

    /**
     * Admits the client and starts its connection on a new virtual thread, or resets it if
     * admission refuses it. Runs on the accept thread, which waits here while every slot
     * is taken and the waiting room is full.
     *
     * <p>A client from an upstream balancer ({@code --accept-proxy}) is admitted later, on
     * its own thread, once its PROXY header has said who it is; a client of a service with
     * SNI routes is routed there once its ClientHello has said what it asks for ({@link #preread}).
     *
     * @param connections makes the connection's task for the client's address
     * @throws RuntimeException if the task or its thread cannot be made or started; then
     *                          nothing was taken over, and the accept loop closes the client
     */
    void open(Socket client, Connections connections) {
        InetSocketAddress clientAddress = (InetSocketAddress) client.getRemoteSocketAddress();
        boolean upstream = preread.fromUpstream(clientAddress.getAddress());
        open(client, clientAddress, upstream, upstream || readServerName, NOTHING, connections);
    }

    /**
     * Takes over a client another service has read the first bytes of: an SNI route's
     * connection, from the service that listens. It is admitted here, and waits here while
     * every slot is taken, on the calling thread; its connection runs on a new one.
     */
    void adopt(Socket client, InetSocketAddress clientAddress, byte[] pending, Connections connections) {
        open(client, clientAddress, false, false, pending, connections);
    }

    private void open(Socket client, InetSocketAddress clientAddress, boolean upstream, boolean prereads,
                      byte[] pending, Connections connections) {
        InetAddress ip = upstream ? null : clientAddress.getAddress();
        if (!upstream && admission.admit(ip).isPresent()) {
            // Refused before anything is spent on it: a reset, so that a flood of refused
            // clients leaves no TIME_WAIT sockets here. (Counted and logged by admit.)
            Closer.reset(client);
            return;
        }
        boolean holding = limit.tryAcquire();
        if (!holding) {
            limit.noteSaturated();
            holding = takeSlotFairly(ip);
        }
        if (!holding && !limit.enterWaitingRoom()) {
            Closer.closeQuietly(client); // stopping
            release(ip);
            return;
        }
        if (holding && ip != null) {
            fairShare.took(ip);
        }
        Thread thread = null;
        boolean started = false;
        try {
            Live entry = new Live(client, ip, prereads ? null : connections.make(clientAddress, null, pending), holding);
            thread = threads.newThread(() -> run(entry, connections));
            live.put(thread, entry);
            thread.start();
            started = true;
        } finally {
            if (!started) {
                // Out of memory, or a policy that threw: undo what this method took.
                if (thread != null) {
                    live.remove(thread);
                }
                release(ip);
                if (holding) {
                    if (ip != null) {
                        fairShare.gaveBack(ip);
                    }
                    limit.release();
                } else {
                    limit.leaveWaitingRoom();
                }
            }
        }
    }

    /** The connection's thread, from first to last. */
    private void run(Live entry, Connections connections) {
        try {
            if (entry.slot.get() == WAITING && !awaitSlot(entry)) {
                return;
            }
            if (entry.connection == null && !preread(entry, connections)) {
                return;
            }
            entry.connection.run();
        } finally {
            ended(entry);
        }
    }

    /**
     * Reads what comes before proxying, within one preread timeout: from an upstream
     * ({@code --accept-proxy}), the PROXY header, whose client is the client from then on
     * (admission, fair share, the connection); with SNI routes, the ClientHello's server
     * name. Then makes the connection, or hands the client over to its route. Returns
     * false if there is nothing to run here: handed over, or closed (counted and logged:
     * no valid header or ClientHello in time, or admission refused the header's client).
     */
    private boolean preread(Live entry, Connections connections) {
        InetSocketAddress peer = (InetSocketAddress) entry.client.getRemoteSocketAddress();
        boolean upstream = entry.ip == null;
        Preread preread = new Preread(entry.client, this.preread.timeout());
        InetSocketAddress client = peer;
        String serverName = null;
        LongAdder refusedAs = badProxyHeaders; // the step being read, should it be refused
        try {
            if (upstream) {
                InetSocketAddress named = UpstreamHeader.read(preread);
                client = named == null ? peer : named;
            }
            refusedAs = noClientHello;
            if (readServerName) {
                serverName = ServerName.peek(preread);
            }
        } catch (Preread.Refused e) {
            refusedAs.increment();
            long more = prereadLog.admit();
            if (more >= 0) {
                Logger.warn("closed client {}{}: {}{}", HostPort.format(client), client == peer ? ""
                        : " (via " + HostPort.format(peer) + ")", e.getMessage(), Throttle.more(more));
            }
            Closer.reset(entry.client); // what it sent was not read: say so, rather than a clean close
            return false;
        } catch (IOException e) {
            Closer.closeQuietly(entry.client); // it failed or was cut while we waited: nothing to tell it
            return false;
        }
        InetAddress ip = client.getAddress();
        if (upstream) {
            if (admission.admit(ip).isPresent()) { // counted and logged by admit
                Closer.reset(entry.client);
                return false;
            }
            if (entry.slot.get() == HOLDING) {
                fairShare.took(ip);
            }
        }
        // Eviction finds connections by their ip: it may pick an upstream's only once its
        // place is counted, so the ip is set last; and set even if make() fails, so that
        // ended() gives back what was taken.
        try {
            entry.connection = connections.make(client, serverName, preread.rest());
        } finally {
            entry.ip = ip;
        }
        return entry.connection != null;
    }

    private void release(InetAddress ip) {
        if (ip != null) { // an upstream's connection that has not named its client holds no place
            admission.release(ip);
        }
    }

    /** Waits in the waiting room for a slot; false (the client closed) if none came in time. */
    private boolean awaitSlot(Live entry) {
        boolean got;
        try {
            got = limit.awaitPermit(queueTimeout);
        } catch (InterruptedException e) {
            Closer.closeQuietly(entry.client); // stopping
            return false;
        }
        if (!got) {
            queueTimedOut.increment();
            logQueueTimeout(entry.ip);
            Closer.reset(entry.client);
            return false;
        }
        if (entry.ip != null) {
            fairShare.took(entry.ip);
        }
        entry.slot.set(HOLDING);
        return true;
    }

    /**
     * Every slot is taken: takes the slot of the oldest connection of the address holding
     * most, if it holds at least two more than {@code ip}, and cuts that connection. The
     * newcomer inherits its permit, so for the moment until the evicted connection has
     * closed its sockets, one connection more than the limit is open.
     */
    private boolean takeSlotFairly(InetAddress ip) {
        for (int attempt = 0; attempt < 3; attempt++) { // a victim may end while we pick it
            InetAddress most = fairShare.shouldYieldTo(ip);
            if (most == null) {
                return false;
            }
            Live victim = oldestHolding(most);
            if (victim != null && victim.slot.compareAndSet(HOLDING, GIVEN_UP)) {
                fairShare.gaveBack(most);
                victim.cut("evicted: fair share");
                evicted.increment();
                long more = evictionLog.admit();
                if (more >= 0) {
                    Logger.warn("every connection slot is taken: cut the oldest connection of {} (holding {}) "
                            + "for a client from {} (holding {}){}", HostPort.address(most),
                            fairShare.holding(most) + 1, HostPort.address(ip), fairShare.holding(ip), Throttle.more(more));
                }
                return true;
            }
        }
        return false;
    }

    /** A scan of every open connection: it runs only to evict, when every slot is taken. */
    private Live oldestHolding(InetAddress ip) {
        Live oldest = null;
        for (Live entry : live.values()) {
            if (ip.equals(entry.ip) && entry.slot.get() == HOLDING
                    && (oldest == null || entry.openedNanos - oldest.openedNanos < 0)) {
                oldest = entry;
            }
        }
        return oldest;
    }

    /** Gives back what {@link #open} took; runs last on the connection's own thread. */
    private void ended(Live entry) {
        live.remove(Thread.currentThread());
        InetAddress ip = entry.ip;
        release(ip);
        // A slot handed to a newcomer is no longer ours to give back.
        if (entry.slot.compareAndSet(HOLDING, GIVEN_UP)) {
            if (ip != null) {
                fairShare.gaveBack(ip);
            }
            limit.release();
        }
        if (live.isEmpty()) {
            idleLock.lock();
            try {
                idle.signalAll();
            } finally {
                idleLock.unlock();
            }
        }
    }

    private void logQueueTimeout(InetAddress ip) {
        long more = queueLog.admit();
        if (more >= 0) {
            Logger.warn("closed client {}: no connection slot came free within --queue-timeout {}{}",
                    HostPort.address(ip), DurationText.of(queueTimeout), Throttle.more(more));
        }
    }

    /** Cuts the connections that moved no byte for {@code idleNanos}; for the idle reaper. */
    void cutIdle(long idleNanos) {
        long now = System.nanoTime();
        cutWhere(connection -> connection.idleNanos(now) >= idleNanos, "idle timeout");
    }

    /** Cuts the connections whose backend has owed an answer for {@code nanos}, counting it against the backend. */
    void cutUnanswered(long nanos, String why) {
        long now = System.nanoTime();
        for (Live entry : live.values()) {
            ProxiedConnection connection = entry.connection;
            if (entry.slot.get() == HOLDING && connection != null && connection.awaitingNanos(now) >= nanos) {
                connection.serverTimedOut(why);
            }
        }
    }

    /** Cuts the proxied connections {@code which} selects; returns how many. */
    int cutWhere(Predicate<ProxiedConnection> which, String why) {
        int cut = 0;
        for (Live entry : live.values()) {
            ProxiedConnection connection = entry.connection; // null while an upstream's header is read
            if (entry.slot.get() == HOLDING && connection != null && which.test(connection)) {
                connection.cut(why);
                cut++;
            }
        }
        return cut;
    }

    /** Connections open now, waiting ones included. */
    int size() {
        return live.size();
    }

    /** Connections cut to give their slot to a client from an address holding fewer. */
    long evicted() {
        return evicted.sum();
    }

    /** Connections from upstream balancers closed for want of a valid PROXY header in time. */
    long badProxyHeaders() {
        return badProxyHeaders.sum();
    }

    /** Clients of a service with SNI routes closed for want of a complete ClientHello in time. */
    long noClientHello() {
        return noClientHello.sum();
    }

    /** Clients closed because no slot came free within the queue timeout. */
    long queueTimedOut() {
        return queueTimedOut.sum();
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
        List<Thread> cut = List.copyOf(live.keySet());
        cut.forEach(Thread::interrupt);
        cut.forEach(Uninterruptibly::join);
        return cut.size();
    }
}
