package dev.loombalancer.cli;

import dev.loombalancer.net.HostPort;
import dev.loombalancer.net.SocketErrors;
import dev.loombalancer.server.Balancer;
import dev.loombalancer.server.BalancerConfig;
import dev.loombalancer.server.SniRoute;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.tinylog.Logger;
import sun.misc.Signal;

/**
 * Reloads {@code --config}'s file when it changes and on SIGHUP, and applies the difference
 * without cutting a connection: new services start, removed ones drain, and a service
 * whose backends changed changes them in place ({@link Balancer#updateBackends}).
 *
 * <p>The directory is watched, not the file: an editor's atomic rename and a Kubernetes
 * ConfigMap's symlink swap replace the file, and only the directory sees that. Every
 * event leads to reading the file again; a file whose bytes did not change is a no-op,
 * so the several events of one save apply it once. A file that does not validate is
 * logged, once per distinct error, and the running configuration stays.
 */
final class ConfigReload implements AutoCloseable {

    private final Path file;
    private final RunningServices services;
    private final ReentrantLock applying = new ReentrantLock();
    private final WatchService watcher;
    private final Thread watching;
    private byte[] appliedDigest;
    private String lastError;

    /** @param applied what the running services were made from */
    ConfigReload(Path file, ConfigFile.Contents applied, RunningServices services) throws IOException {
        this.file = file;
        this.services = services;
        this.appliedDigest = digest(applied);
        this.watcher = FileSystems.getDefault().newWatchService();
        Path directory = file.toAbsolutePath().getParent();
        directory.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                StandardWatchEventKinds.ENTRY_DELETE);
        // Platform threads: a reload may look backend names up (DnsLookup), and JNDI's DNS client
        // waits inside synchronized, which would pin a virtual thread's carrier on JDK 21-23.
        this.watching = Thread.ofPlatform().daemon().name("loom-config-watch").start(this::watch);
        try {
            Signal.handle(new Signal("HUP"), signal ->
                    Thread.ofPlatform().daemon().name("loom-reload").start(() -> reload("SIGHUP", true)));
        } catch (IllegalArgumentException e) {
            Logger.debug("cannot handle SIGHUP: {}", e.getMessage()); // ignored here: the watch still works
        }
    }

    private void watch() {
        try {
            // A change saved after the file was first read but before the watch began sent
            // its event to nobody: compare once now.
            reload("a change of " + file, false);
            while (true) {
                WatchKey key = watcher.take();
                key.pollEvents(); // what changed does not matter: the file is read again
                key.reset();
                // A save is often several events (write, rename, symlink swap): let them settle.
                while (true) {
                    WatchKey more = watcher.poll(100, TimeUnit.MILLISECONDS);
                    if (more == null) {
                        break;
                    }
                    more.pollEvents();
                    more.reset();
                }
                reload("a change of " + file, false);
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closing
        }
    }

    /**
     * Reads the file and applies it, unless its bytes are the ones applied last and the
     * reload is not forced. SIGHUP forces it, so it also undoes the admin API's changes.
     */
    void reload(String why, boolean force) {
        applying.lock();
        try {
            reloadLocked(why, force);
        } catch (RuntimeException e) {
            // Whatever went wrong, the watch must go on, and the running services stay as they are.
            Logger.error("reload after {} failed: {}; the running configuration stays", why, e.toString());
        } finally {
            applying.unlock();
        }
    }

    private void reloadLocked(String why, boolean force) {
        byte[] digest = digest();
        if (!force && digest != null && Arrays.equals(digest, appliedDigest)) {
            return;
        }
        ConfigFile.Contents contents;
        try {
            contents = ConfigFile.read(file);
        } catch (ConfigFile.Invalid e) {
            if (!e.getMessage().equals(lastError)) {
                Logger.warn("reload after {} refused, the running configuration stays: {}", why, e.getMessage());
                lastError = e.getMessage();
            }
            return;
        }
        lastError = null;
        appliedDigest = digest(contents); // what was read, which may be newer than the digest above
        apply(contents, why);
    }

    private void apply(ConfigFile.Contents contents, String why) {
        Map<String, BalancerConfig> running = services.configs();
        List<String> started = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        List<String> changed = new ArrayList<>();
        for (ConfigFile.Service service : contents.services()) {
            BalancerConfig next = service.config();
            BalancerConfig now = running.remove(service.name());
            if (now != null && !now.listen().equals(next.listen())) {
                drain(service.name()); // a new address is a new service
                removed.add(service.name());
                now = null;
            }
            if (now == null) {
                if (start(next)) {
                    started.add(service.name());
                }
                continue;
            }
            Balancer balancer = services.get(service.name());
            // Compared with what runs, not with the file before: the admin API may have changed it.
            if (!balancer.pool().backends().equals(next.backends())
                    || !balancer.pool().weighting().equals(next.weighting())
                    || !Objects.equals(now.names(), next.names()) || !now.routes().equals(next.routes())) {
                balancer.reconfigure(next); // the backends, and the names looked up from now on
                changed.add(service.name());
            }
            if (!onlyBackendsDiffer(now, next)) {
                Logger.warn("service {}: only backends and weights change on a reload, its routes' too; its other "
                        + "settings, and which routes it has, take effect at the next restart", service.name());
            }
            services.replaceConfig(next);
        }
        for (String gone : running.keySet()) {
            drain(gone);
            removed.add(gone);
        }
        Logger.info("reloaded {} after {}: {} started, {} removed (draining), backends changed in {}", file, why,
                started, removed, changed);
    }

    /** Whether the two differ in backends, weights and names looked up only, the SNI routes' included. */
    private static boolean onlyBackendsDiffer(BalancerConfig now, BalancerConfig next) {
        if (!now.withBackends(next.backends(), next.weighting()).withNames(next.names()).withRoutes(next.routes())
                .equals(next) || now.routes().size() != next.routes().size()) {
            return false;
        }
        for (int i = 0; i < now.routes().size(); i++) {
            SniRoute before = now.routes().get(i);
            SniRoute after = next.routes().get(i);
            if (!before.serverNames().equals(after.serverNames()) || !onlyBackendsDiffer(before.pool(), after.pool())) {
                return false;
            }
        }
        return true;
    }

    private boolean start(BalancerConfig config) {
        try {
            Balancer balancer = Balancer.open(config);
            services.add(balancer, config);
            balancer.start();
            return true;
        } catch (IOException e) {
            Logger.error("reload: service {} cannot listen on {}: {}; the rest of the file was applied", config.name(),
                    HostPort.format(config.listen()), SocketErrors.describe(e));
            return false;
        }
    }

    private void drain(String name) {
        Balancer balancer = services.remove(name);
        if (balancer != null) {
            Thread.ofVirtual().name("loom-drain").start(() -> balancer.drain(balancer.drainTimeout()));
        }
    }

    private byte[] digest() {
        try {
            return sha256(Files.readAllBytes(file));
        } catch (IOException e) {
            return null; // gone for a moment, mid-swap: the read after the next event decides
        }
    }

    // The file was read as UTF-8, and only if valid, so its text encodes back to its bytes.
    private static byte[] digest(ConfigFile.Contents contents) {
        return sha256(contents.text().getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    @Override
    public void close() {
        try {
            watcher.close();
        } catch (IOException e) {
            // closing anyway
        }
        watching.interrupt();
    }
}
