package dev.loombalancer.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** A real redis-server on a loopback port of its own, which a test can freeze (SIGSTOP) and thaw. */
public final class Redis implements AutoCloseable {

    private final Process process;
    private final InetSocketAddress address;

    private Redis(Process process, InetSocketAddress address) {
        this.process = process;
        this.address = address;
    }

    public static Redis start() throws IOException {
        int port = Ports.free().getPort();
        Process process;
        try {
            process = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new AssertionError("this test needs a real redis-server: apt-get install redis-server", e);
        }
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
            try (Socket probe = new Socket(address.getAddress(), port)) {
                return true;
            }
        });
        return new Redis(process, address);
    }

    public InetSocketAddress address() {
        return address;
    }

    /** SIGSTOP: the process stops, but its kernel still completes TCP handshakes. */
    public void freeze() throws IOException, InterruptedException {
        signal("STOP");
    }

    public void thaw() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String name) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start().waitFor();
    }

    @Override
    public void close() throws IOException, InterruptedException {
        thaw();
        process.destroy();
        process.waitFor(10, TimeUnit.SECONDS);
    }
}
