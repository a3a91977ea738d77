package dev.loombalancer.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A real HAProxy on loopback, started by a test with its own configuration and stopped
 * after it: what it logs goes to a file the test reads.
 */
public final class Haproxy implements AutoCloseable {

    /** The start of a configuration for mode tcp, logging to standard output; frontends and backends follow. */
    public static final String TCP_DEFAULTS = """
            global
                log stdout format raw local0
            defaults
                mode tcp
                log global
                timeout connect 2s
                timeout client 10s
                timeout server 10s
            """;

    /**
     * A configuration for a backend that takes the PROXY protocol: HAProxy on {@code port}
     * with {@code accept-proxy}, logging {@code client=ADDRESS:PORT} of each client it is
     * told of, and passing the connection on to {@code appPort}.
     */
    public static String acceptingProxy(int port, int appPort) {
        return TCP_DEFAULTS + """
                frontend fe
                    bind 127.0.0.1:%d accept-proxy
                    log-format "client=%%ci:%%cp"
                    default_backend be
                backend be
                    server app 127.0.0.1:%d
                """.formatted(port, appPort);
    }

    private final Process process;
    private final Path log;

    private Haproxy(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /**
     * Starts {@code haproxy -db} with {@code config} in {@code directory} (logging to standard
     * output, which goes to a file there), and waits until it accepts on {@code port}.
     */
    public static Haproxy start(Path directory, String config, int port) throws IOException {
        Path file = directory.resolve("haproxy.cfg");
        Path log = directory.resolve("haproxy.log");
        Files.writeString(file, config, StandardCharsets.UTF_8);
        Process process;
        try {
            process = new ProcessBuilder("haproxy", "-db", "-f", file.toString()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new AssertionError("this test needs HAProxy as a real peer: apt-get install haproxy", e);
        }
        Haproxy haproxy = new Haproxy(process, log);
        try {
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
                try (Socket probe = new Socket("127.0.0.1", port)) {
                    return true;
                }
            });
        } catch (RuntimeException | Error e) {
            haproxy.close();
            throw new AssertionError("HAProxy did not start; its log: " + haproxy.logText(), e);
        }
        return haproxy;
    }

    /** What HAProxy has logged so far. */
    public String logText() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        stop(process);
    }

    /** Stops a peer process: SIGTERM, up to 10 s to exit, then SIGKILL. */
    static void stop(Process process) {
        process.destroy();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process.destroyForcibly();
    }
}
