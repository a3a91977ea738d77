package dev.loombalancer.server;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One of a service's SNI routes: TLS clients asking for one of {@code serverNames} go to
 * this route's own pool, with its own strategy, health checks and weights, as nginx's
 * {@code ssl_preread} map, HAProxy's {@code req.ssl_sni} and Traefik's {@code HostSNI} do.
 *
 * @param serverNames exact names ({@code a.example}) or wildcards ({@code *.b.example}: any
 *                    name below b.example, at any depth), lower-case
 * @param pool        the route's backends and settings; its name is the route's name
 */
public record SniRoute(List<String> serverNames, BalancerConfig pool) {

    public SniRoute {
        Objects.requireNonNull(pool, "pool");
        serverNames = serverNames.stream().map(name -> name.toLowerCase(Locale.ROOT)).toList();
        if (serverNames.isEmpty()) {
            throw new IllegalArgumentException("a route needs at least one server name ('sni')");
        }
        for (String name : serverNames) {
            String bare = name.startsWith("*.") ? name.substring(2) : name;
            if (bare.isEmpty() || bare.length() > 253 || bare.startsWith(".") || bare.endsWith(".") || bare.contains("..")
                    || !bare.chars().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_')) {
                throw new IllegalArgumentException("'" + name + "' is not a server name: a DNS name such as a.example, "
                        + "or a wildcard such as *.b.example");
            }
        }
        if (!pool.routes().isEmpty()) {
            throw new IllegalArgumentException("a route cannot have routes of its own");
        }
    }
}
