package dev.loombalancer.admission;

import dev.loombalancer.net.HostPort;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * A network written the usual way, {@code 10.0.0.0/8} or {@code 2001:db8::/32}; a bare
 * address is a network of one ({@code /32} or {@code /128}).
 *
 * <p>Only literal addresses are accepted, never host names: an access rule that depends on
 * DNS at start-up is a rule nobody can review.
 *
 * @param network the network address, its host bits all zero
 * @param prefix  how many leading bits a client address must share with it
 */
public record Cidr(InetAddress network, int prefix) {

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");

    public Cidr {
        int bits = network.getAddress().length * 8;
        if (prefix < 0 || prefix > bits) {
            throw new IllegalArgumentException("prefix /" + prefix + " is outside 0-" + bits);
        }
    }

    /**
     * Parses {@code ADDRESS[/PREFIX]}; errors are one line a user can act on, naming the
     * network that was probably meant when host bits are set.
     */
    public static Cidr parse(String text) {
        String spec = text.strip();
        int slash = spec.indexOf('/');
        String host = slash < 0 ? spec : spec.substring(0, slash);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (!IPV4.matcher(host).matches() && !IPV6.matcher(host).matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a network; write ADDRESS/PREFIX with a literal "
                    + "address (examples: 10.0.0.0/8, 192.168.1.7, 2001:db8::/32)");
        }
        InetAddress address;
        try {
            address = InetAddress.getByName(host); // a literal (checked above), so no DNS lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + text + "': '" + host + "' is not an IPv4 or IPv6 address");
        }
        int bits = address.getAddress().length * 8;
        int prefix = bits;
        if (slash >= 0) {
            String digits = spec.substring(slash + 1);
            if (digits.isEmpty() || digits.length() > 3 || !digits.chars().allMatch(Character::isDigit)
                    || Integer.parseInt(digits) > bits) {
                throw new IllegalArgumentException("'" + text + "': the prefix after '/' must be 0-" + bits);
            }
            prefix = Integer.parseInt(digits);
        }
        InetAddress network = masked(address, prefix);
        if (!network.equals(address)) {
            throw new IllegalArgumentException("'" + text + "' has host bits set after /" + prefix
                    + "; did you mean " + HostPort.address(network) + "/" + prefix + "?");
        }
        return new Cidr(network, prefix);
    }

    /**
     * Whether {@code address} is in this network. IPv4 and IPv6 networks never match each
     * other's addresses; the JDK reports an IPv4 client of a dual-stack listener as IPv4.
     */
    public boolean contains(InetAddress address) {
        if ((address instanceof Inet4Address) != (network instanceof Inet4Address)) {
            return false;
        }
        byte[] a = address.getAddress();
        byte[] n = network.getAddress();
        int whole = prefix / 8;
        for (int i = 0; i < whole; i++) {
            if (a[i] != n[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int mask = 0xff << (8 - rest) & 0xff;
        return (a[whole] & mask) == (n[whole] & 0xff);
    }

    private static InetAddress masked(InetAddress address, int prefix) {
        byte[] bytes = address.getAddress();
        byte[] out = Arrays.copyOf(bytes, bytes.length);
        for (int i = 0; i < out.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - i * 8));
            out[i] = (byte) (out[i] & (0xff << (8 - keep)));
        }
        try {
            return InetAddress.getByAddress(out);
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes", e);
        }
    }

    @Override
    public String toString() {
        return HostPort.address(network) + "/" + prefix;
    }
}
