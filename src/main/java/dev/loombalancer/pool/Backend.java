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

    // equals and hashCode are written out because a record's own are an invokedynamic
    // (ObjectMethods.bootstrap) linked at the first call, and the JDK's AOT cache links
    // ahead only lambdas and string concatenation: every start would build them anew, on
    // the way to the first client (backends are map keys from the start).

    @Override
    public boolean equals(Object other) {
        return other instanceof Backend backend && address.equals(backend.address);
    }

    @Override
    public int hashCode() {
        return address.hashCode();
    }
}
