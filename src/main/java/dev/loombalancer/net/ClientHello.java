package dev.loombalancer.net;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The server name (SNI) a TLS client asks for, read from its ClientHello without
 * terminating TLS, as nginx's {@code ssl_preread} and HAProxy's {@code req.ssl_sni} do
 * (RFC 8446 sections 4.1.2 and 5.1, RFC 6066 section 3).
 *
 * <p>The ClientHello is a handshake message inside one or more TLS records; a client may
 * split it across records as well as across packets, so the records' fragments are
 * joined before the message is read.
 */
public final class ClientHello {

    /** What is read at most: a ClientHello with post-quantum key shares is about 2 KiB. */
    public static final int MAX_LENGTH = 16 * 1024;

    private static final int HANDSHAKE_RECORD = 22;
    private static final int CLIENT_HELLO = 1;
    private static final int SERVER_NAME_EXTENSION = 0;
    private static final int HOST_NAME = 0;

    /** Read so far: a ClientHello that names {@code serverName} (null: none), or one that is not TLS. */
    public record Peeked(String serverName, boolean tls) {
        static final Peeked NOT_TLS = new Peeked(null, false);
    }

    private ClientHello() {
    }

    /**
     * Reads {@code bytes[0, length)}: the server name once the whole ClientHello is there,
     * or null while more bytes are needed. Bytes that are not a TLS handshake, a ClientHello
     * that is malformed, or one longer than {@link #MAX_LENGTH}, give {@code tls == false}:
     * such a connection goes to the default pool as it is.
     */
    public static Peeked parse(byte[] bytes, int length) {
        if (length < 1) {
            return null;
        }
        if ((bytes[0] & 0xFF) != HANDSHAKE_RECORD) {
            return Peeked.NOT_TLS;
        }
        // Join the records' fragments until the handshake message is complete.
        byte[] message = new byte[Math.min(length, MAX_LENGTH)];
        int joined = 0;
        int at = 0;
        int needed = -1; // the handshake message's length, once its header has come
        while (needed < 0 || joined < needed) {
            if (at + 5 > length) {
                return length >= MAX_LENGTH ? Peeked.NOT_TLS : null;
            }
            int type = bytes[at] & 0xFF;
            int major = bytes[at + 1] & 0xFF;
            int fragment = ((bytes[at + 3] & 0xFF) << 8) | (bytes[at + 4] & 0xFF);
            if (type != HANDSHAKE_RECORD || major != 3 || fragment == 0 || fragment > 16_384) {
                return Peeked.NOT_TLS;
            }
            int available = Math.min(fragment, length - at - 5);
            int take = Math.min(available, message.length - joined);
            System.arraycopy(bytes, at + 5, message, joined, take);
            joined += take;
            if (needed < 0 && joined >= 4) {
                if ((message[0] & 0xFF) != CLIENT_HELLO) {
                    return Peeked.NOT_TLS;
                }
                needed = 4 + (((message[1] & 0xFF) << 16) | ((message[2] & 0xFF) << 8) | (message[3] & 0xFF));
                if (needed > MAX_LENGTH) {
                    return Peeked.NOT_TLS;
                }
            }
            if (available < fragment) {
                if (needed >= 0 && joined >= needed) {
                    break; // the message ends inside this record, before its last bytes came
                }
                return length >= MAX_LENGTH ? Peeked.NOT_TLS : null;
            }
            at += 5 + fragment;
        }
        return serverName(message, needed);
    }

    /** The host_name entry of the server_name extension, lower-cased; Peeked.NOT_TLS if malformed. */
    private static Peeked serverName(byte[] m, int end) {
        Reader r = new Reader(m, 4, end);
        if (!r.skip(2 + 32) || !r.skip(r.u8()) || !r.skip(r.u16()) || !r.skip(r.u8())) {
            return Peeked.NOT_TLS; // version, random, session id, cipher suites, compression methods
        }
        if (r.remaining() == 0) {
            return new Peeked(null, true); // no extensions at all
        }
        int extensionsLength = r.u16();
        int extensionsEnd = r.at + extensionsLength;
        if (extensionsEnd > end) {
            return Peeked.NOT_TLS;
        }
        while (r.at + 4 <= extensionsEnd) {
            int type = r.u16();
            int size = r.u16();
            if (r.at + size > extensionsEnd) {
                return Peeked.NOT_TLS;
            }
            if (type == SERVER_NAME_EXTENSION) {
                Reader names = new Reader(m, r.at, r.at + size);
                int listLength = names.u16();
                int listEnd = names.at + listLength;
                while (names.at + 3 <= listEnd && listEnd <= r.at + size) {
                    int nameType = names.u8();
                    int nameLength = names.u16();
                    if (names.at + nameLength > listEnd) {
                        return Peeked.NOT_TLS;
                    }
                    if (nameType == HOST_NAME) {
                        String name = new String(m, names.at, nameLength, StandardCharsets.US_ASCII);
                        return valid(name) ? new Peeked(name.toLowerCase(Locale.ROOT), true) : Peeked.NOT_TLS;
                    }
                    names.skip(nameLength);
                }
                return new Peeked(null, true);
            }
            r.skip(size);
        }
        return new Peeked(null, true);
    }

    /** A DNS host name (RFC 6066: no trailing dot); anything else is not routed by name. */
    private static boolean valid(String name) {
        return !name.isEmpty() && name.length() <= 253 && !name.endsWith(".")
                && name.chars().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                        || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_');
    }

    /** Big-endian reads within [at, end); a read past the end leaves {@code at} past it, which every caller checks. */
    private static final class Reader {
        private final byte[] bytes;
        private final int end;
        int at;

        Reader(byte[] bytes, int at, int end) {
            this.bytes = bytes;
            this.at = at;
            this.end = end;
        }

        int u8() {
            return at < end ? bytes[at++] & 0xFF : fail();
        }

        int u16() {
            return at + 2 <= end ? ((bytes[at++] & 0xFF) << 8) | (bytes[at++] & 0xFF) : fail();
        }

        boolean skip(int count) {
            at += count;
            return at <= end;
        }

        int remaining() {
            return end - at;
        }

        private int fail() {
            at = end + 1;
            return 0;
        }
    }
}
