package dev.loombalancer.cli;

import dev.loombalancer.net.Closer;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Proxy;
import java.net.Socket;
import java.net.SocketException;

/**
 * What the user can do about an address that could not be bound. The JDK throws the same
 * {@link BindException} for "in use", "permission denied" and "not a local address", and
 * its message is the C library's, in the process's locale; so the cause is found by
 * asking the machine, never by reading the message.
 */
final class BindHints {

    private static final int PRIVILEGED_PORTS = 1024;
    private static final int PROBE_TIMEOUT_MILLIS = 500;

    private BindHints() {
    }

    /** The hint, starting with " — ", or "" when there is nothing useful to say. */
    static String of(IOException e, InetSocketAddress address, String option) {
        if (!(e instanceof BindException)) {
            return "";
        }
        InetAddress host = address.getAddress();
        if (!host.isAnyLocalAddress() && !isLocal(host)) {
            return " \u2014 that address is not on this machine; use one of its addresses or 0.0.0.0";
        }
        if (someoneListens(address)) {
            return " \u2014 stop the process using it or choose another port with " + option;
        }
        if (address.getPort() > 0 && address.getPort() < PRIVILEGED_PORTS) {
            return " \u2014 ports below 1024 need root or CAP_NET_BIND_SERVICE; choose a higher port with " + option;
        }
        return " \u2014 the port is taken; stop the process using it or choose another port with " + option;
    }

    private static boolean isLocal(InetAddress host) {
        try {
            return host.isLoopbackAddress() || NetworkInterface.getByInetAddress(host) != null;
        } catch (SocketException e) {
            return true; // cannot tell: do not claim it is foreign
        }
    }

    /** Whether something accepts connections there: an address of this machine, so the probe stays local. */
    private static boolean someoneListens(InetSocketAddress address) {
        InetAddress host = address.getAddress().isAnyLocalAddress()
                ? InetAddress.getLoopbackAddress() : address.getAddress();
        Socket probe = new Socket(Proxy.NO_PROXY);
        try {
            probe.connect(new InetSocketAddress(host, address.getPort()), PROBE_TIMEOUT_MILLIS);
            return true;
        } catch (IOException e) {
            return false;
        } finally {
            Closer.closeQuietly(probe);
        }
    }
}
