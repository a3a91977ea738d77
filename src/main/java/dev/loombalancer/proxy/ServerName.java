package dev.loombalancer.proxy;

import dev.loombalancer.net.ClientHello;
import java.io.IOException;

/**
 * SNI routing: peeks at the client's TLS ClientHello for the server name it asks for,
 * without consuming anything (the backend gets the ClientHello unchanged and completes
 * the handshake with its own certificate), at most {@link ClientHello#MAX_LENGTH} bytes.
 */
public final class ServerName {

    private ServerName() {
    }

    /**
     * Reads until the ClientHello is complete, or the bytes are plainly not TLS.
     *
     * @return the server name, lower-case; null for a ClientHello without one, or not TLS
     * @throws Preread.Refused no complete ClientHello within the preread timeout
     * @throws IOException     the connection failed
     */
    public static String peek(Preread preread) throws IOException {
        return preread.readUntil(ClientHello.MAX_LENGTH, "ClientHello", ClientHello::parse).serverName();
    }
}
