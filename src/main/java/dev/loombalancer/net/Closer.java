package dev.loombalancer.net;

import java.io.Closeable;
import java.io.IOException;

/** Closing that cannot fail: for cleanup paths that already handle a failure. */
public final class Closer {

    private Closer() {
    }

    public static void closeQuietly(Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException ignored) {
            // Closing is the last thing we do with it; there is nothing left to do on error.
        }
    }
}
