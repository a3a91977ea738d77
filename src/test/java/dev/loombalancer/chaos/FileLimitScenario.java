package dev.loombalancer.chaos;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.testing.BalancerProcess;
import dev.loombalancer.testing.Locales;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario 3: the balancer runs under {@code ulimit -n 256} and is flooded with more
 * clients than that can hold.
 *
 * <p>With the default connection limit (derived from the file limit) the extra clients
 * wait in the listen backlog and every one of them is served once others leave. With a
 * --max-connections the files cannot hold, accepting and connecting fail with "too many
 * open files": the balancer logs it, keeps its accept loop, blames no backend, and serves
 * normally once the flood ends.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class FileLimitScenario {

    private static final int FILE_LIMIT = 256;
    private static final int FLOOD = 400;

    /** Under a small ulimit -n, the derived connection limit queues a flood in the backlog and serves every client. */
    @Test
    void theDerivedLimitQueuesTheFloodAndServesEveryone() throws Exception {
        try (TestBackend b1 = TestBackend.hello("B1"); TestBackend b2 = TestBackend.hello("B2");
             TestBackend b3 = TestBackend.hello("B3");
             BalancerProcess balancer = BalancerProcess.startWithFileLimit(FILE_LIMIT, "--listen", "127.0.0.1:0",
                     "--admin", "127.0.0.1:0", "--backend", Chaos.backendList(b1, b2, b3))) {
            InetSocketAddress server = balancer.address();
            balancer.awaitLine("connections (open-file limit " + FILE_LIMIT + ")");
            assertEquals("B1", TestClient.backendOf(server, null));
            Chaos.Baseline before = Chaos.Baseline.of(balancer);

            List<TestClient> flood = flood(server);
            balancer.awaitLine("reached; new clients wait");
            int peak = balancer.openFiles();
            assertTrue(peak < FILE_LIMIT, peak + " files open");
            // Every client gets its answer: the first ones at once, the queued ones as room is made.
            int served = 0;
            for (TestClient client : flood) {
                client.socket().setSoTimeout(30_000);
                String reply;
                try {
                    reply = client.readLine();
                } catch (SocketTimeoutException e) {
                    throw new AssertionError("client " + (served + 1) + " of " + FLOOD + " got no answer in 30 s, "
                            + balancer.openFiles() + " files open; the balancer logged:\n" + balancer.err(), e);
                }
                assertTrue(reply != null && reply.startsWith("Hello from B"), "served: " + reply);
                client.close(); // makes room for one queued client
                served++;
            }
            assertFalse(balancer.err().contains("too many open files"), balancer.err());
            Map<String, Object> figures = Chaos.backToBaseline(balancer, before);

            Map<String, Object> report = new LinkedHashMap<>();
            report.put("connections", FLOOD);
            report.put("verified", served);
            report.put("faultsInjected", "ulimit -n " + FILE_LIMIT + ", " + FLOOD + " clients at once; default limit");
            report.put("peakFiles", peak);
            report.putAll(figures);
            Chaos.report("file limit, derived --max-connections", report);
        }
    }

    /**
     * With --max-connections above what the files hold, running out of files cuts clients
     * but takes no backend DOWN, in English and in German alike (the JDK's message differs).
     */
    @ParameterizedTest
    @ValueSource(strings = {Locales.ENGLISH, Locales.GERMAN})
    void runningOutOfFilesIsSurvivedAndBlamesNoBackend(String locale) throws Exception {
        Locales.require(locale);
        try (TestBackend b1 = TestBackend.hello("B1"); TestBackend b2 = TestBackend.hello("B2");
             TestBackend b3 = TestBackend.hello("B3");
             BalancerProcess balancer = BalancerProcess.startWithFileLimitInLocale(FILE_LIMIT, locale, "--listen", "127.0.0.1:0",
                     "--admin", "127.0.0.1:0", "--backend", Chaos.backendList(b1, b2, b3),
                     "--max-connections", "1000", "--health-interval", "200ms")) {
            InetSocketAddress server = balancer.address();
            balancer.awaitLine("--max-connections 1000 needs about");
            assertEquals("B1", TestClient.backendOf(server, null));
            Chaos.Baseline before = Chaos.Baseline.of(balancer);

            List<TestClient> flood = flood(server);
            // Our own words for it, which do not depend on the locale: out of files when
            // opening a backend socket, or when accepting.
            await().atMost(Duration.ofSeconds(30)).until(() -> balancer.err().contains("cannot open a connection to a backend")
                    || balancer.err().contains("accept failed"));
            // Each flood client, at once: answered, cut, or still queued behind the full table.
            AtomicInteger served = new AtomicInteger();
            AtomicInteger cut = new AtomicInteger();
            List<Thread> readers = new ArrayList<>();
            for (TestClient client : flood) {
                readers.add(Thread.ofVirtual().start(() -> {
                    try {
                        client.socket().setSoTimeout(2_000);
                        String reply = client.readLine();
                        (reply != null && reply.startsWith("Hello from B") ? served : cut).incrementAndGet();
                    } catch (SocketTimeoutException queued) {
                        // neither: it waits in the backlog, and is closed below
                    } catch (IOException reset) {
                        cut.incrementAndGet();
                    }
                }));
            }
            for (Thread reader : readers) {
                reader.join();
            }
            for (TestClient client : flood) {
                client.close();
            }
            // Serving normally again: all three backends UP (none blamed), every client answered.
            await().atMost(Duration.ofSeconds(30)).until(() -> balancer.statusNumber("backendsUp") == 3);
            for (int i = 0; i < 30; i++) {
                assertTrue(TestClient.backendOf(server, null).startsWith("B"));
            }
            assertFalse(balancer.err().contains(" DOWN ("), "no backend was taken DOWN:\n" + balancer.err());
            Map<String, Object> figures = Chaos.backToBaseline(balancer, before);

            Map<String, Object> report = new LinkedHashMap<>();
            report.put("connections", FLOOD);
            report.put("verified", served.get());
            report.put("closedByFaults", cut.get());
            report.put("stillQueued", FLOOD - served.get() - cut.get());
            report.put("faultsInjected", "ulimit -n " + FILE_LIMIT + ", " + FLOOD + " clients at once, --max-connections 1000, LC_ALL="
                    + locale);
            report.putAll(figures);
            Chaos.report("file limit, --max-connections above it, " + locale, report);
        }
    }

    /** {@link #FLOOD} clients, connected (or queued by the kernel) and each having sent one line. */
    private static List<TestClient> flood(InetSocketAddress server) throws IOException {
        List<TestClient> clients = new ArrayList<>();
        for (int i = 0; i < FLOOD; i++) {
            TestClient client = new TestClient(server);
            client.send("flood " + i);
            clients.add(client);
        }
        return clients;
    }
}
