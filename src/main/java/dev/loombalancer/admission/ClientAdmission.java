package dev.loombalancer.admission;

import dev.loombalancer.net.HostPort;
import java.net.InetAddress;
import java.util.List;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.tinylog.Logger;

/**
 * Decides, at accept, whether a client is proxied: {@code --allow} and
 * {@code --max-connections-per-client}. It runs on the accept thread before anything is
 * allocated for the client, so a refused client costs one map lookup and a close.
 *
 * <p>The per-client count is a {@link ConcurrentHashMap} of counts changed only inside
 * {@code compute}, which runs atomically per key: no lock is held across any I/O, and an
 * address whose last connection ends is removed, so the map holds only clients that are
 * connected now.
 */
public final class ClientAdmission {

    /** Why a client was turned away; the name is the label in the metrics. */
    public enum Refusal {
        NOT_ALLOWED("not in --allow"),
        PER_CLIENT_LIMIT("over --max-connections-per-client");

        private final String why;

        Refusal(String why) {
            this.why = why;
        }

        /** The metric label: not_allowed, per_client_limit. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final List<Cidr> allow;
    private final int maxPerClient;
    private final ConcurrentHashMap<InetAddress, Integer> perClient = new ConcurrentHashMap<>();
    private final Map<Refusal, LongAdder> refused = new EnumMap<>(Refusal.class);
    // Whether each reason's first refusal has been logged: later ones are only counted.
    private final Map<Refusal, AtomicBoolean> logged = new EnumMap<>(Refusal.class);

    public ClientAdmission(AdmissionRules rules) {
        this.allow = rules.allow();
        this.maxPerClient = rules.maxConnectionsPerClient();
        for (Refusal reason : Refusal.values()) {
            refused.put(reason, new LongAdder());
            logged.put(reason, new AtomicBoolean());
        }
    }

    /**
     * Admits the client, or says why not. An admitted client must be {@link #release}d when
     * its connection ends; a refused one is already counted and logged.
     *
     * @return empty when admitted, else why the client is refused
     */
    public Optional<Refusal> admit(InetAddress client) {
        if (!allow.isEmpty() && !allowed(client)) {
            return refuse(Refusal.NOT_ALLOWED, client);
        }
        if (maxPerClient > 0) {
            boolean[] admitted = new boolean[1];
            perClient.compute(client, (address, count) -> {
                int now = count == null ? 0 : count;
                if (now >= maxPerClient) {
                    return count;
                }
                admitted[0] = true;
                return now + 1;
            });
            if (!admitted[0]) {
                return refuse(Refusal.PER_CLIENT_LIMIT, client);
            }
        }
        return Optional.empty();
    }

    /** A plain loop, not a stream: this runs on the accept thread for every client. */
    private boolean allowed(InetAddress client) {
        for (Cidr network : allow) {
            if (network.contains(client)) {
                return true;
            }
        }
        return false;
    }

    /** The admitted client's connection has ended. */
    public void release(InetAddress client) {
        if (maxPerClient > 0) {
            perClient.computeIfPresent(client, (address, count) -> count == 1 ? null : count - 1);
        }
    }

    /** Clients refused for this reason since start. */
    public long refused(Refusal reason) {
        return refused.get(reason).sum();
    }

    /** Client addresses holding at least one connection, when a per-client limit is set (else 0). */
    public int clientsTracked() {
        return perClient.size();
    }

    private Optional<Refusal> refuse(Refusal reason, InetAddress client) {
        refused.get(reason).increment();
        // One line the first time, not one per client: a scan or a flood must not flood the log.
        if (logged.get(reason).compareAndSet(false, true)) {
            // The metric's name is an argument, not part of the format: tinylog reads braces there.
            Logger.warn("refused client {}: {}; further refusals are counted in {}, not logged", HostPort.address(client),
                    reason.why, "loom_connections_rejected_total{reason=\"" + reason.label() + "\"}");
        } else {
            Logger.debug("refused client {}: {}", HostPort.address(client), reason.why);
        }
        return Optional.of(reason);
    }
}
