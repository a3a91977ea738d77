package dev.loombalancer.pool;

/**
 * HAProxy's rule for turning attempts into UP and DOWN: {@code fall} failures in a row
 * take a backend DOWN, {@code rise} successes in a row bring it back. With {@code tracked}
 * false (health checks off) results are ignored and every backend stays UP.
 */
public record RiseFall(boolean tracked, int rise, int fall) {

    /** Every backend always UP. */
    public static final RiseFall UNTRACKED = new RiseFall(false, 1, 1);
}
