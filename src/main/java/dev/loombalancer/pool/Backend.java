package dev.loombalancer.pool;

import dev.loombalancer.net.HostPort;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * One backend server: a resolved address. Two backends are equal when their IP and port
 * are, whatever host name the user typed, which is how duplicates are found.
 */
public record Backend(InetSocketAddress address) {

    public Backend {
        Objects.requireNonNull(address, "address");
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("backend address is not resolved: " + address);
        }
    }

    @Override
    public String toString() {
        return HostPort.format(address);
    }
}
