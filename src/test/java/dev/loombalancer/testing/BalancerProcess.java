package dev.loombalancer.testing;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.loombalancer.net.HostPort;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The packaged jar running as its own process, {@code java -jar target/loom-balancer.jar},
 * as users run it; with what a test needs to watch it from outside: its log, its open
 * files and threads (from {@code /proc}), and its admin endpoint.
 *
 * <p>Its standard error goes to a file, not a pipe: the JDK closes a child's pipe when the
 * child exits, racing a reader for the last lines.
 */
public final class BalancerProcess implements AutoCloseable {

    public static final Path JAR = Path.of(System.getProperty("loombalancer.jar", "target/loom-balancer.jar"));
    public static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");
    private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern ADMIN = Pattern.compile("admin endpoint on http://127\\.0\\.0\\.1:(\\d+)/");
    private static final Duration STARTUP = Duration.ofSeconds(30);

    private final Process process;
    private final Path errFile;
    private volatile HttpClient http;

    // Set when its standard error is not read, so its addresses were given, not logged.
    private volatile InetSocketAddress givenAddress;
    private volatile InetSocketAddress givenAdmin;

    private BalancerProcess(Process process, Path errFile) {
        this.process = process;
        this.errFile = errFile;
    }

    /**
     * {@code java -jar loom-balancer.jar --listen LISTEN --admin ADMIN ARGS} with its standard
     * error a pipe that nobody reads: once the pipe's buffer is full, every write to it
     * blocks. Its log cannot be read then, so its addresses are given.
     */
    public static BalancerProcess startWithUnreadStderr(InetSocketAddress listen, InetSocketAddress admin, String... args)
            throws IOException {
        List<String> command = new ArrayList<>(List.of(JAVA.toString(), "-jar", JAR.toString(),
                "--listen", HostPort.format(listen), "--admin", HostPort.format(admin)));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        BalancerProcess balancer = new BalancerProcess(process, Files.createTempFile("loom-balancer-it", ".log"));
        balancer.givenAddress = listen;
        balancer.givenAdmin = admin;
        return balancer;
    }

    /** {@code java -jar loom-balancer.jar ARGS}. */
    public static BalancerProcess start(String... args) throws IOException {
        return startWithJvmOptions(List.of(), args);
    }

    /** Like {@link #start}, under the locale {@code LC_ALL=locale} (which the JDK's error messages follow). */
    public static BalancerProcess startInLocale(String locale, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(JAVA.toString(), "-jar", JAR.toString()));
        command.addAll(List.of(args));
        return launch(command, Map.of("LC_ALL", locale));
    }

    /** {@code java JVM_OPTIONS -jar loom-balancer.jar ARGS}. */
    public static BalancerProcess startWithJvmOptions(List<String> jvmOptions, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(JAVA.toString()));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", JAR.toString()));
        command.addAll(List.of(args));
        return launch(command);
    }

    /** Like {@link #start}, under {@code ulimit -n files} (bash sets it, then execs java in its place). */
    public static BalancerProcess startWithFileLimit(int files, String... args) throws IOException {
        return startWithFileLimitInLocale(files, Locales.ENGLISH, args);
    }

    /** Like {@link #startWithFileLimit(int, String...)}, under the locale {@code LC_ALL=locale}. */
    public static BalancerProcess startWithFileLimitInLocale(int files, String locale, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("bash", "-c", "ulimit -n " + files + " && exec \"$@\"",
                "bash", JAVA.toString(), "-jar", JAR.toString()));
        command.addAll(List.of(args));
        return launch(command, Map.of("LC_ALL", locale));
    }

    private static BalancerProcess launch(List<String> command) throws IOException {
        return launch(command, Map.of());
    }

    private static BalancerProcess launch(List<String> command, Map<String, String> environment) throws IOException {
        Path errFile = Files.createTempFile("loom-balancer-it", ".log");
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        Process process = builder
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(errFile.toFile())
                .start();
        return new BalancerProcess(process, errFile);
    }

    public Process process() {
        return process;
    }

    /** Everything it has logged so far. */
    public String err() throws IOException {
        return Files.readString(errFile, StandardCharsets.UTF_8);
    }

    public Optional<Matcher> find(Pattern pattern) throws IOException {
        Matcher matcher = pattern.matcher(err());
        return matcher.find() ? Optional.of(matcher) : Optional.empty();
    }

    /** Waits for a line containing {@code text}; a timeout shows what was logged instead. */
    public void awaitLine(String text) throws IOException {
        try {
            await().atMost(STARTUP).until(() -> err().contains(text));
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("no line with '" + text + "' within " + STARTUP + "; logged:\n" + err(), e);
        }
    }

    /** Where clients connect: from its "listening on" line (so it must listen on 127.0.0.1). */
    public InetSocketAddress address() {
        return givenAddress != null ? awaitServing(givenAddress) : loopbackPort(LISTENING);
    }

    /** Where its admin endpoint listens: from its start-up line (--admin 127.0.0.1:0). */
    public InetSocketAddress adminAddress() {
        return givenAdmin != null ? awaitServing(givenAdmin) : loopbackPort(ADMIN);
    }

    /** The given address, once something accepts connections there. */
    private static InetSocketAddress awaitServing(InetSocketAddress address) {
        await().atMost(STARTUP).ignoreExceptions().until(() -> {
            try (Socket probe = new Socket()) {
                probe.connect(address, 1_000);
                return true;
            }
        });
        return address;
    }

    private InetSocketAddress loopbackPort(Pattern line) {
        int port = await().atMost(STARTUP).until(() -> find(line), Optional::isPresent)
                .map(m -> Integer.parseInt(m.group(1))).orElseThrow();
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    /** File descriptors it has open now (Linux: /proc/PID/fd). */
    public int openFiles() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(process.pid()), "fd"))) {
            return (int) fds.count();
        }
    }

    /** Platform (kernel) threads it has now: carriers, GC, JIT, … (Linux: /proc/PID/task). */
    public int platformThreads() throws IOException {
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(process.pid()), "task"))) {
            return (int) tasks.count();
        }
    }

    /** GET on the admin endpoint; the body, or an exception for a status other than 200. */
    public String admin(String path) throws IOException, InterruptedException {
        if (http == null) {
            http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        }
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                URI.create("http://" + HostPort.format(adminAddress()) + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("GET " + path + ": " + response.statusCode() + " " + response.body());
        }
        return response.body();
    }

    /** GET /status, parsed. */
    public Map<String, Object> status() throws IOException, InterruptedException {
        return JSON.std.mapFrom(admin("/status"));
    }

    /** A number from /status, such as "activeConnections" or "liveThreads". */
    public long statusNumber(String field) throws IOException, InterruptedException {
        return ((Number) status().get(field)).longValue();
    }

    /** Live heap after a full collection (jcmd GC.run), from jvm_memory_used_bytes{area="heap"}. */
    public long heapAfterGc() throws IOException, InterruptedException {
        Path jcmd = JAVA.resolveSibling("jcmd");
        Process gc = new ProcessBuilder(jcmd.toString(), Long.toString(process.pid()), "GC.run")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!gc.waitFor(30, TimeUnit.SECONDS)) {
            gc.destroyForcibly();
            throw new IOException("jcmd GC.run did not finish");
        }
        Matcher heap = Pattern.compile("(?m)^jvm_memory_used_bytes\\{area=\"heap\"} (\\S+)$").matcher(admin("/metrics"));
        if (!heap.find()) {
            throw new IOException("no jvm_memory_used_bytes{area=\"heap\"} in /metrics");
        }
        return (long) Double.parseDouble(heap.group(1));
    }

    /** Stops it at once (SIGKILL) and removes its log. */
    @Override
    public void close() throws IOException {
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (http != null) {
            http.close();
        }
        Files.deleteIfExists(errFile);
    }
}
