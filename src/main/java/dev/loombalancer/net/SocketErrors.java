package dev.loombalancer.net;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.util.Locale;

/** Turns socket exceptions into the short lower-case phrases our log lines and errors use. */
public final class SocketErrors {

    private SocketErrors() {
    }

    /**
     * Whether the failure is this process running out of file descriptors (EMFILE, ENFILE)
     * rather than anything the peer did: such a failure must never count against a backend's
     * health, or a local limit would take every backend DOWN at once.
     */
    public static boolean isOutOfFiles(Throwable e) {
        String message = e.getMessage();
        return message != null && message.contains("Too many open files");
    }

    /** "connection refused", "timed out", "address already in use", … */
    public static String describe(Throwable e) {
        if (e instanceof SocketTimeoutException) {
            return "timed out";
        }
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            return e instanceof ConnectException ? "connection refused" : e.getClass().getSimpleName();
        }
        // The JDK sometimes appends the call: "Connection refused (Connection refused)".
        int paren = message.indexOf(" (");
        String text = paren > 0 ? message.substring(0, paren) : message;
        return text.toLowerCase(Locale.ROOT);
    }
}
