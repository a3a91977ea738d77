package dev.loombalancer.cli;

import dev.loombalancer.health.HealthCheck;
import dev.loombalancer.net.ProxyHeader;
import dev.loombalancer.policy.Strategy;
import dev.loombalancer.proxy.WhenUnavailable;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;
import java.util.stream.Collectors;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Options that take one of a few names ({@code --strategy least-connections}). Each enum's
 * {@code toString()} is its command-line name; one class both converts the option and
 * lists the names for help and shell completion.
 */
abstract class Choices<E extends Enum<E>> implements ITypeConverter<E>, Iterable<String> {

    private final E[] values;

    Choices(E[] values) {
        this.values = values;
    }

    @Override
    public E convert(String text) {
        String wanted = text.strip().toLowerCase(Locale.ROOT);
        for (E value : values) {
            if (value.toString().equals(wanted)) {
                return value;
            }
        }
        throw new TypeConversionException("'" + text + "' is not one of " + String.join(", ", this));
    }

    @Override
    public Iterator<String> iterator() {
        return Arrays.stream(values).map(Object::toString).collect(Collectors.toList()).iterator();
    }

    /** {@code --strategy}. */
    static final class Strategies extends Choices<Strategy> {
        Strategies() {
            super(Strategy.values());
        }
    }

    /** {@code --when-unavailable}. */
    static final class Unavailable extends Choices<WhenUnavailable> {
        Unavailable() {
            super(WhenUnavailable.values());
        }
    }

    /** {@code --health-check}. */
    static final class HealthChecks extends Choices<HealthCheck.Kind> {
        HealthChecks() {
            super(HealthCheck.Kind.values());
        }
    }

    /** {@code --send-proxy}. */
    static final class ProxyVersions extends Choices<ProxyHeader.Version> {
        ProxyVersions() {
            super(ProxyHeader.Version.values());
        }
    }
}
