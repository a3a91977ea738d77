package dev.loombalancer.proxy;

import dev.loombalancer.net.ProxyHeader;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * {@code --accept-proxy}: reads the PROXY protocol header an upstream balancer starts its
 * connection with, at most {@link ProxyHeader#MAX_LENGTH} bytes. It reads whatever has
 * arrived rather than byte by byte, so the client's first bytes may come along: they stay
 * in the {@link Preread} for the backend.
 */
public final class UpstreamHeader {

    private UpstreamHeader() {
    }

    /**
     * Reads and consumes the header.
     *
     * @return who the header says the client is; null if it names nobody (a LOCAL or
     *         UNKNOWN header, such as an upstream's health check): the peer then counts
     * @throws Preread.Refused no valid header within the preread timeout
     * @throws IOException     the connection failed
     */
    public static InetSocketAddress read(Preread preread) throws IOException {
        ProxyHeader.Received header = preread.readUntil(ProxyHeader.MAX_LENGTH, "PROXY header", (bytes, length) -> {
            try {
                return ProxyHeader.parse(bytes, length);
            } catch (ProxyHeader.Malformed e) {
                throw new Preread.Refused(e.getMessage());
            }
        });
        preread.consume(header.length());
        return header.client();
    }
}
