package dev.loombalancer.server;

import java.net.InetAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How many connection slots each client address holds, and, when every slot is taken,
 * which address should give one up: one address must not lock everyone else out by
 * opening every connection the limit allows. No peer does this by default; HAProxy and
 * nginx leave it to per-source limits the operator must think of first.
 *
 * <p>The rule is the smallest that converges on an even split: a newcomer takes a slot
 * from the address holding most only while that address holds at least two more than
 * the newcomer's. So a single address may still use every slot when nobody else wants
 * one, and many addresses holding one each never evict each other.
 *
 * <p>Counts change inside {@code merge} and {@code computeIfPresent}, atomic per key;
 * an address whose last slot is given back is removed, so the map holds only addresses
 * connected now.
 */
final class FairShare {

    private final ConcurrentHashMap<InetAddress, Integer> holding = new ConcurrentHashMap<>();

    /** The address took a slot. */
    void took(InetAddress address) {
        holding.merge(address, 1, Integer::sum);
    }

    /** The address gave a slot back. */
    void gaveBack(InetAddress address) {
        holding.computeIfPresent(address, (a, count) -> count == 1 ? null : count - 1);
    }

    /** Slots the address holds now. */
    int holding(InetAddress address) {
        return holding.getOrDefault(address, 0);
    }

    /**
     * The address that should give a slot to a newcomer from {@code newcomer}, or null if
     * none holds enough more. A scan over the addresses connected now: it runs only when
     * every slot is taken.
     */
    InetAddress shouldYieldTo(InetAddress newcomer) {
        InetAddress most = null;
        int mostCount = 0;
        for (Map.Entry<InetAddress, Integer> entry : holding.entrySet()) {
            if (entry.getValue() > mostCount) {
                most = entry.getKey();
                mostCount = entry.getValue();
            }
        }
        return most != null && mostCount >= holding(newcomer) + 2 ? most : null;
    }
}
