package dev.loombalancer.server;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The accept loop keeps serving through errors that are not its own end. */
class AcceptLoopTest {

    /** A listener whose first few accepts fail the way an exhausted process's do. */
    private static final class FailingListener extends ServerSocket {
        private final AtomicInteger failuresLeft;

        FailingListener(int failures) throws IOException {
            super(0, 50, InetAddress.getLoopbackAddress());
            failuresLeft = new AtomicInteger(failures);
        }

        @Override
        public Socket accept() throws IOException {
            if (failuresLeft.getAndDecrement() > 0) {
                throw new IOException("Too many open files");
            }
            return super.accept();
        }
    }

    /** Transient accept errors are logged and retried; the next client is still accepted. */
    @Test
    void survivesTransientAcceptErrors() throws Exception {
        List<Socket> dispatched = new CopyOnWriteArrayList<>();
        FailingListener listener = new FailingListener(3);
        Thread loop = Thread.ofPlatform().start(new AcceptLoop(listener, new ConnectionLimit(0, 1), dispatched::add));
        try (Socket client = new Socket()) {
            client.connect(listener.getLocalSocketAddress());
            await().atMost(Duration.ofSeconds(5)).until(() -> dispatched.size() == 1);
            assertEquals(client.getLocalPort(), ((InetSocketAddress) dispatched.get(0).getRemoteSocketAddress()).getPort());
        } finally {
            listener.close();
            loop.join();
            for (Socket socket : dispatched) {
                socket.close();
            }
        }
        assertFalse(loop.isAlive(), "closing the listener ends the loop");
    }

    /** A handler that cannot be started closes that client and leaves the loop serving others. */
    @Test
    void survivesAFailingDispatch() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        List<Socket> served = new CopyOnWriteArrayList<>();
        ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread loop = Thread.ofPlatform().start(new AcceptLoop(listener, new ConnectionLimit(0, 1), socket -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("no thread for you");
            }
            served.add(socket);
        }));
        try (Socket first = new Socket(); Socket second = new Socket()) {
            first.connect(listener.getLocalSocketAddress());
            first.setSoTimeout(5_000);
            assertEquals(-1, first.getInputStream().read(), "the first client is closed, not left hanging");
            second.connect(listener.getLocalSocketAddress());
            await().atMost(Duration.ofSeconds(5)).until(() -> served.size() == 1);
        } finally {
            listener.close();
            loop.join();
            for (Socket socket : served) {
                socket.close();
            }
        }
    }
}
