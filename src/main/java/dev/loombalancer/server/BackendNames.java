package dev.loombalancer.server;

import dev.loombalancer.net.DnsLookup;
import dev.loombalancer.pool.Backend;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * Backends given by DNS name, which are looked up again every {@code interval} while the
 * balancer runs, beside the ones given by address.
 *
 * @param fixed     the backends given by IP address, which no lookup changes
 * @param hosts     names whose every A and AAAA answer is a backend, on each of their ports
 * @param srv       SRV names ({@code _service._proto.domain}): each answer's target and port
 *                  is a backend, with its weight; answers beyond the lowest priority are backups
 * @param interval  how often the names are looked up again
 * @param dnsServer the DNS server to ask, or null for the system's resolver
 */
public record BackendNames(List<Backend> fixed, List<Host> hosts, List<String> srv, Duration interval,
                           InetSocketAddress dnsServer) {

    /** A name and its ports: {@code app.example:443} or {@code app.example:8000-8003}. */
    public record Host(String name, int firstPort, int lastPort) {
    }

    /** nginx re-resolves at the answer's TTL, HAProxy holds a good answer 10 s; 5 s sits between. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);

    public BackendNames {
        fixed = List.copyOf(fixed);
        hosts = List.copyOf(hosts);
        srv = List.copyOf(srv);
    }

    /** Whether any backend is given by name. */
    public boolean any() {
        return !hosts.isEmpty() || !srv.isEmpty();
    }

    public DnsLookup lookup() {
        return dnsServer == null ? DnsLookup.system() : DnsLookup.server(dnsServer);
    }
}
