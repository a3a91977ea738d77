package dev.loombalancer.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The PROXY protocol header we send a backend before the client's first byte, so that it
 * sees the client's real address (HAProxy's specification, {@code doc/proxy-protocol.txt}):
 * version 1 is a text line, version 2 binary.
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

    private ProxyHeader() {
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
