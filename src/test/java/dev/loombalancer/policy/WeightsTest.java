package dev.loombalancer.policy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.BackendPool;
import dev.loombalancer.pool.ConnectionCounter.Lease;
import dev.loombalancer.pool.RiseFall;
import dev.loombalancer.pool.Weighting;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every strategy honours weights, and backups get clients only while no other backend is UP. */
class WeightsTest {

    private static final int CLIENTS = 12_000;

    private static BackendPool pool(List<Backend> backends, Map<Backend, Weighting> weighting) {
        return new BackendPool(backends, new RiseFall(true, 2, 3), weighting, null, "");
    }

    /** Backends 9001:3, 9002:1 (and any further ones weight 1). */
    private static BackendPool threeToOne(int count) {
        List<Backend> backends = Pools.backends(count);
        return pool(backends, Map.of(backends.get(0), new Weighting(3, false)));
    }

    private static Map<Integer, Integer> firstChoices(SelectionPolicy policy, int clients) {
        Map<Integer, Integer> counts = new HashMap<>();
        for (int i = 0; i < clients; i++) {
            int port = policy.candidates(Pools.client(i)).next().address().getPort();
            counts.merge(port, 1, Integer::sum);
        }
        return counts;
    }

    /** Round-robin gives weight 3 three turns for each one of weight 1, exactly. */
    @Test
    void roundRobinHonoursWeights() {
        Map<Integer, Integer> counts = firstChoices(new RoundRobin(threeToOne(2)), 400);
        assertEquals(Map.of(9001, 300, 9002, 100), counts);
    }

    /** Weighted turns are spread, not bunched: weights 5, 1, 1 give a a a b c a a, as nginx's smooth round-robin. */
    @Test
    void weightedTurnsAreSmooth() {
        List<Backend> backends = Pools.backends(3);
        BackendPool pool = pool(backends, Map.of(backends.get(0), new Weighting(5, false)));
        RoundRobin policy = new RoundRobin(pool);
        StringBuilder order = new StringBuilder();
        for (int i = 0; i < 14; i++) {
            order.append((char) ('a' + policy.candidates(Pools.CLIENT).next().address().getPort() - 9001));
        }
        assertEquals("aaabcaa", order.substring(0, 7), "one cycle of 5 + 1 + 1, spread");
        assertEquals(10, order.chars().filter(c -> c == 'a').count(), order.toString());
        assertEquals(2, order.chars().filter(c -> c == 'b').count(), order.toString());
    }

    /** Least-connections keeps connections in proportion to weight: 3 on the heavy one for each 1 on the other. */
    @Test
    void leastConnectionsComparesConnectionsPerWeight() {
        BackendPool pool = threeToOne(2);
        LeastConnections policy = new LeastConnections(pool);
        List<Lease> held = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            held.add(pool.connections().open(policy.candidates(Pools.CLIENT).next()));
        }
        assertEquals(300, pool.connections().active(pool.backends().get(0)));
        assertEquals(100, pool.connections().active(pool.backends().get(1)));
        held.forEach(Lease::close);
    }

    /** Weighted Maglev: a backend of weight 3 among three of weight 1 gets about half the clients. */
    @Test
    void consistentHashGivesSlotsInProportion() {
        Map<Integer, Integer> counts = firstChoices(new ConsistentHash(threeToOne(4)), CLIENTS);
        double heavy = counts.get(9001) / (double) CLIENTS;
        assertTrue(Math.abs(heavy - 0.5) < 0.05, "weight 3 of 6 got " + heavy + ": " + counts);
        for (int port = 9002; port <= 9004; port++) {
            double light = counts.get(port) / (double) CLIENTS;
            assertTrue(Math.abs(light - 1 / 6.0) < 0.04, "weight 1 of 6 got " + light + ": " + counts);
        }
    }

    /** Sticky places new clients by weight too. */
    @Test
    void stickyPlacesNewClientsByWeight() {
        BackendPool pool = threeToOne(2);
        Sticky policy = new Sticky(pool, new StickyTable(StickyTable.Limits.DEFAULT));
        Map<Integer, Integer> counts = firstChoices(policy, 400);
        assertEquals(Map.of(9001, 300, 9002, 100), counts);
    }

    /** With equal weights, a weighted pool is the unweighted one: the Maglev table does not move. */
    @Test
    void equalWeightsChangeNothing() {
        List<Backend> backends = Pools.backends(5);
        Map<Backend, Weighting> allTwo = new HashMap<>();
        backends.forEach(b -> allTwo.put(b, new Weighting(2, false)));
        ConsistentHash plain = new ConsistentHash(pool(backends, Map.of()));
        ConsistentHash weighted = new ConsistentHash(pool(backends, allTwo));
        for (int i = 0; i < 2_000; i++) {
            assertEquals(plain.candidates(Pools.client(i)).next(), weighted.candidates(Pools.client(i)).next());
        }
    }

    /** A backup gets no client while a primary is UP, takes them all when none is, and gives them back. */
    @Test
    void backupsServeOnlyWhileNoPrimaryIsUp() {
        for (Strategy strategy : Strategy.values()) {
            List<Backend> backends = Pools.backends(3);
            Backend backup = backends.get(2);
            BackendPool pool = pool(backends, Map.of(backup, new Weighting(1, true)));
            SelectionPolicy policy = strategy.create(pool, StickyTable.Limits.DEFAULT);
            assertTrue(firstChoices(policy, 300).keySet().stream().noneMatch(p -> p == 9003), strategy + ": backup unused");

            pool.failed(backends.get(0), "refused");
            pool.failed(backends.get(1), "refused");
            assertEquals(Map.of(9003, 300), firstChoices(policy, 300), strategy + ": only the backup while primaries are DOWN");

            pool.succeeded(backends.get(0), "ok");
            pool.succeeded(backends.get(0), "ok");
            assertEquals(Map.of(9001, 300), firstChoices(policy, 300), strategy + ": back to the primary that is UP");
        }
    }

    /**
     * Slow start: a backend back from DOWN gets a sliver of new clients at first and its
     * full share once the slow start has passed (round-robin and least-connections).
     */
    @Test
    void aRecoveredBackendRampsUp() {
        for (Strategy strategy : List.of(Strategy.ROUND_ROBIN, Strategy.LEAST_CONNECTIONS)) {
            List<Backend> backends = Pools.backends(2);
            BackendPool pool = new BackendPool(backends, new RiseFall(true, 2, 3), Map.of(), Duration.ofSeconds(1), "");
            SelectionPolicy policy = strategy.create(pool, StickyTable.Limits.DEFAULT);
            Backend recovered = backends.get(1);
            pool.succeeded(recovered, "ok"); // a first check that passes: UP, and nothing to ramp from
            pool.failed(recovered, "refused");
            pool.failed(recovered, "refused");
            pool.failed(recovered, "refused");
            pool.succeeded(recovered, "ok");
            pool.succeeded(recovered, "ok"); // back UP: ramping now
            assertTrue(pool.ramping().contains(recovered), strategy + ": ramping");

            int early = count(policy, pool, recovered, 160);
            assertTrue(early <= 24, strategy + ": " + early + " of 160 right after coming back");
            await().atMost(Duration.ofSeconds(5)).until(() -> pool.shareOf(recovered, System.nanoTime()) == 16);
            int late = count(policy, pool, recovered, 160);
            assertTrue(late >= 70 && late <= 90, strategy + ": " + late + " of 160 once the slow start has passed");
        }
    }

    /** How many of {@code clients} new connections (each kept open, then all closed) went to {@code backend}. */
    private static int count(SelectionPolicy policy, BackendPool pool, Backend backend, int clients) {
        List<Lease> held = new ArrayList<>();
        int hits = 0;
        for (int i = 0; i < clients; i++) {
            Backend chosen = policy.candidates(Pools.client(i)).next();
            hits += chosen.equals(backend) ? 1 : 0;
            held.add(pool.connections().open(chosen));
        }
        held.forEach(Lease::close);
        return hits;
    }
}
