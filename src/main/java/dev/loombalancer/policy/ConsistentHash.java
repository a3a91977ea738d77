package dev.loombalancer.policy;

import dev.loombalancer.net.HostPort;
import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.BackendHealth;
import dev.loombalancer.pool.BackendPool;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;

/**
 * Client address → backend by Maglev consistent hashing (Eisenbud et al., NSDI 2016).
 *
 * <p>The mapping depends only on the set of backends, not on their order, on time or on
 * any shared state: every balancer instance started with the same backends sends a given
 * client to the same backend, which is how several instances run side by side. When one
 * backend of N leaves the list, about 1/N of clients move; the others stay put.
 *
 * <p>Maglev fills a lookup table of M slots (M prime, about 100 per backend) by letting
 * the backends take turns claiming slots in the order of their own pseudo-random
 * permutation. A lookup is then one hash and one array read, O(1) at any pool size.
 *
 * <p>The table is built once, over all backends but the backups. A client whose backend
 * is DOWN is re-hashed a few times into the same table until it lands on an UP backend,
 * so only the clients of the DOWN backend move, they spread evenly over the rest, and
 * they come back when it returns, as consistent hashing should. While no backend of the
 * table is UP, clients are spread over the UP backups by their hash.
 *
 * <p>Weights are Maglev's weighted variant, as Katran builds it: in each round of the
 * population, a backend takes a turn only as often as its weight allows against the
 * largest weight, so it ends up with slots in proportion to its weight. With equal
 * weights every backend takes every turn, which is the unweighted table exactly.
 */
public final class ConsistentHash implements SelectionPolicy {

    private static final int SLOTS_PER_BACKEND = 100;
    private static final int MIN_TABLE_SIZE = 1009;
    // Re-hashes tried before falling back to indexing the UP list: enough when up to
    // ~95% of backends are DOWN (0.95^64 ≈ 4%); a lookup stays cheap when more are.
    private static final int MAX_REHASHES = 64;
    private static final long OFFSET_SEED = 0x5bd1e995L;
    private static final long SKIP_SEED = 0x27d4eb2fL;
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private final BackendPool pool;
    private final List<Backend> ring;
    // ring[i]'s health, so the hot path checks UP with an array read, not a map lookup
    private final BackendHealth[] health;
    private final int[] table;

    public ConsistentHash(BackendPool pool) {
        this.pool = pool;
        // Sorted, so the table is the same whatever order the backends were listed in.
        List<Backend> members = pool.primaries().isEmpty() ? pool.backends() : pool.primaries();
        this.ring = members.stream()
                .sorted(Comparator.comparing((Backend b) -> HostPort.format(b.address()))).toList();
        this.health = ring.stream().map(pool::healthOf).toArray(BackendHealth[]::new);
        int[] weights = ring.stream().mapToInt(pool::weightOf).toArray();
        this.table = populate(ring, weights, tableSize(ring.size()));
    }

    @Override
    public Iterator<Backend> candidates(InetSocketAddress client) {
        long hash = Hashing.of(client.getAddress(), 0);
        return new Rotation(primary(hash), pool.selectable(), hash);
    }

    /**
     * The backend a client with this hash goes to: its slot's backend, or the first UP one
     * re-hashing finds; null when nothing is UP and the slot's backend is drained.
     */
    Backend primary(long hash) {
        int index = table[slot(hash)];
        if (health[index].isSelectable()) {
            return ring.get(index);
        }
        List<Backend> up = pool.primariesUp();
        if (up.isEmpty()) {
            if (!pool.up().isEmpty()) {
                return null; // only backups are UP: the rotation over them, from the hash, decides
            }
            // Nothing is UP: keep the slot's backend unless an operator drained it, in which
            // case the rotation over the not-drained fallback decides alone.
            return health[index].isDraining() ? null : ring.get(index);
        }
        for (int i = 1; i <= MAX_REHASHES; i++) {
            int candidate = table[slot(Hashing.mix(hash + i * GOLDEN))];
            if (health[candidate].isSelectable()) {
                return ring.get(candidate);
            }
        }
        return up.get((int) Math.floorMod(hash, (long) up.size()));
    }

    @Override
    public String name() {
        return Strategy.CONSISTENT_HASH.toString();
    }

    private int slot(long hash) {
        return (int) Math.floorMod(hash, (long) table.length);
    }

    /**
     * Maglev's population: backends take turns, each claiming its next preferred free slot;
     * in round r, backend i takes its turn only if floor((r + 1) w / W) passes floor(r w / W),
     * W the largest weight, which is every round for the heaviest and w/W of them for others.
     */
    private static int[] populate(List<Backend> backends, int[] weights, int size) {
        int n = backends.size();
        int heaviest = Arrays.stream(weights).max().orElse(1);
        long[] position = new long[n];
        long[] skip = new long[n];
        for (int i = 0; i < n; i++) {
            InetSocketAddress address = backends.get(i).address();
            position[i] = Math.floorMod(Hashing.of(address, OFFSET_SEED), (long) size);
            skip[i] = Math.floorMod(Hashing.of(address, SKIP_SEED), (long) (size - 1)) + 1;
        }
        int[] table = new int[size];
        Arrays.fill(table, -1);
        int filled = 0;
        for (long round = 0; ; round++) {
            for (int i = 0; i < n; i++) {
                if ((round + 1) * weights[i] / heaviest == round * weights[i] / heaviest) {
                    continue; // not this backend's turn in this round
                }
                // Walk this backend's permutation (a full cycle, as size is prime) to a free slot.
                while (table[(int) position[i]] >= 0) {
                    position[i] = step(position[i], skip[i], size);
                }
                table[(int) position[i]] = i;
                position[i] = step(position[i], skip[i], size);
                if (++filled == size) {
                    return table;
                }
            }
        }
    }

    private static long step(long position, long skip, int size) {
        long next = position + skip;
        return next >= size ? next - size : next;
    }

    /** The smallest prime of at least 100 slots per backend. */
    static int tableSize(int backends) {
        int candidate = Math.max(MIN_TABLE_SIZE, backends * SLOTS_PER_BACKEND);
        while (!isPrime(candidate)) {
            candidate++;
        }
        return candidate;
    }

    private static boolean isPrime(int n) {
        if (n % 2 == 0) {
            return n == 2;
        }
        for (int d = 3; (long) d * d <= n; d += 2) {
            if (n % d == 0) {
                return false;
            }
        }
        return n > 1;
    }
}
