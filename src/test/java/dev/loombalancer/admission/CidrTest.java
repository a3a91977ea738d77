package dev.loombalancer.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class CidrTest {

    /** Membership at prefix lengths on and off byte boundaries, both families. */
    @ParameterizedTest(name = "{0} contains {1}: {2}")
    @CsvSource({
        "10.0.0.0/8,        10.255.1.2,     true",
        "10.0.0.0/8,        11.0.0.1,       false",
        "192.168.4.0/22,    192.168.7.255,  true",
        "192.168.4.0/22,    192.168.8.0,    false",
        "192.168.4.0/22,    192.168.3.255,  false",
        "127.0.0.2,         127.0.0.2,      true",
        "127.0.0.2,         127.0.0.3,      false",
        "0.0.0.0/0,         203.0.113.9,    true",
        "0.0.0.0/0,         ::1,            false",
        "2001:db8::/32,     2001:db8:ffff::1, true",
        "2001:db8::/32,     2001:db9::1,    false",
        "fc00::/7,          fdff::1,        true",
        "fc00::/7,          fe00::1,        false",
        "::1,               ::1,            true",
        "::/0,              127.0.0.1,      false",
        "10.0.0.0/8,        ::ffff:10.1.2.3, true",
    })
    void contains(String network, String address, boolean expected) throws Exception {
        assertEquals(expected, Cidr.parse(network).contains(InetAddress.getByName(address)));
    }

    /** A bare address is a one-host network, with or without brackets for IPv6. */
    @Test
    void aBareAddressIsOneHostAndPrintsAsANetwork() {
        assertEquals("192.168.1.7/32", Cidr.parse("192.168.1.7").toString());
        assertEquals("::1/128", Cidr.parse("[::1]").toString());
        assertEquals(Cidr.parse("2001:db8::/32"), Cidr.parse("[2001:db8::]/32"));
    }

    /** Host names are refused, so no access rule depends on DNS; host bits name the network meant. */
    @Test
    void onlyLiteralNetworks() {
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse("localhost"));
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse("cafe"));
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse("10.0.0.0/-1"));
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse(""));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Cidr.parse("fd12::1/16"));
        assertTrue(e.getMessage().contains("did you mean fd12::/16?"), e.getMessage());
        assertFalse(Cidr.parse("10.0.0.0/8").contains(InetAddress.getLoopbackAddress()));
    }
}
