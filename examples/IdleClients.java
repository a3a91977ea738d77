import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Opens N connections through the balancer, proves each one is proxied with one line and
 * its reply, then leaves them all open and idle until stopped, so the balancer's memory
 * and threads per idle connection can be read (docs/experiments.md says how).
 *
 * <pre>
 *   java examples/IdleClients.java 5000                  # to 127.0.0.1:8000
 *   java examples/IdleClients.java 5000 127.0.0.1:8000
 * </pre>
 *
 * Raise the open-file limit first for large N (ulimit -n 20000): each connection is a
 * file here, and two in the balancer.
 */
public class IdleClients {

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length > 2 || !args[0].matches("\\d{1,6}")) {
            System.err.println("usage: java examples/IdleClients.java N [HOST:PORT]   (example: 5000 127.0.0.1:8000)");
            System.exit(2);
        }
        int count = Integer.parseInt(args[0]);
        String target = args.length > 1 ? args[1] : "127.0.0.1:8000";
        int colon = target.lastIndexOf(':');
        InetSocketAddress address = new InetSocketAddress(target.substring(0, colon),
                Integer.parseInt(target.substring(colon + 1)));
        List<Socket> open = new ArrayList<>(count);
        long started = System.nanoTime();
        for (int i = 0; i < count; i++) {
            Socket socket = new Socket();
            socket.connect(address, 5_000);
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("idle " + i + "\n").getBytes(StandardCharsets.UTF_8));
            String reply = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8))
                    .readLine();
            if (reply == null) {
                System.err.println("connection " + i + " was closed before its reply; is a backend running?");
                System.exit(1);
            }
            open.add(socket);
            if ((i + 1) % 1000 == 0) {
                System.out.println((i + 1) + " open");
            }
        }
        System.out.printf("%d idle connections open through %s (%d ms); Ctrl-C to close them%n",
                open.size(), target, (System.nanoTime() - started) / 1_000_000);
        Thread.currentThread().join(); // until Ctrl-C; the JVM closes the sockets as it exits
    }
}
