package dev.loombalancer.net;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The PROXY protocol header (HAProxy's specification, {@code doc/proxy-protocol.txt}):
 * version 1 is a text line, version 2 binary. We send one to a backend before the client's
 * first byte, so that it sees the client's real address ({@code --send-proxy}), and read one
 * from an upstream balancer we trust ({@code --accept-proxy}).
 */
public final class ProxyHeader {

    /** {@code --send-proxy v1|v2}. */
    public enum Version {
        V1, V2;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The 12 bytes every version 2 header starts with. */
    private static final byte[] SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    private static final byte V2_PROXY = 0x21; // version 2, command PROXY: relayed for a client
    private static final byte V2_LOCAL = 0x20; // version 2, command LOCAL: our own connection (a health check)
    private static final byte TCP_OVER_IPV4 = 0x11;
    private static final byte TCP_OVER_IPV6 = 0x21;
    private static final byte UNSPEC = 0x00;

    /** The longest version 1 line the specification allows, CRLF included. */
    static final int V1_MAX = 107;
    /** The longest header read: version 2 allows 64 KiB of TLVs, but no upstream sends more than a few. */
    public static final int MAX_LENGTH = 4096;
    private static final byte[] V1_START = "PROXY ".getBytes(StandardCharsets.US_ASCII);

    private ProxyHeader() {
    }

    /**
     * A header read from an upstream balancer: its length in bytes, and the client it
     * relays for, or null where it names none (v2 LOCAL, v1 UNKNOWN, another family): then
     * the connection's own endpoints count, as the specification says.
     */
    public record Received(int length, InetSocketAddress client) {
    }

    /** A header that breaks the specification: the connection is closed, with this reason. */
    public static final class Malformed extends IOException {
        public Malformed(String reason) {
            super(reason);
        }
    }

    /**
     * Parses the header at the start of {@code bytes[0, length)}, as far as it has arrived.
     *
     * @return the header, or null if more bytes are needed to tell
     * @throws Malformed if no valid header can start so, or it is longer than {@link #MAX_LENGTH}
     */
    public static Received parse(byte[] bytes, int length) throws Malformed {
        if (startsLike(bytes, length, SIGNATURE)) {
            return length < SIGNATURE.length ? null : parseV2(bytes, length);
        }
        if (startsLike(bytes, length, V1_START)) {
            return length < V1_START.length ? null : parseV1(bytes, length);
        }
        throw new Malformed("no PROXY protocol header (the connection must start with one)");
    }

    /** Whether the first bytes agree with {@code prefix}, as far as either goes. */
    private static boolean startsLike(byte[] bytes, int length, byte[] prefix) {
        for (int i = 0; i < Math.min(length, prefix.length); i++) {
            if (bytes[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static Received parseV2(byte[] bytes, int length) throws Malformed {
        if (length < 16) {
            return null;
        }
        ByteBuffer header = ByteBuffer.wrap(bytes, 0, length);
        int versionAndCommand = header.get(12) & 0xFF;
        int familyAndTransport = header.get(13) & 0xFF;
        int addressLength = header.getShort(14) & 0xFFFF;
        if (versionAndCommand >> 4 != 2) {
            throw new Malformed("PROXY v2 header of version " + (versionAndCommand >> 4));
        }
        int command = versionAndCommand & 0x0F;
        if (command > 1) {
            throw new Malformed("PROXY v2 header with command " + command + " (0 LOCAL or 1 PROXY)");
        }
        if (16 + addressLength > MAX_LENGTH) {
            throw new Malformed("PROXY v2 header of " + (16 + addressLength) + " bytes (at most " + MAX_LENGTH + ")");
        }
        int family = familyAndTransport >> 4;
        int transport = familyAndTransport & 0x0F;
        int needed = family == 1 ? 12 : family == 2 ? 36 : family == 3 ? 216 : 0;
        if (family > 3 || transport > 2) {
            throw new Malformed("PROXY v2 header with family/transport byte 0x" + Integer.toHexString(familyAndTransport));
        }
        if (addressLength < needed) {
            throw new Malformed("PROXY v2 header with " + addressLength + " address bytes, too few for its family");
        }
        if (length < 16 + addressLength) {
            return null;
        }
        if (command == 0 || transport != 1 || family == 0 || family == 3) {
            return new Received(16 + addressLength, null); // LOCAL, not TCP, or no IP address: the endpoints count
        }
        byte[] source = new byte[family == 1 ? 4 : 16];
        header.get(16, source);
        int sourcePort = header.getShort(16 + 2 * source.length) & 0xFFFF;
        try {
            return new Received(16 + addressLength, new InetSocketAddress(InetAddress.getByAddress(source), sourcePort));
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes are always an address", e);
        }
    }

    private static Received parseV1(byte[] bytes, int length) throws Malformed {
        int end = -1;
        for (int i = 0; i < Math.min(length, V1_MAX); i++) {
            if (bytes[i] == '\n') {
                end = i;
                break;
            }
        }
        if (end < 0) {
            if (length >= V1_MAX) {
                throw new Malformed("PROXY v1 header without CRLF in its first " + V1_MAX + " bytes");
            }
            return null;
        }
        if (bytes[end - 1] != '\r') {
            throw new Malformed("PROXY v1 header ends with LF, not CRLF");
        }
        String line = new String(bytes, 0, end - 1, StandardCharsets.US_ASCII);
        String[] fields = line.split(" ", -1);
        if (fields.length >= 2 && fields[1].equals("UNKNOWN")) {
            return new Received(end + 1, null); // the rest of the line is to be ignored
        }
        if (fields.length != 6 || !(fields[1].equals("TCP4") || fields[1].equals("TCP6"))) {
            throw new Malformed("PROXY v1 header is not 'PROXY TCP4|TCP6 SOURCE DESTINATION SPORT DPORT' or 'PROXY UNKNOWN'");
        }
        boolean v4 = fields[1].equals("TCP4");
        InetAddress source = literal(fields[2], v4);
        literal(fields[3], v4);
        int sourcePort = port(fields[4]);
        port(fields[5]);
        return new Received(end + 1, new InetSocketAddress(source, sourcePort));
    }

    /** An address of the family the line names; no name is ever looked up. */
    private static InetAddress literal(String text, boolean v4) throws Malformed {
        // Shaped so that getByName only parses: a literal starts with a hex digit or ':' (see
        // InetAddress.getAllByName), and anything else would be looked up as a name.
        boolean shaped = !text.isEmpty() && (Character.digit(text.charAt(0), 16) >= 0 || text.charAt(0) == ':')
                && (v4 ? !text.contains(":") : text.contains(":") && !text.contains("%")) && HostPort.isIpLiteral(text);
        if (shaped) {
            try {
                InetAddress address = InetAddress.getByName(text); // a literal: parsed, never resolved
                if (address instanceof Inet4Address == v4) {
                    return address;
                }
            } catch (java.net.UnknownHostException e) {
                // falls through: not a valid literal after all
            }
        }
        throw new Malformed("PROXY v1 header with '" + printable(text) + "' for an " + (v4 ? "IPv4" : "IPv6") + " address");
    }

    private static int port(String text) throws Malformed {
        if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')
                || (text.length() > 1 && text.charAt(0) == '0') || Integer.parseInt(text) > 65535) {
            throw new Malformed("PROXY v1 header with '" + printable(text) + "' for a port");
        }
        return Integer.parseInt(text);
    }

    /** What a log line may quote of a hostile peer's bytes. */
    private static String printable(String text) {
        StringBuilder out = new StringBuilder();
        text.codePoints().limit(48).forEach(c -> out.append(c >= 0x20 && c < 0x7F ? (char) c : '?'));
        return out.toString();
    }

    /**
     * The header for a client's connection: {@code client} is who connected, {@code local}
     * the balancer's address they connected to. Addresses of two families (which a
     * dual-stack listener never gives, as the JDK unmaps IPv4-mapped addresses) are sent as
     * unknown: v1 {@code UNKNOWN}, v2 AF_UNSPEC.
     */
    public static byte[] forClient(Version version, InetSocketAddress client, InetSocketAddress local) {
        InetAddress source = client.getAddress();
        InetAddress destination = local.getAddress();
        boolean v4 = source instanceof Inet4Address && destination instanceof Inet4Address;
        boolean v6 = source instanceof Inet6Address && destination instanceof Inet6Address;
        if (version == Version.V1) {
            if (!v4 && !v6) {
                return "PROXY UNKNOWN\r\n".getBytes(StandardCharsets.US_ASCII);
            }
            // Addresses in their plain textual form, as the specification asks (no brackets).
            String line = "PROXY " + (v4 ? "TCP4 " : "TCP6 ") + HostPort.address(source) + " "
                    + HostPort.address(destination) + " " + client.getPort() + " " + local.getPort() + "\r\n";
            return line.getBytes(StandardCharsets.US_ASCII);
        }
        if (!v4 && !v6) {
            return v2(V2_PROXY, UNSPEC, new byte[0]);
        }
        byte[] src = source.getAddress();
        byte[] dst = destination.getAddress();
        ByteBuffer block = ByteBuffer.allocate(src.length + dst.length + 4);
        block.put(src).put(dst).putShort((short) client.getPort()).putShort((short) local.getPort());
        return v2(V2_PROXY, v4 ? TCP_OVER_IPV4 : TCP_OVER_IPV6, block.array());
    }

    /** The header a health check sends: v2 LOCAL, v1 {@code UNKNOWN}; the receiver then uses the real endpoints. */
    public static byte[] forHealthCheck(Version version) {
        return version == Version.V1 ? "PROXY UNKNOWN\r\n".getBytes(StandardCharsets.US_ASCII)
                : v2(V2_LOCAL, UNSPEC, new byte[0]);
    }

    private static byte[] v2(byte versionAndCommand, byte familyAndTransport, byte[] addresses) {
        ByteBuffer header = ByteBuffer.allocate(16 + addresses.length);
        header.put(SIGNATURE).put(versionAndCommand).put(familyAndTransport).putShort((short) addresses.length)
                .put(addresses);
        return header.array();
    }
}
