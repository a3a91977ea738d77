package dev.loombalancer.policy;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * A fixed 64-bit hash (FNV-1a, then MurmurHash3's finaliser to spread the bits), defined
 * here rather than taken from {@code hashCode()}: consistent hashing needs the same
 * numbers on every machine, every JVM version and every restart.
 */
final class Hashing {

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private Hashing() {
    }

    /** The hash of a client's IP address (the port is left out: it changes per connection). */
    static long of(InetAddress address, long seed) {
        return mix(fnv(FNV_OFFSET ^ seed, address.getAddress()));
    }

    /** The hash of a backend's IP address and port. */
    static long of(InetSocketAddress address, long seed) {
        long h = fnv(FNV_OFFSET ^ seed, address.getAddress().getAddress());
        h = (h ^ (address.getPort() >>> 8)) * FNV_PRIME;
        h = (h ^ (address.getPort() & 0xff)) * FNV_PRIME;
        return mix(h);
    }

    /** MurmurHash3's fmix64: every input bit affects every output bit. */
    static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    private static long fnv(long h, byte[] bytes) {
        for (byte b : bytes) {
            h = (h ^ (b & 0xff)) * FNV_PRIME;
        }
        return h;
    }
}
