package dev.loombalancer.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.Test;

/** The SNI name, read from ClientHellos the JDK's own TLS client writes, whole or split. */
class ClientHelloTest {

    /** The JDK's ClientHello for a.example gives a.example, and no prefix of it gives anything yet. */
    @Test
    void readsTheJdksClientHello() throws Exception {
        byte[] hello = clientHello("A.Example");
        assertEquals(new ClientHello.Peeked("a.example", true), ClientHello.parse(hello, hello.length));
        for (int length = 0; length < hello.length; length++) {
            assertNull(ClientHello.parse(hello, length), "cut at " + length);
        }
    }

    /** The same handshake message split into records of 50 bytes still names its server. */
    @Test
    void aClientHelloSplitAcrossRecordsIsJoined() throws Exception {
        byte[] hello = clientHello("www.b.example");
        byte[] message = Arrays.copyOfRange(hello, 5, hello.length);
        ByteArrayOutputStream records = new ByteArrayOutputStream();
        for (int at = 0; at < message.length; at += 50) {
            int size = Math.min(50, message.length - at);
            records.write(new byte[] {22, 3, 1, 0, (byte) size});
            records.write(message, at, size);
        }
        byte[] split = records.toByteArray();
        assertEquals("www.b.example", ClientHello.parse(split, split.length).serverName());
        assertNull(ClientHello.parse(split, split.length - 1));
    }

    /** A ClientHello without SNI names nobody; bytes that are not TLS are said to be so at once. */
    @Test
    void noNameAndNotTls() throws Exception {
        byte[] hello = clientHello(null);
        assertEquals(new ClientHello.Peeked(null, true), ClientHello.parse(hello, hello.length));
        byte[] http = "GET / HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);
        assertFalse(ClientHello.parse(http, 1).tls());
        byte[] huge = {22, 3, 1, 0x40, 0x00, 1, 0x7f, 0, 0}; // a ClientHello claiming 8 MiB
        assertFalse(ClientHello.parse(huge, huge.length).tls());
        byte[] garbage = Arrays.copyOf(hello, hello.length);
        int cipherSuites = 5 + 4 + 2 + 32 + 1 + garbage[5 + 4 + 2 + 32]; // after the session id
        garbage[cipherSuites] = (byte) 0xff; // cipher suites longer than the message
        garbage[cipherSuites + 1] = (byte) 0xff;
        assertFalse(ClientHello.parse(garbage, garbage.length).tls(), "malformed: not routed by name");
    }

    /** The first TLS record a JDK client sends for {@code serverName} (null: no SNI). */
    static byte[] clientHello(String serverName) throws Exception {
        SSLEngine engine = SSLContext.getDefault().createSSLEngine("localhost", 443);
        engine.setUseClientMode(true);
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setServerNames(serverName == null ? List.of() : List.of(new SNIHostName(serverName)));
        engine.setSSLParameters(parameters);
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), out);
        out.flip();
        byte[] bytes = new byte[out.remaining()];
        out.get(bytes);
        return bytes;
    }
}
