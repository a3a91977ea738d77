package dev.loombalancer.policy;

import dev.loombalancer.pool.Backend;
import java.net.InetSocketAddress;
import java.util.Iterator;

/**
 * Decides which backends a new client connection should try, best first.
 *
 * <p>The caller connects to the first candidate and moves on to the next only when that
 * one refuses or times out, so a policy returns an order, not a single backend. It is
 * called on the accept thread, once per connection, so it must be cheap and must not block.
 */
public interface SelectionPolicy {

    /** The backends to try for a client from {@code client}, each at most once. */
    Iterator<Backend> candidates(InetSocketAddress client);

    /** Told which backend a client was connected to, for policies that remember it. */
    default void connected(InetSocketAddress client, Backend backend) {
    }

    /** The name users give on the command line and see in the startup line. */
    String name();
}
