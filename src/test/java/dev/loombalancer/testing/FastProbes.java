package dev.loombalancer.testing;

import dev.loombalancer.health.ProbeConfig;
import java.time.Duration;

/** Health checks fast enough for a test to see a backend go DOWN and come back UP in well under a second. */
public final class FastProbes {

    public static final Duration INTERVAL = Duration.ofMillis(100);

    /** Every 100 ms, timeout 500 ms, rise 2, fall 3. */
    public static final ProbeConfig CONFIG = new ProbeConfig(INTERVAL, Duration.ofMillis(500), 2, 3);

    private FastProbes() {
    }
}
