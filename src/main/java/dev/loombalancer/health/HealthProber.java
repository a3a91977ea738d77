package dev.loombalancer.health;

import dev.loombalancer.concurrent.Uninterruptibly;
import dev.loombalancer.net.HostPort;
import dev.loombalancer.net.ProxyHeader;
import dev.loombalancer.net.SocketErrors;
import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.BackendPool;
import dev.loombalancer.pool.SendProxy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.tinylog.Logger;

/**
 * Checks every backend with a TCP connect, round after round, and reports each result to
 * the pool, which decides when a backend goes DOWN or comes back UP.
 *
 * <p>Each probe is a blocking connect on its own virtual thread: a black-holed backend
 * parks one cheap thread until the timeout while the others' probes go on. Rounds start
 * on a fixed beat and do not wait for the previous round's stragglers: a backend whose
 * last probe is still running is skipped for that round, so no backend is probed twice
 * at once and a slow one delays nobody. A semaphore bounds the probes in flight
 * ({@link #MAX_IN_FLIGHT}), so 10,000 backends do not open 10,000 sockets at once; with
 * that many black-holed, starting a round does wait for a free permit, and the round
 * after it starts late.
 */
public final class HealthProber implements AutoCloseable {

    /**
     * Probes in flight at most. A refused or accepted connect takes microseconds, so even
     * 10,000 backends per round rarely have more than a few in flight; the bound matters
     * when many backends are black-holed, each holding a socket until the timeout.
     */
    public static final int MAX_IN_FLIGHT = 1024;

    private final BackendPool pool;
    private final SendProxy sendProxy;
    private final ProbeConfig config;
    private final int timeoutMillis;
    private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    // The probe running for each backend: at most one, so a slow backend is skipped, not
    // probed twice. Only the scheduler adds, so checking and then putting cannot race.
    private final Map<Backend, Thread> probes = new ConcurrentHashMap<>();
    private final CountDownLatch closing = new CountDownLatch(1);
    private final AtomicLong rounds = new AtomicLong();
    private final AtomicLong localFailureWarnedInRound = new AtomicLong(-1);
    private final AtomicLong skipped = new AtomicLong();
    private volatile ProbeObserver observer = (ok, nanos) -> { };

    /** Told about every probe's result and duration, for metrics. */
    @FunctionalInterface
    public interface ProbeObserver {
        void probed(boolean ok, long nanos);
    }
    private final Thread scheduler;

    public HealthProber(BackendPool pool, ProbeConfig config) {
        this(pool, config, null);
    }

    /** @param sendProxy the PROXY header each backend's probes start with (LOCAL: our own connection) */
    public HealthProber(BackendPool pool, ProbeConfig config, SendProxy sendProxy) {
        this.sendProxy = sendProxy;
        this.pool = pool;
        this.config = config;
        this.timeoutMillis = Math.toIntExact(config.timeout().toMillis());
        this.scheduler = Thread.ofVirtual().name("loom-health").unstarted(this::runRounds);
    }

    public void start() {
        scheduler.start();
    }

    /** Rounds started so far: in each, every backend not still being probed got a probe. */
    public long rounds() {
        return rounds.get();
    }

    /** Who is told about each probe, or null: passed on to the prober that replaces this one. */
    public ProbeObserver observer() {
        return observer;
    }

    /** Sets who is told about each probe (one observer; metrics). */
    public void observe(ProbeObserver observer) {
        this.observer = observer;
    }

    /** Probes not started because the backend's previous probe was still running. */
    public long skipped() {
        return skipped.get();
    }

    /** Probe threads still running: zero once the prober is closed. */
    public int probesInFlight() {
        return probes.size();
    }

    private void runRounds() {
        long intervalNanos = config.interval().toNanos();
        long next = System.nanoTime();
        try {
            while (closing.getCount() > 0) {
                startRound();
                rounds.incrementAndGet();
                next += intervalNanos;
                long wait = next - System.nanoTime();
                if (wait < 0) {
                    next = System.nanoTime(); // starting the round took longer than the interval
                }
                // Waiting on the latch instead of sleeping: close() ends the wait at once.
                closing.await(Math.max(0, wait), TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            // close() interrupts us to stop at once, also mid-round
        }
    }

    /** Starts a probe for every backend that is not still being probed from an earlier round. */
    private void startRound() throws InterruptedException {
        for (Backend backend : pool.backends()) {
            if (probes.containsKey(backend)) {
                skipped.incrementAndGet();
                continue;
            }
            inFlight.acquire();
            Thread probe = Thread.ofVirtual().name("loom-probe").unstarted(() -> {
                try {
                    probe(backend);
                } finally {
                    probes.remove(backend);
                    inFlight.release();
                }
            });
            probes.put(backend, probe);
            probe.start();
        }
    }

    /**
     * One check: a TCP connect, then whatever {@link HealthCheck} asks, all within the
     * health timeout. With {@code tcp}, success is a completed handshake, as in HAProxy's
     * plain {@code check}.
     */
    private void probe(Backend backend) {
        long started = System.nanoTime();
        long deadline = started + config.timeout().toNanos();
        HealthCheck check = config.check();
        InetSocketAddress target = check.port() == 0 ? backend.address()
                : new InetSocketAddress(backend.address().getAddress(), check.port());
        boolean opened = false;
        try (Socket socket = new Socket(Proxy.NO_PROXY)) { // a plain socket: see BackendConnector
            SocketErrors.openFirst(socket);
            // Close with a reset rather than a FIN: we close first, and a FIN would leave a
            // TIME_WAIT socket behind per probe (HAProxy's checks do the same).
            socket.setSoLinger(true, 0);
            opened = true;
            socket.connect(target, timeoutMillis);
            String answer;
            try {
                ProxyHeader.Version header = sendProxy.of(backend);
                if (header != null && check.port() == 0) { // the traffic port expects the header
                    socket.getOutputStream().write(ProxyHeader.forHealthCheck(header));
                }
                answer = check.ask(socket, HostPort.format(target), deadline);
            } catch (HealthCheck.Failed | IOException failed) {
                // Connected, so whatever goes wrong now is the backend's answer (or silence).
                if (closing.getCount() == 0) {
                    return;
                }
                pool.failed(backend, failed instanceof HealthCheck.Failed ? failed.getMessage()
                        : SocketErrors.describe(failed));
                observer.probed(false, System.nanoTime() - started);
                return;
            }
            long nanos = System.nanoTime() - started;
            long micros = nanos / 1_000;
            pool.succeeded(backend, (check.kind() == HealthCheck.Kind.TCP ? "check passed" : answer) + " in "
                    + (micros < 1000 ? micros + "µs" : micros / 1000 + "ms"));
            observer.probed(true, nanos);
        } catch (IOException e) {
            if (closing.getCount() == 0) {
                return; // interrupted by close(): says nothing about the backend
            }
            if (!opened || !SocketErrors.isPeersFault(e)) {
                // Our own limit (out of files, or of local ports), not the backend's: counting
                // it would take every backend DOWN at once just when the balancer is busiest.
                long round = rounds.get();
                long warned = localFailureWarnedInRound.get();
                if (warned != round && localFailureWarnedInRound.compareAndSet(warned, round)) {
                    Logger.warn("health checks skipped, not counted against backends: cannot {} a probe socket: {}{}",
                            opened ? "connect" : "open", SocketErrors.describe(e),
                            opened ? "" : " (the open-file limit is reached; see --max-connections)");
                }
                return;
            }
            pool.failed(backend, SocketErrors.describe(e));
            observer.probed(false, System.nanoTime() - started);
        }
    }

    /** Stops probing; probes in flight are cut (interrupting a connect closes its socket). */
    @Override
    public void close() {
        if (closing.getCount() == 0) {
            return;
        }
        closing.countDown();
        scheduler.interrupt();
        Uninterruptibly.join(scheduler);
        for (Thread probe : List.copyOf(probes.values())) {
            probe.interrupt();
            Uninterruptibly.join(probe);
        }
        Logger.debug("health prober stopped after {} rounds", rounds::get);
    }
}
