package dev.loombalancer.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
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

    /** What we send parses back to the same client, in both versions and both families, with nothing after it consumed. */
    @Test
    void whatWeSendParsesBack() throws Exception {
        InetSocketAddress v6 = new InetSocketAddress("2001:db8::7", 40000);
        for (ProxyHeader.Version version : ProxyHeader.Version.values()) {
            for (InetSocketAddress[] ends : new InetSocketAddress[][] {{CLIENT_V4, LOCAL_V4}, {v6, new InetSocketAddress("::1", 443)}}) {
                byte[] header = ProxyHeader.forClient(version, ends[0], ends[1]);
                byte[] withData = Arrays.copyOf(header, header.length + 5); // the client's first bytes came along
                ProxyHeader.Received received = ProxyHeader.parse(withData, withData.length);
                assertEquals(ends[0], received.client(), version + " " + ends[0]);
                assertEquals(header.length, received.length());
            }
            byte[] check = ProxyHeader.forHealthCheck(version);
            assertNull(ProxyHeader.parse(check, check.length).client(), "LOCAL and UNKNOWN name no client");
        }
    }

    /** Every strict prefix of a valid header asks for more bytes, however it was split. */
    @Test
    void aPartialHeaderAsksForMore() throws Exception {
        for (ProxyHeader.Version version : ProxyHeader.Version.values()) {
            byte[] header = ProxyHeader.forClient(version, CLIENT_V4, LOCAL_V4);
            for (int length = 0; length < header.length; length++) {
                assertNull(ProxyHeader.parse(header, length), version + " cut at " + length);
            }
        }
    }

    /** Malformed headers are refused with a reason: wrong signature, version, command, length, fields, huge TLVs. */
    @Test
    void malformedHeadersAreRefused() {
        String signature = "0d0a0d0a000d0a515549540a";
        String[] v2 = {
            signature + "31" + "11" + "000c" + "c0a80001c0a8000bdc0401bb", // version 3
            signature + "22" + "11" + "000c" + "c0a80001c0a8000bdc0401bb", // command 2
            signature + "21" + "11" + "0004" + "c0a80001",                 // too short for IPv4
            signature + "21" + "51" + "000c" + "c0a80001c0a8000bdc0401bb", // family 5
            signature + "21" + "11" + "ffff",                             // 64 KiB of TLVs
            "0d0a0d0a000d0a515549540b" + "21" + "11" + "000c",           // wrong last signature byte
        };
        for (String hex : v2) {
            byte[] bytes = HexFormat.of().parseHex(hex);
            assertThrows(ProxyHeader.Malformed.class, () -> ProxyHeader.parse(bytes, bytes.length), hex);
        }
        String[] v1 = {
            "GET / HTTP/1.1\r\n",
            "PROXY TCP4 192.168.0.1 192.168.0.11 56324\r\n",
            "PROXY TCP4 ::1 192.168.0.11 56324 443\r\n",
            "PROXY TCP6 192.168.0.1 ::1 56324 443\r\n",
            "PROXY TCP4 192.168.0.1 192.168.0.11 65536 443\r\n",
            "PROXY TCP4 192.168.0.1 192.168.0.11 056324 443\r\n",
            "PROXY TCP4 example.com 192.168.0.1 1 2\r\n",
            "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\n",
            "PROXY UDP4 192.168.0.1 192.168.0.11 56324 443\r\n",
            "PROXY TCP4 " + "1".repeat(120) + "\r\n",
        };
        for (String line : v1) {
            byte[] bytes = line.getBytes(StandardCharsets.US_ASCII);
            assertThrows(ProxyHeader.Malformed.class, () -> ProxyHeader.parse(bytes, bytes.length), line);
        }
    }
}
