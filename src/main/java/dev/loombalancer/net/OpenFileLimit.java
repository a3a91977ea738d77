package dev.loombalancer.net;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The process's open-file limit ({@code ulimit -n}), which bounds how many connections it
 * can hold: each proxied connection takes two descriptors, one per socket.
 *
 * <p>Read from {@code /proc/self/limits} rather than through the management beans, which
 * would load a module and cost start-up time for one number. HotSpot raises its soft limit
 * to the hard one at start, so what is read here is the limit that applies.
 */
public final class OpenFileLimit {

    private OpenFileLimit() {
    }

    /** The soft limit, or empty when unlimited or unknown (not Linux). */
    public static OptionalLong current() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String[] fields = line.substring("Max open files".length()).trim().split("\\s+");
                    return fields[0].chars().allMatch(Character::isDigit)
                            ? OptionalLong.of(Long.parseLong(fields[0])) : OptionalLong.empty();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or /proc not mounted: no limit we can know
        }
        return OptionalLong.empty();
    }
}
