import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A demo client for a line-based service such as EchoBackend, usually through the balancer.
 *
 * <pre>
 *   java examples/Client.java                           # interactive: type lines, see replies (localhost:8000)
 *   java examples/Client.java localhost:8000 hello      # one message, print the reply, exit
 *   java examples/Client.java localhost:8000 -n 4 hello # 4 connections opened in order, all at once
 * </pre>
 */
public class Client {

    private static final int TIMEOUT_MILLIS = 10_000;

    public static void main(String[] args) throws Exception {
        String target = "localhost:8000";
        int connections = 0;
        List<String> words = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("-n") && i + 1 < args.length && args[i + 1].matches("\\d{1,5}")) {
                connections = Integer.parseInt(args[++i]);
            } else if (i == 0 && args[i].contains(":")) {
                target = args[i];
            } else if (args[i].startsWith("-")) {
                System.err.println("usage: java examples/Client.java [HOST:PORT] [-n CONNECTIONS] [MESSAGE...]");
                System.exit(2);
            } else {
                words.add(args[i]);
            }
        }
        int colon = target.lastIndexOf(':');
        String host = target.substring(0, colon).replace("[", "").replace("]", "");
        int port = Integer.parseInt(target.substring(colon + 1));
        String message = String.join(" ", words);
        try {
            if (connections > 0) {
                concurrent(host, port, connections, message.isEmpty() ? "hello" : message);
            } else if (!message.isEmpty()) {
                try (Socket socket = open(host, port)) {
                    System.out.println(exchange(socket, message));
                }
            } else {
                interactive(host, port);
            }
        } catch (IOException e) {
            System.err.println("Client: " + target + ": " + e.getMessage());
            System.exit(1);
        }
    }

    /** Opens the connections one after another (so the balancer sees them in order), then uses them all at once. */
    private static void concurrent(String host, int port, int count, String message) throws Exception {
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                sockets.add(open(host, port));
            }
            List<Future<String>> replies = new ArrayList<>();
            try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < count; i++) {
                    Socket socket = sockets.get(i);
                    String text = message + " " + (i + 1);
                    replies.add(threads.submit(() -> exchange(socket, text)));
                }
            }
            for (int i = 0; i < count; i++) {
                System.out.println("request " + (i + 1) + " -> " + replies.get(i).get());
            }
        } finally {
            for (Socket socket : sockets) {
                socket.close();
            }
        }
    }

    /** Sends each line typed on standard input and prints the reply; at end of input, half-closes and drains. */
    private static void interactive(String host, int port) throws IOException {
        try (Socket socket = open(host, port);
             BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
             BufferedReader in = reader(socket)) {
            System.err.println("connected to " + host + ":" + port + "; type lines, end with Ctrl-D");
            for (String line; (line = stdin.readLine()) != null; ) {
                socket.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
                String reply = in.readLine();
                if (reply == null) {
                    System.err.println("the server closed the connection");
                    return;
                }
                System.out.println(reply);
            }
            socket.shutdownOutput();
            for (String reply; (reply = in.readLine()) != null; ) {
                System.out.println(reply);
            }
        }
    }

    private static Socket open(String host, int port) throws IOException {
        Socket socket = new Socket(host, port);
        socket.setSoTimeout(TIMEOUT_MILLIS);
        return socket;
    }

    private static String exchange(Socket socket, String message) throws IOException {
        socket.getOutputStream().write((message + "\n").getBytes(StandardCharsets.UTF_8));
        String reply = reader(socket).readLine();
        return reply != null ? reply : "(connection closed without a reply)";
    }

    private static BufferedReader reader(Socket socket) throws IOException {
        return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    }
}
