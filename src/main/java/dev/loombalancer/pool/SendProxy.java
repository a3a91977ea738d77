package dev.loombalancer.pool;

import dev.loombalancer.net.ProxyHeader;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * {@code --send-proxy}: the PROXY protocol header each backend's connections and probes
 * start with. The service's, unless a backend sets its own (HAProxy's per-server
 * {@code send-proxy}), which may be none.
 *
 * @param service  the service's version; null for none
 * @param backends the backends that differ: their version, or empty for none
 */
public record SendProxy(ProxyHeader.Version service, Map<Backend, Optional<ProxyHeader.Version>> backends) {

    /** No header for anyone: the default. */
    public static final SendProxy NONE = new SendProxy(null, Map.of());

    public SendProxy {
        backends = Map.copyOf(backends);
    }

    /** The same, for these backends only: what a change of backends keeps. */
    public SendProxy onlyFor(Collection<Backend> kept) {
        Map<Backend, Optional<ProxyHeader.Version>> own = new HashMap<>(backends);
        own.keySet().retainAll(kept);
        return own.size() == backends.size() ? this : new SendProxy(service, own);
    }

    /** The version {@code backend}'s connections start with, or null for none. */
    public ProxyHeader.Version of(Backend backend) {
        Optional<ProxyHeader.Version> own = backends.get(backend);
        return own != null ? own.orElse(null) : service;
    }
}
