package dev.loombalancer.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The PROXY protocol headers, byte for byte as HAProxy's doc/proxy-protocol.txt lays them out. */
class ProxyHeaderTest {

    private static final InetSocketAddress CLIENT_V4 = new InetSocketAddress("192.168.0.1", 56324);
    private static final InetSocketAddress LOCAL_V4 = new InetSocketAddress("192.168.0.11", 443);

    /** Version 1 is one text line: TCP4 or TCP6, source and destination addresses, then ports. */
    @Test
    void version1IsOneLine() {
        assertEquals("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n",
                new String(ProxyHeader.forClient(ProxyHeader.Version.V1, CLIENT_V4, LOCAL_V4), StandardCharsets.US_ASCII));
        assertEquals("PROXY TCP6 2001:db8::1 ::1 40000 8443\r\n", new String(ProxyHeader.forClient(ProxyHeader.Version.V1,
                new InetSocketAddress("2001:db8::1", 40000), new InetSocketAddress("::1", 8443)), StandardCharsets.US_ASCII));
        assertEquals("PROXY UNKNOWN\r\n", new String(ProxyHeader.forHealthCheck(ProxyHeader.Version.V1), StandardCharsets.US_ASCII));
    }

    /** Version 2: the signature, 0x21 (v2, PROXY), 0x11 (TCP over IPv4), length 12, addresses, ports. */
    @Test
    void version2IsBinary() {
        String signature = "0d0a0d0a000d0a515549540a";
        assertEquals(signature + "21" + "11" + "000c" + "c0a80001" + "c0a8000b" + "dc04" + "01bb",
                HexFormat.of().formatHex(ProxyHeader.forClient(ProxyHeader.Version.V2, CLIENT_V4, LOCAL_V4)));
        byte[] v6 = ProxyHeader.forClient(ProxyHeader.Version.V2, new InetSocketAddress("::1", 1), new InetSocketAddress("::1", 2));
        assertEquals(16 + 36, v6.length);
        assertEquals(0x21, v6[13] & 0xff, "TCP over IPv6");
        assertArrayEquals(HexFormat.of().parseHex(signature + "20" + "00" + "0000"),
                ProxyHeader.forHealthCheck(ProxyHeader.Version.V2), "LOCAL, AF_UNSPEC, no addresses");
    }
}
