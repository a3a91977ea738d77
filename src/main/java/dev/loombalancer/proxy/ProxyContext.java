package dev.loombalancer.proxy;

import dev.loombalancer.policy.SelectionPolicy;
import java.util.concurrent.ThreadFactory;

/**
 * What every proxied connection of one balancer shares.
 *
 * @param connector        opens backend connections, with failover
 * @param policy           told where each client got connected (sticky sessions remember it)
 * @param pipeThreads      makes the two pipe threads of each connection
 * @param whenUnavailable  what a client gets when no backend answers
 */
public record ProxyContext(BackendConnector connector, SelectionPolicy policy, ThreadFactory pipeThreads,
                           WhenUnavailable whenUnavailable) {
}
