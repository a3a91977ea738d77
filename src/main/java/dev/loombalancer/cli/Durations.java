package dev.loombalancer.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads durations the way HAProxy users write them: {@code 500ms}, {@code 2s}, {@code 1m},
 * {@code 1h}, {@code 1d}. {@code off} and {@code 0} are zero, which the options that allow
 * it read as "never". Any other number needs its unit: HAProxy reads a bare number as
 * milliseconds, and {@code --idle-timeout 5} meaning 5 ms surprised everyone who meant 5 s.
 */
final class Durations implements ITypeConverter<Duration> {

    private static final Pattern FORM = Pattern.compile("(\\d{1,12})(ms|s|m|h|d)?");

    @Override
    public Duration convert(String text) {
        if (text.strip().equalsIgnoreCase("off")) {
            return Duration.ZERO;
        }
        Matcher m = FORM.matcher(text.strip());
        if (!m.matches()) {
            throw new TypeConversionException("'" + text + "' is not a duration; write e.g. 500ms, 2s or 1m");
        }
        long amount = Long.parseLong(m.group(1));
        if (m.group(2) == null && amount != 0) {
            throw new TypeConversionException("'" + text + "' has no unit; write " + amount + "ms, " + amount + "s or "
                    + amount + "m (only 0 may go without one)");
        }
        String unit = m.group(2) == null ? "ms" : m.group(2);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            default -> Duration.ofDays(amount);
        };
    }
}
