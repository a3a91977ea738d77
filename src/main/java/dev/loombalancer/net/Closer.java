package dev.loombalancer.net;

import java.io.Closeable;
import java.io.IOException;
import java.net.Socket;

/** Closing that cannot fail: for cleanup paths that already handle a failure. */
public final class Closer {

    private Closer() {
    }

    /** Closes {@code closeable}, if there is one, ignoring what closing throws. */
    public static void closeQuietly(Closeable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (IOException ignored) {
            // Closing is the last thing we do with it; there is nothing left to do on error.
        }
    }

    /**
     * Closes with a reset (SO_LINGER 0) instead of a FIN: for connections we end first and
     * on purpose, so that none of them leaves a TIME_WAIT socket behind.
     */
    public static void reset(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        } catch (IOException ignored) {
            // already closed or reset by the peer: closing below is all that is left
        }
        closeQuietly(socket);
    }
}
