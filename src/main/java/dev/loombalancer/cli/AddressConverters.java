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

    /** {@code --dns-server HOST:PORT}: an IP address and a port (a name would need a DNS server to find it). */
    static final class DnsServer implements ITypeConverter<InetSocketAddress> {
        @Override
        public InetSocketAddress convert(String text) {
            try {
                HostPort.BackendSpec shape = HostPort.parseBackendSpec(text);
                if (!shape.isLiteral() || shape.firstPort() != shape.lastPort()) {
                    throw new TypeConversionException("'" + text + "' is not IP:PORT (example: 127.0.0.1:8600)");
                }
                return HostPort.parseBackends(text).get(0);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /**
     * One {@code --backend} item, which a port range turns into many addresses. An item
     * given by name has no addresses yet: it is looked up once the options are all read
     * (through {@code --dns-server}, if given), and again while running.
     */
    record BackendSpec(String text, HostPort.BackendSpec shape, List<InetSocketAddress> addresses) {
    }

    /** {@code --backend HOST:PORT} or {@code HOST:FIRST-LAST}. */
    static final class Backends implements ITypeConverter<BackendSpec> {
        @Override
        public BackendSpec convert(String text) {
            try {
                HostPort.BackendSpec shape = HostPort.parseBackendSpec(text);
                return new BackendSpec(text, shape, shape.isLiteral() ? HostPort.parseBackends(text) : List.of());
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
