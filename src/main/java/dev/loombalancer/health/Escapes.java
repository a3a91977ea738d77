package dev.loombalancer.health;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** {@code \r}, {@code \n}, {@code \t}, {@code \\} and {@code \xHH} in the send and expect strings of a check. */
public final class Escapes {

    private Escapes() {
    }

    /** The bytes {@code text} stands for; characters beyond ASCII as their UTF-8 bytes. */
    public static byte[] decode(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != '\\') {
                byte[] bytes = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                out.write(bytes, 0, bytes.length);
                continue;
            }
            if (++i >= text.length()) {
                throw new IllegalArgumentException("'" + text + "' ends with a lone \\; write \\\\ for a backslash");
            }
            switch (text.charAt(i)) {
                case 'r' -> out.write('\r');
                case 'n' -> out.write('\n');
                case 't' -> out.write('\t');
                case '\\' -> out.write('\\');
                case 'x' -> {
                    int high = i + 1 < text.length() ? Character.digit(text.charAt(i + 1), 16) : -1;
                    int low = i + 2 < text.length() ? Character.digit(text.charAt(i + 2), 16) : -1;
                    if (high < 0 || low < 0) {
                        throw new IllegalArgumentException("'" + text + "': \\x needs two hex digits");
                    }
                    out.write(high * 16 + low);
                    i += 2;
                }
                default -> throw new IllegalArgumentException("'" + text + "': unknown escape \\" + text.charAt(i)
                        + "; there are \\r, \\n, \\t, \\\\ and \\xHH");
            }
        }
        return out.toByteArray();
    }

    /** Bytes shown back with the same escapes, quoted: {@code 'PING\r\n'}. */
    public static String show(byte[] bytes) {
        StringBuilder out = new StringBuilder("'");
        for (byte b : bytes) {
            int c = b & 0xff;
            switch (c) {
                case '\r' -> out.append("\\r");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20 || c >= 0x7f) {
                        out.append(String.format("\\x%02x", c));
                    } else {
                        out.append((char) c);
                    }
                }
            }
        }
        return out.append('\'').toString();
    }
}
