package dev.loombalancer.net;

import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.Locale;

/** Turns socket and file exceptions into the short lower-case phrases our log lines and errors use. */
public final class SocketErrors {

    private SocketErrors() {
    }

    /**
     * Whether a failed connect says something about the peer: it refused the connection,
     * did not answer in time, or cannot be routed to. Only those may count against a
     * backend's health. Anything else, such as this process running out of ports, must
     * not, or a local limit would take every backend DOWN at once.
     *
     * <p>Decided by the exception's type, never its message: the JDK's messages come from
     * the C library's {@code strerror}, in the process's locale ("Zu viele offene Dateien").
     * The JDK maps ECONNREFUSED and ETIMEDOUT to {@link ConnectException}, EHOSTUNREACH to
     * {@link NoRouteToHostException}, EADDRNOTAVAIL and EADDRINUSE to
     * {@link java.net.BindException}, and most others to a plain {@code SocketException}.
     * Running out of files cannot reach here: the caller creates the socket first, as its
     * own step (see {@link #openFirst}).
     */
    public static boolean isPeersFault(IOException e) {
        return e instanceof ConnectException || e instanceof NoRouteToHostException
                || e instanceof SocketTimeoutException;
    }

    /**
     * Creates the socket's file descriptor now, as a step of its own, so that running out
     * of files (EMFILE, ENFILE) fails here, where it is plainly our limit, and never inside
     * {@code connect}, where it could be mistaken for the backend's failure. The JDK creates
     * the descriptor lazily, on the first call that needs it; setting an option is one.
     *
     * @param socket a new, unconnected socket
     */
    public static void openFirst(Socket socket) throws IOException {
        socket.setTcpNoDelay(true);
    }

    /** "connection refused", "timed out", "address already in use", … */
    public static String describe(Throwable e) {
        if (e instanceof SocketTimeoutException) {
            return "timed out";
        }
        // A file error's message is the file's name, and then its reason only if the JDK
        // has one (FileSystemException.getMessage): these two have none.
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException file && file.getReason() != null) {
            return file.getReason().toLowerCase(Locale.ROOT);
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
