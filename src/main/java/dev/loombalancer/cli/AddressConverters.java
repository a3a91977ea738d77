package dev.loombalancer.cli;

import dev.loombalancer.net.HostPort;
import dev.loombalancer.net.Listeners;
import java.net.InetSocketAddress;
import java.util.List;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** picocli converters for the address options; parse errors become usage errors (exit 2). */
final class AddressConverters {

    private AddressConverters() {
    }

    /** An address to listen on, {@code [HOST:]PORT}, with a default host. */
    private abstract static class ListenAddress implements ITypeConverter<InetSocketAddress> {
        private final String defaultHost;

        ListenAddress(String defaultHost) {
            this.defaultHost = defaultHost;
        }

        @Override
        public InetSocketAddress convert(String text) {
            try {
                return HostPort.parseListen(text, defaultHost);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** {@code --listen [HOST:]PORT}; without a host, every IPv4 interface; or {@code inherited}. */
    static final class Listen extends ListenAddress {
        Listen() {
            super("0.0.0.0");
        }

        @Override
        public InetSocketAddress convert(String text) {
            return text.equals("inherited") ? Listeners.INHERITED : super.convert(text);
        }
    }

    /** {@code --admin [HOST:]PORT}; without a host, loopback only (beyond it, the operate level needs a token). */
    static final class Admin extends ListenAddress {
        Admin() {
            super("127.0.0.1");
        }
    }

    /** One {@code --backend} item, which a port range turns into many addresses. */
    record BackendSpec(String text, List<InetSocketAddress> addresses) {
    }

    /** {@code --backend HOST:PORT} or {@code HOST:FIRST-LAST}. */
    static final class Backends implements ITypeConverter<BackendSpec> {
        @Override
        public BackendSpec convert(String text) {
            try {
                return new BackendSpec(text, HostPort.parseBackends(text));
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
