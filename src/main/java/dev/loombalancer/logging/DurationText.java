package dev.loombalancer.logging;

import java.time.Duration;

/**
 * Durations as operators write them on the command line ({@code 500ms}, {@code 5s},
 * {@code 10m}), for log lines, errors and {@code /status}: never {@code PT5S}, never
 * {@code 5000ms} for what was given as {@code 5s}.
 */
public final class DurationText {

    private DurationText() {
    }

    /** The largest unit that expresses {@code duration} exactly: 1d, 2h, 10m, 5s, 1500ms; zero is {@code 0s}. */
    public static String of(Duration duration) {
        long millis = duration.toMillis();
        if (millis == 0) {
            return "0s";
        }
        if (millis % 86_400_000 == 0) {
            return millis / 86_400_000 + "d";
        }
        if (millis % 3_600_000 == 0) {
            return millis / 3_600_000 + "h";
        }
        if (millis % 60_000 == 0) {
            return millis / 60_000 + "m";
        }
        if (millis % 1_000 == 0) {
            return millis / 1_000 + "s";
        }
        return millis + "ms";
    }
}
