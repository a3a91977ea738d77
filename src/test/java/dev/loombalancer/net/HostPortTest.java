package dev.loombalancer.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Address forms in and out. */
class HostPortTest {

    /** Addresses print the way users type them, IPv6 in brackets. */
    @Test
    void formatsLikeUsersWrite() throws Exception {
        assertEquals("127.0.0.1:9001", HostPort.format(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 9001)));
        assertEquals("[::1]:9001", HostPort.format(new InetSocketAddress(InetAddress.getByName("::1"), 9001)));
    }

    /** Listen addresses: port only, :port, host:port and [v6]:port. */
    @Test
    void listenForms() throws Exception {
        InetAddress any = InetAddress.getByName("0.0.0.0");
        assertEquals(new InetSocketAddress(any, 8000), HostPort.parseListen("8000", "0.0.0.0"));
        assertEquals(new InetSocketAddress(any, 8000), HostPort.parseListen(":8000", "0.0.0.0"));
        assertEquals(new InetSocketAddress(InetAddress.getByName("::"), 0), HostPort.parseListen("[::]:0", "0.0.0.0"));
    }

    /** A range expands to one address per port, both ends included; a single port to one. */
    @Test
    void rangesExpand() throws Exception {
        List<InetSocketAddress> range = HostPort.parseBackends("[::1]:13000-13002");
        assertEquals(List.of(13000, 13001, 13002), range.stream().map(InetSocketAddress::getPort).toList());
        assertEquals(1, HostPort.parseBackends("127.0.0.1:65535").size());
        assertThrows(IllegalArgumentException.class, () -> HostPort.parseBackends("127.0.0.1:1-65536"));
    }

    /** IPv6 is printed compressed, as RFC 5952 says and as operators type it. */
    @ParameterizedTest
    @CsvSource({"::1, ::1", "0:0:0:0:0:0:0:0, ::", "2001:db8:0:0:0:0:0:5, 2001:db8::5", "fd12:0:0:0:0:0:0:0, fd12::",
            "2001:db8:0:1:0:0:0:1, 2001:db8:0:1::1", "2001:0:0:1:0:0:0:1, 2001:0:0:1::1", "1:0:0:2:0:0:3:4, 1::2:0:0:3:4",
            "fe80:0:0:0:0:0:0:1, fe80::1", "10.1.2.3, 10.1.2.3"})
    void ipv6IsCompressed(String given, String printed) throws Exception {
        assertEquals(printed, HostPort.address(InetAddress.getByName(given)));
    }
}
