package dev.loombalancer.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** The written-out equals and hashCode of the Backend and Weighting records keep a record's meaning. */
class EqualityTest {

    /** Backends are equal, and hash alike, when IP and port are, whatever name was typed; not otherwise. */
    @Test
    void backendsAreEqualByAddressAndPort() throws Exception {
        InetAddress loopback = InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1});
        InetAddress bare = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        Backend named = new Backend(new InetSocketAddress(loopback, 9001));
        Backend same = new Backend(new InetSocketAddress(bare, 9001));
        assertEquals(named, same);
        assertEquals(named.hashCode(), same.hashCode());
        assertNotEquals(named, new Backend(new InetSocketAddress(bare, 9002)));
        assertNotEquals(named, new Backend(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 2}), 9001)));
        assertNotEquals(named, null);
        assertNotEquals(named, new Weighting(1, false));
    }

    /** Weightings are equal, and hash alike, when weight and the backup flag are; DEFAULT is weight 1, no backup. */
    @Test
    void weightingsAreEqualByWeightAndBackup() {
        assertEquals(Weighting.DEFAULT, new Weighting(1, false));
        assertEquals(Weighting.DEFAULT.hashCode(), new Weighting(1, false).hashCode());
        assertEquals(new Weighting(3, true), new Weighting(3, true));
        assertNotEquals(Weighting.DEFAULT, new Weighting(2, false));
        assertNotEquals(Weighting.DEFAULT, new Weighting(1, true));
        assertNotEquals(Weighting.DEFAULT, null);
    }
}
