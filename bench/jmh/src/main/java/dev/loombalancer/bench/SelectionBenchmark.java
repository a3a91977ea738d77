package dev.loombalancer.bench;

import dev.loombalancer.policy.SelectionPolicy;
import dev.loombalancer.policy.StickyTable;
import dev.loombalancer.policy.Strategy;
import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.BackendPool;
import dev.loombalancer.pool.ConnectionCounter.Lease;
import dev.loombalancer.pool.RiseFall;
import dev.loombalancer.pool.Weighting;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What choosing a backend costs per connection, for each policy and pool size: the work
 * done on the accept thread (candidates, first choice) plus what the policy does when the
 * connection is made and when it ends (sticky remembers the client; least-connections
 * re-sorts the backend as its count goes up and down).
 *
 * <p>Clients come from 4,096 distinct addresses in turn, so sticky and consistent-hash
 * see a realistic mix of known clients rather than one hot entry. With {@code down} at
 * 0.9, nine in ten backends are DOWN: the worst case for re-hashing and the UP list.
 * With {@code weighted}, the backends have weights 1 to 4 in turn.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Dtinylog.writer.level=off"})
public class SelectionBenchmark {

    private static final int CLIENTS = 4096;

    @Param({"round-robin", "least-connections", "sticky", "consistent-hash"})
    public String strategy;

    @Param({"3", "1000", "10000"})
    public int backends;

    @Param({"0", "0.9"})
    public double down;

    /** Whether the backends have weights 1 to 4 in turn, or all the same. */
    @Param({"false", "true"})
    public boolean weighted;

    private BackendPool pool;
    private SelectionPolicy policy;
    private InetSocketAddress[] clients;
    private int next;

    @Setup(Level.Trial)
    public void setUp() throws UnknownHostException {
        List<Backend> list = new ArrayList<>(backends);
        for (int i = 0; i < backends; i++) {
            byte[] ip = {10, 0, (byte) (i >>> 8), (byte) i};
            list.add(new Backend(new InetSocketAddress(InetAddress.getByAddress(ip), 8000)));
        }
        Map<Backend, Weighting> weighting = new HashMap<>();
        if (weighted) {
            for (int i = 0; i < backends; i++) {
                weighting.put(list.get(i), new Weighting(1 + i % 4, false)); // weights 1, 2, 3, 4, 1, …
            }
        }
        pool = new BackendPool(list, new RiseFall(true, 2, 3), weighting, null, "");
        Strategy chosen = Strategy.valueOf(strategy.toUpperCase().replace('-', '_'));
        policy = chosen.create(pool, StickyTable.Limits.DEFAULT);
        // Take every tenth-but-one backend DOWN (never all of them, as in real pools).
        int downCount = (int) Math.min(backends - 1, Math.round(backends * down));
        for (int i = 0; i < downCount; i++) {
            pool.failed(list.get(backends - 1 - i), "benchmark");
        }
        clients = new InetSocketAddress[CLIENTS];
        for (int i = 0; i < CLIENTS; i++) {
            byte[] ip = {(byte) 172, 16, (byte) (i >>> 8), (byte) i};
            clients[i] = new InetSocketAddress(InetAddress.getByAddress(ip), 40000 + i);
        }
    }

    /** The choice alone: what the accept thread does for each new client. */
    @Benchmark
    public Backend choose() {
        InetSocketAddress client = clients[next++ & (CLIENTS - 1)];
        return policy.candidates(client).next();
    }

    /** The choice plus the policy's bookkeeping for one connection's whole life. */
    @Benchmark
    public Backend connection() {
        InetSocketAddress client = clients[next++ & (CLIENTS - 1)];
        Backend backend = policy.candidates(client).next();
        try (Lease lease = pool.connections().open(backend)) {
            policy.connected(client, backend);
        }
        return backend;
    }
}
