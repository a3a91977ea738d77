import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A demo backend: answers every line it receives with {@code Hello from NAME: <line>}.
 *
 * <pre>
 *   java examples/EchoBackend.java 9001 B1            # on 127.0.0.1:9001
 *   java examples/EchoBackend.java 9001 B1 0.0.0.0    # on every interface
 * </pre>
 *
 * Each connection is served on its own virtual thread with plain blocking reads and writes:
 * the same style as the balancer itself. When the client half-closes (sends FIN), the
 * backend still answers every line it got, then closes its side.
 */
public class EchoBackend {

    public static void main(String[] args) {
        if (args.length < 1 || args.length > 3 || !args[0].matches("\\d{1,5}")) {
            System.err.println("usage: java examples/EchoBackend.java PORT [NAME] [HOST]   (example: 9001 B1)");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        String name = args.length > 1 ? args[1] : "B" + port;
        String host = args.length > 2 ? args[2] : "127.0.0.1";
        try (ServerSocket server = new ServerSocket()) {
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(host, port), 1024); // room for bursts of new clients
            System.out.println(name + " listening on " + host + ":" + port);
            while (true) {
                Socket client = server.accept();
                Thread.ofVirtual().name(name + "-client").start(() -> serve(client, name));
            }
        } catch (IOException e) {
            System.err.println("EchoBackend " + name + ": cannot listen on " + host + ":" + port + ": " + e.getMessage());
            System.exit(1);
        }
    }

    private static void serve(Socket client, String name) {
        try (client;
             BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8))) {
            OutputStream out = client.getOutputStream();
            // readLine returns the last line even without a trailing newline, and null at
            // end of stream: a half-closed client still gets every answer.
            for (String line; (line = in.readLine()) != null; ) {
                out.write(("Hello from " + name + ": " + line + "\n").getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            // The client went away mid-line: nothing left to answer.
        }
    }
}
