import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Pinning, shown: two virtual threads each block in a socket read while holding a lock,
 * on a scheduler with two carriers, and a third virtual thread needs one round trip.
 *
 * <pre>
 * java -Djdk.virtualThreadScheduler.parallelism=2 examples/Pinning.java synchronized
 * java -Djdk.virtualThreadScheduler.parallelism=2 examples/Pinning.java reentrantlock
 * </pre>
 *
 * With {@code synchronized} on JDK 21 to 23, each blocked holder pins its carrier, so the
 * third thread waits until the holders are released ({@value #HOLD_MILLIS} ms). With a
 * {@code ReentrantLock}, or with {@code synchronized} on JDK 24 and later (JEP 491), the
 * holders unmount and the round trip takes a millisecond or so. docs/experiments.md has
 * the output, and how to see the pinning in JFR.
 */
public class Pinning {

    static final long HOLD_MILLIS = 3_000;
    /** A holder gives up after this, so the demonstration ends even when nothing can wake it. */
    static final int HOLDER_TIMEOUT_MILLIS = 8_000;

    public static void main(String[] args) throws Exception {
        boolean monitors = args.length == 0 || args[0].equals("synchronized");
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            // The server side runs on platform threads: it must not depend on the carriers under test.
            Thread.ofPlatform().daemon().start(() -> serve(server));
            Object[] monitorsHeld = {new Object(), new Object()};
            ReentrantLock[] locksHeld = {new ReentrantLock(), new ReentrantLock()};
            Thread[] holders = new Thread[2];
            String[] outcomes = new String[2];
            for (int i = 0; i < 2; i++) {
                int n = i;
                holders[i] = Thread.ofVirtual().name("holder-" + i).start(() -> {
                    long begun = System.nanoTime();
                    try (Socket socket = new Socket(server.getInetAddress(), server.getLocalPort())) {
                        socket.setSoTimeout(HOLDER_TIMEOUT_MILLIS);
                        socket.getOutputStream().write('h'); // "hold me": the server answers late
                        InputStream in = socket.getInputStream();
                        if (monitors) {
                            synchronized (monitorsHeld[n]) {
                                in.read(); // blocks while holding a monitor
                            }
                        } else {
                            locksHeld[n].lock();
                            try {
                                in.read(); // blocks while holding a ReentrantLock
                            } finally {
                                locksHeld[n].unlock();
                            }
                        }
                        outcomes[n] = "answered after " + (System.nanoTime() - begun) / 1_000_000 + " ms";
                    } catch (java.net.SocketTimeoutException e) {
                        outcomes[n] = "timed out after " + (System.nanoTime() - begun) / 1_000_000
                                + " ms although answered after " + HOLD_MILLIS + " ms";
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
            }
            Thread.sleep(500); // let both holders block in their reads
            long started = System.nanoTime();
            Thread third = Thread.ofVirtual().name("third").start(() -> {
                try (Socket socket = new Socket(server.getInetAddress(), server.getLocalPort())) {
                    socket.getOutputStream().write('p'); // "ping": the server answers at once
                    socket.getInputStream().read();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            third.join();
            long millis = (System.nanoTime() - started) / 1_000_000;
            for (Thread holder : holders) {
                holder.join();
            }
            System.out.printf("Java %s, %s, jdk.pollerMode=%s: the third connection's round trip took %d ms; "
                            + "holders: %s; %s%n", Runtime.version().feature(), monitors ? "synchronized" : "ReentrantLock",
                    System.getProperty("jdk.pollerMode", "default"), millis, outcomes[0], outcomes[1]);
        }
    }

    /** 'h' is answered after HOLD_MILLIS, 'p' at once; one platform thread per connection. */
    private static void serve(ServerSocket server) {
        while (true) {
            try {
                Socket socket = server.accept();
                Thread.ofPlatform().daemon().start(() -> {
                    try (socket) {
                        int request = socket.getInputStream().read();
                        if (request == 'h') {
                            Thread.sleep(HOLD_MILLIS);
                        }
                        OutputStream out = socket.getOutputStream();
                        out.write('!');
                        out.flush();
                    } catch (Exception ignored) {
                        // the demo is over
                    }
                });
            } catch (Exception closed) {
                return;
            }
        }
    }
}
