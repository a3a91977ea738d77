package dev.loombalancer.health;

import dev.loombalancer.logging.DurationText;
import java.time.Duration;

/**
 * How backends are health-checked: a TCP connect every {@code interval}, bounded by
 * {@code timeout}; DOWN after {@code fall} failures in a row, UP after {@code rise}
 * successes in a row (HAProxy's {@code inter}, {@code timeout check}, {@code fall} and
 * {@code rise}). An interval of zero turns checking off, and then every backend is
 * always considered UP.
 */
public record ProbeConfig(Duration interval, Duration timeout, int rise, int fall, HealthCheck check) {

    public static final ProbeConfig DEFAULT = new ProbeConfig(Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3);

    /** A TCP check (the handshake is the check), as {@code --health-check tcp}. */
    public ProbeConfig(Duration interval, Duration timeout, int rise, int fall) {
        this(interval, timeout, rise, fall, HealthCheck.TCP);
    }
    public static final ProbeConfig OFF = new ProbeConfig(Duration.ZERO, DEFAULT.timeout, DEFAULT.rise, DEFAULT.fall);

    public ProbeConfig {
        if (interval.isNegative()) {
            throw new IllegalArgumentException("health-check interval must not be negative, not " + DurationText.of(interval));
        }
        if (timeout.isNegative() || timeout.isZero() || timeout.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("health-check timeout must be between 1ms and 24d, not " + DurationText.of(timeout));
        }
        if (rise < 1 || fall < 1) {
            throw new IllegalArgumentException("--rise and --fall must be at least 1, not " + rise + " and " + fall);
        }
    }

    public boolean enabled() {
        return !interval.isZero();
    }

    /** How the command line shows it in the startup line. */
    public String describe() {
        return enabled()
                ? "health checks every " + DurationText.of(interval) + " (" + (check.kind() == HealthCheck.Kind.TCP
                        && check.port() == 0 ? "" : check.describe() + ", ") + "timeout " + DurationText.of(timeout)
                        + ", rise " + rise + ", fall " + fall + ")"
                : "health checks off";
    }

}
