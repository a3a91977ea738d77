package dev.loombalancer.server;

import dev.loombalancer.logging.DurationText;
import dev.loombalancer.admission.AdmissionRules;
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

    static String of(InetSocketAddress listen, BackendPool pool, String strategy, BalancerConfig config,
                     ConnectionLimit limit) {
        List<String> parts = new ArrayList<>();
        parts.add(config.logPrefix() + "listening on " + HostPort.format(listen));
        parts.add(pool.size() + " backend" + (pool.size() == 1 ? "" : "s") + " (" + backends(pool) + ")");
        parts.add("strategy " + strategy);
        parts.add(config.health().describe());
        if (config.idleTimeout() != null) {
            parts.add("idle timeout " + DurationText.of(config.idleTimeout()));
        }
        parts.add(limit.describe());
        AdmissionRules admission = config.admission();
        if (!admission.allow().isEmpty()) {
            int networks = admission.allow().size();
            parts.add("clients from " + (networks <= NETWORKS_SHOWN ? admission.allow().toString()
                    : admission.allow().subList(0, NETWORKS_SHOWN) + " and " + (networks - NETWORKS_SHOWN) + " more"));
        }
        if (admission.maxConnectionsPerClient() > 0) {
            parts.add("at most " + admission.maxConnectionsPerClient() + " connections per client");
        }
        return String.join(", ", parts);
    }

    private static String backends(BackendPool pool) {
        String shown = pool.backends().stream().limit(BACKENDS_SHOWN)
                .map(Object::toString).collect(Collectors.joining(", "));
        return pool.size() > BACKENDS_SHOWN ? shown + ", …" : shown;
    }
}
