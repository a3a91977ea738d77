package dev.loombalancer.server;

import dev.loombalancer.admission.Cidr;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;

/**
 * What is read from a client before its connection is proxied ({@code --accept-proxy}),
 * and for how long at most ({@code --preread-timeout}, nginx's {@code preread_timeout}).
 *
 * @param acceptProxy upstream balancers whose PROXY protocol header says who the client is;
 *                    empty: nobody's is honoured
 * @param timeout     how long a client may take to send what is read first
 */
public record PrereadRules(List<Cidr> acceptProxy, Duration timeout) {

    /** nginx stream's {@code preread_timeout} is 30 s; a header an upstream sends at once needs far less. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    /** Nothing is read first: the default. */
    public static final PrereadRules NONE = new PrereadRules(List.of(), DEFAULT_TIMEOUT);

    public PrereadRules {
        acceptProxy = List.copyOf(acceptProxy);
        if (timeout.isNegative() || timeout.isZero() || timeout.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("--preread-timeout must be between 1ms and 24d");
        }
    }

    /** Whether a connection from {@code peer} starts with a PROXY header that names the client. */
    public boolean fromUpstream(InetAddress peer) {
        for (Cidr network : acceptProxy) {
            if (network.contains(peer)) {
                return true;
            }
        }
        return false;
    }
}
