package dev.loombalancer.admin;

import java.security.MessageDigest;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Who may use the admin endpoint, at its two levels (as HAProxy splits its stats page from
 * its runtime API): <em>read</em> ({@code GET /metrics}, {@code /status},
 * {@code /healthz}) and <em>operate</em> ({@code POST /backends/…}, which changes state).
 *
 * @param operateToken the bearer token an operate request must carry; empty: none needed
 *                     (allowed on loopback only, which the command line enforces)
 * @param hostNames    names, besides IP literals and {@code localhost}, that requests may
 *                     give in their {@code Host} header ({@code --admin-host})
 */
public record AdminAccess(Optional<byte[]> operateToken, List<String> hostNames) {

    /** No token, IP literals and localhost only: for a loopback endpoint. */
    public static final AdminAccess LOOPBACK = new AdminAccess(Optional.empty(), List.of());

    public AdminAccess {
        hostNames = hostNames.stream().map(name -> name.toLowerCase(Locale.ROOT)).toList();
    }

    /** Whether {@code presented} is the operate token, compared in constant time. */
    boolean tokenMatches(byte[] presented) {
        return operateToken.map(token -> MessageDigest.isEqual(token, presented)).orElse(true);
    }
}
