package dev.loombalancer.server;

import dev.loombalancer.net.Closer;
import dev.loombalancer.net.SocketErrors;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.function.Consumer;
import org.tinylog.Logger;

/**
 * Accepts clients one after another and hands each to {@code dispatch}, until the
 * listener is closed.
 *
 * <p>It runs on a virtual thread of its own, and each accepted socket goes to a new
 * virtual thread, so the loop is back in {@code accept} at once. Virtual, not platform,
 * for speed: a platform accept thread hands every connection to the carrier pool from
 * outside and wakes a carrier to run it (a futex call per connection); a virtual one
 * starts the connection's thread from inside the pool, on its own carrier's queue. (The
 * README's Performance section has what that was worth.)
 */
final class AcceptLoop implements Runnable {

    static final long FIRST_PAUSE_MILLIS = 10;
    static final long LONGEST_PAUSE_MILLIS = 1_000;

    private final ServerSocket listener;
    private final ConnectionLimit limit;
    private final Consumer<Socket> dispatch;

    /**
     * @param limit    only for the back-off after an accept error, which a connection
     *                 ending cuts short; slots are taken by {@code dispatch}
     * @param dispatch takes over the accepted socket
     */
    AcceptLoop(ServerSocket listener, ConnectionLimit limit, Consumer<Socket> dispatch) {
        this.listener = listener;
        this.limit = limit;
        this.dispatch = dispatch;
    }

    @Override
    public void run() {
        long pause = FIRST_PAUSE_MILLIS;
        while (!listener.isClosed()) {
            // No waiting for a free slot here: at the limit, the loop still accepts, so that
            // it sees who else arrives (LiveConnections decides who waits, and where).
            Socket client;
            try {
                client = listener.accept();
                pause = FIRST_PAUSE_MILLIS;
            } catch (IOException e) {
                if (listener.isClosed()) {
                    break; // we are stopping: closing the listener is how accept is woken up
                }
                // Transient (too many open files, out of buffers, a client that reset while
                // queued): wait so a persistent error does not spin the CPU, then go on. The
                // wait ends early when a connection ends, since that frees descriptors.
                Logger.warn("accept failed: {}; retrying when a connection ends, or in {} ms",
                        SocketErrors.describe(e), pause);
                if (!limit.pauseUntilRelease(pause)) {
                    break;
                }
                pause = Math.min(pause * 2, LONGEST_PAUSE_MILLIS);
                continue;
            }
            dispatchSafely(client);
        }
    }

    /** No failure in handing over one client may end the loop that serves all the others. */
    private void dispatchSafely(Socket client) {
        try {
            dispatch.accept(client);
        } catch (Throwable e) {
            Logger.error("could not start a connection handler: {}; closing the client", e.toString());
            Closer.closeQuietly(client); // dispatch has given back whatever it took
        }
    }
}
