package dev.loombalancer.net;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads and writes the address forms our users type: {@code PORT}, {@code HOST:PORT},
 * {@code [IPV6]:PORT}, and port ranges {@code HOST:FIRST-LAST}.
 *
 * <p>Every parse error is an {@link IllegalArgumentException} whose message is one line a
 * user can act on; the command line turns it into a usage error.
 */
public final class HostPort {

    private HostPort() {
    }

    /**
     * Parses a listen address: {@code PORT}, {@code :PORT}, {@code HOST:PORT} or
     * {@code [IPV6]:PORT}; without a host it listens on {@code defaultHost}. Port 0 is
     * allowed and means "any free port".
     */
    public static InetSocketAddress parseListen(String spec, String defaultHost) {
        String text = spec.strip();
        if (text.isEmpty()) {
            throw new IllegalArgumentException("the listen address is empty; write [HOST:]PORT (example: 8000 or 127.0.0.1:8000)");
        }
        if (text.chars().allMatch(Character::isDigit)) {
            return resolve(defaultHost, parsePort(text, 0), spec);
        }
        if (text.startsWith(":")) {
            return resolve(defaultHost, parsePort(text.substring(1), 0), spec);
        }
        Split split = split(text, spec);
        return resolve(split.host, parsePort(split.port, 0), spec);
    }

    /**
     * Parses one backend spec, {@code HOST:PORT} or {@code HOST:FIRST-LAST}, into one address
     * per port. The host is resolved once, so a range of 5,000 ports costs one lookup.
     */
    public static List<InetSocketAddress> parseBackends(String spec) {
        BackendSpec shape = parseBackendSpec(spec);
        InetAddress host = resolve(shape.host(), shape.firstPort(), spec).getAddress();
        List<InetSocketAddress> addresses = new ArrayList<>(shape.lastPort() - shape.firstPort() + 1);
        for (int port = shape.firstPort(); port <= shape.lastPort(); port++) {
            addresses.add(new InetSocketAddress(host, port));
        }
        return addresses;
    }

    /** A {@code --backend} item before any DNS lookup: its host, and its port or range of ports. */
    public record BackendSpec(String host, int firstPort, int lastPort) {
        /** Whether the host is an IP address, which needs no lookup. */
        public boolean isLiteral() {
            return isIpLiteral(host);
        }
    }

    /** Checks a {@code HOST:PORT} or {@code HOST:FIRST-LAST} item's shape and ports, without resolving anything. */
    public static BackendSpec parseBackendSpec(String spec) {
        Split split = split(spec.strip(), spec);
        if (split.host.isEmpty()) {
            throw new IllegalArgumentException("'" + spec + "' has an empty host");
        }
        int dash = split.port.indexOf('-');
        int first = parsePort(dash < 0 ? split.port : split.port.substring(0, dash), 1);
        int last = dash < 0 ? first : parsePort(split.port.substring(dash + 1), 1);
        if (last < first) {
            throw new IllegalArgumentException("'" + spec + "': port range " + split.port
                    + " runs backwards; write it as " + last + "-" + first);
        }
        return new BackendSpec(split.host, first, last);
    }

    /** An IPv4 dotted quad or an IPv6 literal; never resolves anything. */
    public static boolean isIpLiteral(String host) {
        if (host.contains(":")) {
            return host.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.' || c == '%');
        }
        String[] parts = host.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)
                    || Integer.parseInt(part) > 255) {
                return false;
            }
        }
        return true;
    }

    /** Formats an address the way users write it: {@code 127.0.0.1:9001}, {@code [::1]:9001}. */
    public static String format(InetSocketAddress address) {
        String host = address.getAddress() != null ? address(address.getAddress()) : address.getHostString();
        boolean v6 = address.getAddress() instanceof Inet6Address || host.indexOf(':') >= 0;
        return (v6 ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    /**
     * An address as people write it: IPv4 dotted, IPv6 in the compressed form of RFC 5952
     * ({@code ::1}, {@code 2001:db8::5}), not the JDK's full form ({@code 0:0:0:0:0:0:0:1}).
     */
    public static String address(InetAddress address) {
        if (!(address instanceof Inet6Address v6)) {
            return address.getHostAddress();
        }
        byte[] bytes = v6.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((bytes[2 * i] & 0xff) << 8) | (bytes[2 * i + 1] & 0xff);
        }
        // The longest run of two or more zero groups (the first, if tied) becomes "::".
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                text.append("::");
                i += bestLength - 1;
                continue;
            }
            if (text.length() > 0 && text.charAt(text.length() - 1) != ':') {
                text.append(':');
            }
            text.append(Integer.toHexString(groups[i]));
        }
        String full = v6.getHostAddress();
        int scope = full.indexOf('%');
        return scope < 0 ? text.toString() : text + full.substring(scope);
    }

    private record Split(String host, String port) {
    }

    /** Splits {@code HOST:PORT} or {@code [V6]:PORT}; a bare IPv6 address without brackets is ambiguous. */
    private static Split split(String text, String spec) {
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("'" + spec + "' is not [IPV6]:PORT (example: [::1]:9001)");
            }
            return new Split(text.substring(1, close), text.substring(close + 2));
        }
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("'" + spec + "' has no port; write HOST:PORT (example: 127.0.0.1:9001)");
        }
        if (text.indexOf(':') != colon) {
            throw new IllegalArgumentException("'" + spec + "' looks like an IPv6 address; put it in brackets: [" + text.substring(0, colon) + "]:" + text.substring(colon + 1));
        }
        if (colon == 0) {
            throw new IllegalArgumentException("'" + spec + "' has no host; write HOST:PORT (example: 127.0.0.1:9001)");
        }
        return new Split(text.substring(0, colon), text.substring(colon + 1));
    }

    private static int parsePort(String text, int lowest) {
        if (text.isEmpty() || text.length() > 6 || !text.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("'" + text + "' is not a port number (" + lowest + "-65535)");
        }
        int port = Integer.parseInt(text);
        if (port < lowest || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is outside " + lowest + "-65535");
        }
        return port;
    }

    private static InetSocketAddress resolve(String host, int port, String spec) {
        if (host.isEmpty()) {
            throw new IllegalArgumentException("'" + spec + "' has an empty host");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + spec + "': cannot resolve host '" + host + "'");
        }
    }
}
