package dev.loombalancer.server;

import dev.loombalancer.net.DnsLookup;
import dev.loombalancer.net.HostPort;
import dev.loombalancer.net.SocketErrors;
import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.Weighting;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tinylog.Logger;

/**
 * Turns {@link BackendNames} into backends: the fixed ones, then each name's answers in a
 * stable order (sorted, so an answer that only changes its order changes nothing). When a
 * lookup fails, the name keeps its last good answer, as gobetween's {@code keeplast}
 * does, and the failure is logged once, until the name answers again.
 */
public final class NameResolver {

    /** The backends and the weights and backups of those that have them. */
    public record Resolved(List<Backend> backends, Map<Backend, Weighting> weighting) {
    }

    /** A lookup failed and no earlier answer exists (at start): nothing to keep. */
    public static final class Unresolvable extends IOException {
        Unresolvable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final String logPrefix;
    private final Map<String, List<Answer>> lastGood = new HashMap<>();
    private final Map<String, String> failing = new HashMap<>();

    private record Answer(Backend backend, Weighting weighting) {
    }

    NameResolver(String logPrefix) {
        this.logPrefix = logPrefix;
    }

    /**
     * The backends at start: every name must answer, and none may answer with a backend
     * given already (while running, such answers are merged instead).
     */
    public static Resolved atStart(BackendNames names) throws Unresolvable {
        NameResolver resolver = new NameResolver("");
        resolver.strict = true;
        return resolver.resolve(names, Map.of());
    }

    private boolean strict;

    private void add(Map<Backend, Weighting> all, Answer answer, String name) {
        if (all.putIfAbsent(answer.backend(), answer.weighting()) != null && strict) {
            throw new IllegalArgumentException("backend " + answer.backend() + " is given twice (by '" + name
                    + "' and another entry); list each backend once");
        }
    }

    /** Looks every name up; a failure keeps the name's last answer, or throws if it has none. */
    Resolved resolve(BackendNames names, Map<Backend, Weighting> fixedWeighting) throws Unresolvable {
        DnsLookup lookup = names.lookup();
        Map<Backend, Weighting> all = new LinkedHashMap<>();
        for (Backend backend : names.fixed()) {
            all.put(backend, fixedWeighting.getOrDefault(backend, Weighting.DEFAULT));
        }
        for (BackendNames.Host host : names.hosts()) {
            String key = host.name() + ":" + host.firstPort()
                    + (host.lastPort() == host.firstPort() ? "" : "-" + host.lastPort());
            for (Answer answer : answers(key, lookup, () -> hostAnswers(lookup, host))) {
                add(all, answer, key);
            }
        }
        for (String srv : names.srv()) {
            for (Answer answer : answers(srv, lookup, () -> srvAnswers(lookup, srv))) {
                add(all, answer, srv);
            }
        }
        Map<Backend, Weighting> weighting = new HashMap<>();
        all.forEach((backend, share) -> {
            if (!share.equals(Weighting.DEFAULT)) {
                weighting.put(backend, share);
            }
        });
        return new Resolved(List.copyOf(all.keySet()), weighting);
    }

    private interface Query {
        List<Answer> run() throws IOException;
    }

    private List<Answer> answers(String name, DnsLookup lookup, Query query) throws Unresolvable {
        try {
            List<Answer> answers = query.run();
            lastGood.put(name, answers);
            if (failing.remove(name) != null) {
                Logger.info("{}{} answers again through {}: {} backends", logPrefix, name, lookup.describe(),
                        answers.size());
            }
            return answers;
        } catch (IOException | RuntimeException e) {
            List<Answer> kept = lastGood.get(name);
            if (kept == null) {
                throw new Unresolvable("cannot look up " + name + " through " + lookup.describe() + ": "
                        + SocketErrors.describe(e), e);
            }
            String why = SocketErrors.describe(e);
            if (!why.equals(failing.put(name, why))) {
                Logger.warn("{}looking up {} through {} failed: {}; keeping its last {} backend{}", logPrefix, name,
                        lookup.describe(), why, kept.size(), kept.size() == 1 ? "" : "s");
            }
            return kept;
        }
    }

    private static List<Answer> hostAnswers(DnsLookup lookup, BackendNames.Host host) throws IOException {
        List<InetAddress> addresses = new ArrayList<>(lookup.addresses(host.name()));
        addresses.sort(Comparator.comparing(HostPort::address));
        List<Answer> answers = new ArrayList<>();
        for (InetAddress address : addresses) {
            for (int port = host.firstPort(); port <= host.lastPort(); port++) {
                answers.add(new Answer(new Backend(new InetSocketAddress(address, port)), Weighting.DEFAULT));
            }
        }
        return answers;
    }

    /** Each SRV answer's target (every address of it) and port, weighted; higher priorities are backups. */
    private static List<Answer> srvAnswers(DnsLookup lookup, String name) throws IOException {
        List<DnsLookup.Srv> records = new ArrayList<>(lookup.srv(name));
        records.sort(Comparator.comparingInt(DnsLookup.Srv::priority).thenComparing(DnsLookup.Srv::target)
                .thenComparingInt(DnsLookup.Srv::port));
        int primary = records.get(0).priority();
        List<Answer> answers = new ArrayList<>();
        for (DnsLookup.Srv record : records) {
            // An SRV weight of 0 means "rarely": the least weight there is here.
            Weighting share = new Weighting(Math.clamp(record.weight(), 1, Weighting.MAX_WEIGHT),
                    record.priority() > primary);
            List<InetAddress> addresses = new ArrayList<>(lookup.addresses(record.target()));
            addresses.sort(Comparator.comparing(HostPort::address));
            for (InetAddress address : addresses) {
                answers.add(new Answer(new Backend(new InetSocketAddress(address, record.port())), share));
            }
        }
        return answers;
    }
}
