package dev.loombalancer.server;

import dev.loombalancer.logging.DurationText;
import dev.loombalancer.admission.AdmissionRules;
import dev.loombalancer.admission.Cidr;
import dev.loombalancer.net.HostPort;
import dev.loombalancer.pool.BackendPool;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The one line a balancer logs when it starts accepting: where it listens, where clients
 * go and how, and the limits in force, so an operator can check the configuration at a
 * glance.
 */
final class StartupLine {

    private static final int BACKENDS_SHOWN = 5;
    private static final int NETWORKS_SHOWN = 3;

    private StartupLine() {
    }

    static String of(String where, BackendPool pool, String strategy, BalancerConfig config, ConnectionLimit limit) {
        List<String> parts = new ArrayList<>();
        parts.add(config.logPrefix() + where);
        parts.add(pool.size() + " backend" + (pool.size() == 1 ? "" : "s") + " (" + backends(pool) + ")");
        parts.add("strategy " + strategy);
        parts.add(config.health().describe());
        if (config.idleTimeout() != null) {
            parts.add("idle timeout " + DurationText.of(config.idleTimeout()));
        }
        parts.add(limit.describe());
        AdmissionRules admission = config.admission();
        if (!admission.allow().isEmpty()) {
            parts.add("clients from " + networks(admission.allow()));
        }
        if (admission.maxConnectionsPerClient() > 0) {
            parts.add("at most " + admission.maxConnectionsPerClient() + " connections per client");
        }
        List<Cidr> upstreams = config.preread().acceptProxy();
        if (!upstreams.isEmpty()) {
            parts.add("PROXY headers from " + networks(upstreams));
        }
        if (!config.routes().isEmpty()) {
            parts.add(config.routes().size() + " SNI route" + (config.routes().size() == 1 ? "" : "s")
                    + " (" + config.routes().stream().map(r -> r.pool().name()).collect(Collectors.joining(", ")) + ")");
        }
        if (config.sendProxy().service() != null) {
            parts.add("sending PROXY " + config.sendProxy().service());
        }
        if (!config.sendProxy().backends().isEmpty()) {
            parts.add(config.sendProxy().backends().size() + " backend" + (config.sendProxy().backends().size() == 1
                    ? "" : "s") + " with a PROXY setting of their own");
        }
        return String.join(", ", parts);
    }

    private static String networks(List<Cidr> networks) {
        return networks.size() <= NETWORKS_SHOWN ? networks.toString()
                : networks.subList(0, NETWORKS_SHOWN) + " and " + (networks.size() - NETWORKS_SHOWN) + " more";
    }

    private static String backends(BackendPool pool) {
        String shown = pool.backends().stream().limit(BACKENDS_SHOWN)
                .map(Object::toString).collect(Collectors.joining(", "));
        return pool.size() > BACKENDS_SHOWN ? shown + ", …" : shown;
    }
}
