package dev.loombalancer.cli;

import static org.awaitility.Awaitility.await;

import dev.loombalancer.server.Balancer;
import dev.loombalancer.testing.Ports;
import dev.loombalancer.testing.TestBackend;
import dev.loombalancer.testing.TestClient;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file watch and the reload it triggers. */
class ConfigReloadTest {

    /** A change saved after the file was first read, but before the watch began, is still applied. */
    @Test
    void appliesAChangeMadeBeforeTheWatchBegan(@TempDir Path directory) throws Exception {
        try (TestBackend web = TestBackend.hello("WEB"); TestBackend db = TestBackend.hello("DB")) {
            Path file = directory.resolve("loom.yaml");
            int webPort = Ports.free().getPort();
            int dbPort = Ports.free().getPort();
            String webService = "services:\n  - name: web\n    listen: 127.0.0.1:" + webPort
                    + "\n    health-interval: 0s\n    backends: [127.0.0.1:" + web.address().getPort() + "]\n";
            Files.writeString(file, webService);
            ConfigFile.Contents started = ConfigFile.read(file);
            RunningServices services = new RunningServices();
            try {
                for (ConfigFile.Service service : started.services()) {
                    Balancer balancer = Balancer.open(service.config());
                    services.add(balancer, service.config());
                    balancer.start();
                }
                Files.writeString(file, webService + "  - name: db\n    listen: 127.0.0.1:" + dbPort
                        + "\n    health-interval: 0s\n    backends: [127.0.0.1:" + db.address().getPort() + "]\n");
                try (ConfigReload reload = new ConfigReload(file, started, services)) {
                    InetSocketAddress dbAddress = new InetSocketAddress(InetAddress.getLoopbackAddress(), dbPort);
                    await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                            .until(() -> TestClient.backendOf(dbAddress, null).equals("DB"));
                }
            } finally {
                services.all().forEach(Balancer::close);
            }
        }
    }
}
