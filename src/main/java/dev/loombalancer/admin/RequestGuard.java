package dev.loombalancer.admin;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import dev.loombalancer.net.HostPort;
import java.io.IOException;
import java.net.Inet4Address;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Keeps web pages out of the admin endpoint. A page on any site a local user visits can
 * make the browser send requests to 127.0.0.1; two defences stop what it could do:
 *
 * <ul>
 *   <li><b>DNS rebinding</b> (a page reading {@code /status} through a name of its own that
 *       it re-points at 127.0.0.1): the {@code Host} header must be an IP literal,
 *       {@code localhost}, or a name the operator listed. A rebound name is none of these.
 *   <li><b>Cross-site requests</b> (a form that POSTs {@code /backends/…/drain}): an
 *       operate request is refused if the browser says it comes from another origin
 *       ({@code Origin}, {@code Sec-Fetch-Site}), or if it has a content type that a
 *       cross-site form may send without asking (form encodings, text/plain); and it
 *       needs the bearer token when one is configured.
 * </ul>
 *
 * Every refusal is a 4xx with a one-line reason, counted by reason for the metrics.
 */
final class RequestGuard extends Filter {

    /** Why a request was refused; the name is the metric's label. */
    enum Refusal { FOREIGN_HOST, CROSS_SITE, BAD_TOKEN, IPV6_ON_IPV4_ONLY }

    private static final List<String> FORM_TYPES =
            List.of("application/x-www-form-urlencoded", "multipart/form-data", "text/plain");

    private final AdminAccess access;
    private final boolean operate;
    private final boolean ipv4Only;
    private final Map<Refusal, LongAdder> refused;

    /**
     * @param operate  whether the endpoint changes state (needs the token, refuses cross-site)
     * @param ipv4Only whether the endpoint was bound to {@code 0.0.0.0}, which promises IPv4
     *                 clients only; the JDK's HTTP server cannot open an IPv4-only socket, so
     *                 IPv6 clients are refused here, before anything else is read
     */
    RequestGuard(AdminAccess access, boolean operate, boolean ipv4Only, Map<Refusal, LongAdder> refused) {
        this.access = access;
        this.operate = operate;
        this.ipv4Only = ipv4Only;
        this.refused = refused;
    }

    /** One counter per reason, shared by every endpoint's guard. */
    static Map<Refusal, LongAdder> counters() {
        Map<Refusal, LongAdder> counters = new EnumMap<>(Refusal.class);
        for (Refusal reason : Refusal.values()) {
            counters.put(reason, new LongAdder());
        }
        return counters;
    }

    @Override
    public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
        // An IPv4 client of a dual-stack socket shows as an Inet4Address (the JDK unmaps ::ffff:a.b.c.d).
        if (ipv4Only && !(exchange.getRemoteAddress().getAddress() instanceof Inet4Address)) {
            refuse(exchange, Refusal.IPV6_ON_IPV4_ONLY, 403, "this endpoint listens on 0.0.0.0, IPv4 only; "
                    + "for IPv6 clients too, start it with --admin [::]:" + exchange.getLocalAddress().getPort());
            return;
        }
        Headers headers = exchange.getRequestHeaders();
        String host = headers.getFirst("Host");
        if (host != null && !allowedHost(host)) {
            refuse(exchange, Refusal.FOREIGN_HOST, 421, "Host '" + host + "' is not this endpoint's; use its IP "
                    + "address or localhost, or list the name with --admin-host");
            return;
        }
        if (operate) {
            String crossSite = crossSite(headers, host);
            if (crossSite != null) {
                refuse(exchange, Refusal.CROSS_SITE, 403, crossSite);
                return;
            }
            if (access.operateToken().isPresent() && !tokenGiven(headers)) {
                exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
                refuse(exchange, Refusal.BAD_TOKEN, 401,
                        "this endpoint needs 'Authorization: Bearer TOKEN' with the token from --admin-token-file");
                return;
            }
        }
        chain.doFilter(exchange);
    }

    @Override
    public String description() {
        return "Host check" + (operate ? ", same-origin and token checks" : "");
    }

    private boolean allowedHost(String hostHeader) {
        String host = hostOf(hostHeader).toLowerCase(Locale.ROOT);
        return host.equals("localhost") || HostPort.isIpLiteral(host) || access.hostNames().contains(host);
    }

    /** Why the request looks like a browser's cross-site one, or null. */
    private static String crossSite(Headers headers, String host) {
        String fetchSite = headers.getFirst("Sec-Fetch-Site");
        if (fetchSite != null && !fetchSite.equals("same-origin") && !fetchSite.equals("none")) {
            return "cross-site request refused (Sec-Fetch-Site: " + fetchSite + ")";
        }
        String origin = headers.getFirst("Origin");
        if (origin != null && (host == null || !origin.equalsIgnoreCase("http://" + host))) {
            return "cross-site request refused (Origin: " + origin + ")";
        }
        String type = headers.getFirst("Content-Type");
        if (type != null) {
            String mediaType = type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
            if (FORM_TYPES.contains(mediaType)) {
                return "a form's content type (" + mediaType + ") is refused: these requests take no body";
            }
        }
        return null;
    }

    private boolean tokenGiven(Headers headers) {
        String authorization = headers.getFirst("Authorization");
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return access.tokenMatches(authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8));
    }

    private void refuse(HttpExchange exchange, Refusal reason, int code, String message) throws IOException {
        refused.get(reason).increment();
        AdminServer.error(exchange, code, message);
    }

    /** The host part of a Host header: "[::1]:9900" → "::1", "127.0.0.1:9900" → "127.0.0.1". */
    static String hostOf(String hostHeader) {
        String value = hostHeader.trim();
        if (value.startsWith("[")) {
            int end = value.indexOf(']');
            return end < 0 ? value : value.substring(1, end);
        }
        int colon = value.lastIndexOf(':');
        return colon < 0 || value.indexOf(':') != colon ? value : value.substring(0, colon);
    }
}
