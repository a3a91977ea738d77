package dev.loombalancer.admission;

import java.util.List;

/**
 * Who may use the balancer, and how much of it one client may take.
 *
 * @param allow                    client networks that are proxied; empty: everyone
 * @param maxConnectionsPerClient  connections one client address may hold at once; 0: no limit
 */
public record AdmissionRules(List<Cidr> allow, int maxConnectionsPerClient) {

    /** Everyone, with no per-client limit: the default. */
    public static final AdmissionRules OPEN = new AdmissionRules(List.of(), 0);

    public AdmissionRules {
        allow = List.copyOf(allow);
        if (maxConnectionsPerClient < 0) {
            throw new IllegalArgumentException("--max-connections-per-client must be 0 (no limit) or more, not "
                    + maxConnectionsPerClient);
        }
    }
}
