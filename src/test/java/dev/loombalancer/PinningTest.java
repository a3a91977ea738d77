package dev.loombalancer;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.admin.AdminAccess;
import dev.loombalancer.admin.AdminServer;
import dev.loombalancer.server.Balancer;
import dev.loombalancer.testing.FastProbes;
import dev.loombalancer.testing.Ports;
import dev.loombalancer.testing.RunningBalancer;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No virtual thread pins its carrier in our code, as JFR sees it: every
 * {@code jdk.VirtualThreadPinned} event (threshold 0) recorded while traffic, failover,
 * health checks, admin requests and logging run must be free of our own frames.
 */
class PinningTest {

    private static final String PINNED = "jdk.VirtualThreadPinned";
    private static final String OUR_CODE = "dev.loombalancer.";
    private static final String TEST_SUPPORT = "dev.loombalancer.testing.";
    private static final int CLIENTS = 20;
    private static final int EXCHANGES_PER_CLIENT = 10;

    /**
     * Traffic, failover, probes, admin requests and logging pin nothing in our code, once
     * warm. (The first run initialises classes, and a virtual thread that initialises a
     * class, or waits for another to, is pinned meanwhile: once per class, at start-up.)
     */
    @Test
    void theBalancerPinsNoCarrier(@TempDir Path dir) throws Exception {
        exerciseTheBalancer();
        List<RecordedEvent> events = recordPinning(dir.resolve("balancer.jfr"), PinningTest::exerciseTheBalancer);
        List<String> ours = events.stream().filter(event -> hasFrame(event, PinningTest::isMainCode))
                .map(PinningTest::describe).toList();
        assertTrue(ours.isEmpty(), "pinned in our code:\n" + String.join("\n", ours));
    }

    /** Proxies, fails over, probes, serves every admin endpoint and logs, all at once. */
    private static void exerciseTheBalancer() throws Exception {
        try (TestBackend b1 = TestBackend.hello("B1");
             TestBackend b2 = TestBackend.hello("B2");
             Balancer balancer = RunningBalancer.start(c -> c.health(FastProbes.CONFIG)
                     .idleTimeout(Duration.ofSeconds(30)), b1.address(), b2.address(), Ports.refusing());
             AdminServer admin = AdminServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), List.of(balancer), AdminAccess.LOOPBACK);
             HttpClient http = HttpClient.newHttpClient()) {
            AtomicInteger served = new AtomicInteger();
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                clients.add(Thread.ofVirtual().start(() -> {
                    for (int i = 0; i < EXCHANGES_PER_CLIENT; i++) {
                        try (TestClient client = new TestClient(balancer.localAddress())) {
                            if (client.exchange("hi").startsWith("Hello from B")) {
                                served.incrementAndGet();
                            }
                        } catch (Exception e) {
                            // counted as not served
                        }
                    }
                }));
            }
            String base = "http://127.0.0.1:" + admin.address().getPort();
            for (String path : List.of("/metrics", "/status", "/healthz")) {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(base + path)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, response.statusCode(), path);
            }
            String b1Path = base + "/backends/127.0.0.1:" + b1.address().getPort();
            for (String action : List.of("/drain", "/enable")) {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(b1Path + action))
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, response.statusCode(), action);
            }
            for (Thread client : clients) {
                assertTrue(client.join(Duration.ofSeconds(60)), "clients finish");
            }
            assertEquals(CLIENTS * EXCHANGES_PER_CLIENT, served.get(), "every exchange served");
            // A few probe rounds, with the refusing backend going DOWN and logging it.
            long rounds = balancer.prober().orElseThrow().rounds();
            await().until(() -> balancer.prober().orElseThrow().rounds() >= rounds + 5);
        }
    }

    /**
     * The recording above can see pinning at all: a virtual thread that parks inside a
     * class initializer pins its carrier (a VM frame runs the initializer), on every JDK
     * this project supports so far, and its event names our frame.
     */
    @Test
    void theRecordingSeesPinningInOurCode(@TempDir Path dir) throws Exception {
        List<RecordedEvent> events = recordPinning(dir.resolve("control.jfr"), () -> {
            Thread thread = Thread.ofVirtual().start(() -> ParksWhileInitialising.touch());
            assertTrue(thread.join(Duration.ofSeconds(10)));
        });
        String control = ParksWhileInitialising.class.getName();
        assertFalse(events.stream().filter(event -> hasFrame(event, control::equals)).toList().isEmpty(),
                "the control pinned, and the recording saw it: " + events.size() + " events");
    }

    /** Parks for a moment in its static initializer: the control case. */
    private static final class ParksWhileInitialising {
        static {
            LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
        }

        static void touch() {
        }
    }

    @FunctionalInterface
    private interface Work {
        void run() throws Exception;
    }

    private static List<RecordedEvent> recordPinning(Path file, Work work) throws Exception {
        try (Recording recording = new Recording()) {
            recording.enable(PINNED).withThreshold(Duration.ZERO).withStackTrace();
            recording.start();
            work.run();
            recording.stop();
            recording.dump(file);
        }
        return RecordingFile.readAllEvents(file).stream()
                .filter(event -> event.getEventType().getName().equals(PINNED)).toList();
    }

    /** The balancer's own classes, not the tests' peers and clients. */
    private static boolean isMainCode(String className) {
        return className.startsWith(OUR_CODE) && !className.startsWith(TEST_SUPPORT)
                && !className.startsWith(PinningTest.class.getName());
    }

    private static boolean hasFrame(RecordedEvent event, Predicate<String> className) {
        return event.getStackTrace() != null && event.getStackTrace().getFrames().stream()
                .anyMatch(frame -> className.test(frame.getMethod().getType().getName()));
    }

    private static String describe(RecordedEvent event) {
        StringBuilder text = new StringBuilder(event.getDuration() + " on " + event.getThread().getJavaName()
                + ", " + event.getString("blockingOperation") + ": " + event.getString("pinnedReason"));
        for (RecordedFrame frame : event.getStackTrace().getFrames()) {
            text.append("\n    at ").append(frame.getMethod().getType().getName()).append('.')
                    .append(frame.getMethod().getName()).append(" line ").append(frame.getLineNumber());
        }
        return text.toString();
    }
}
