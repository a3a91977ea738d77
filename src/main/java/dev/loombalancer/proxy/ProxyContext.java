package dev.loombalancer.proxy;

import dev.loombalancer.pool.SendProxy;
import dev.loombalancer.policy.SelectionPolicy;
import java.util.concurrent.ThreadFactory;

/**
 * What every proxied connection of one balancer shares.
 *
 * @param connector        opens backend connections, with failover
 * @param policy           told where each client got connected (sticky sessions remember it)
 * @param pipeThreads      makes the two pipe threads of each connection
 * @param whenUnavailable  what a client gets when no backend answers
 * @param service          the service's name for the access log, or null for the command line's one service
 * @param sendProxy        the PROXY protocol header each backend's connections start with
 * @param keepAlive        SO_KEEPALIVE on the client's socket (the connector sets the backend's)
 */
public record ProxyContext(BackendConnector connector, SelectionPolicy policy, ThreadFactory pipeThreads,
                           WhenUnavailable whenUnavailable, String service, SendProxy sendProxy,
                           boolean keepAlive) {

    /** "service=web " before an access line's fields, or "" for the command line's one service. */
    String accessPrefix() {
        return service == null ? "" : "service=" + service + " ";
    }
}
