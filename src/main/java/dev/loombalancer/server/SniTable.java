package dev.loombalancer.server;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which route takes a server name: an exact name first, else the longest wildcard that
 * covers it ({@code *.b.example} covers {@code x.b.example} and {@code x.y.b.example}, not
 * {@code b.example}), else none: the service's default pool.
 */
final class SniTable<T> {

    private final Map<String, T> exact = new HashMap<>();
    private final List<Map.Entry<String, T>> wildcards = new ArrayList<>(); // ".b.example", longest first

    /**
     * @throws IllegalArgumentException if a name is given to two routes
     */
    void add(List<String> names, T target, String routeName) {
        for (String name : names) {
            boolean wildcard = name.startsWith("*.");
            String key = wildcard ? name.substring(1) : name;
            boolean taken = wildcard ? wildcards.stream().anyMatch(e -> e.getKey().equals(key)) : exact.containsKey(key);
            if (taken) {
                throw new IllegalArgumentException("server name '" + name + "' is in two routes (the second is "
                        + routeName + "); give each name to one route");
            }
            if (wildcard) {
                wildcards.add(Map.entry(key, target));
                wildcards.sort(Comparator.comparingInt((Map.Entry<String, T> e) -> e.getKey().length()).reversed());
            } else {
                exact.put(key, target);
            }
        }
    }

    /** The route for {@code serverName} (lower-case), or null for the default pool. */
    T match(String serverName) {
        if (serverName == null) {
            return null;
        }
        T found = exact.get(serverName);
        if (found != null) {
            return found;
        }
        for (Map.Entry<String, T> wildcard : wildcards) {
            if (serverName.endsWith(wildcard.getKey()) && serverName.length() > wildcard.getKey().length()) {
                return wildcard.getValue();
            }
        }
        return null;
    }
}
