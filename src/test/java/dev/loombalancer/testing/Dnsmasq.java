package dev.loombalancer.testing;

import static org.awaitility.Awaitility.await;

import dev.loombalancer.net.DnsLookup;
import java.io.IOException;
import java.net.BindException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real DNS server for tests: dnsmasq on a loopback port, answering A and AAAA from a
 * hosts file (re-read on {@link #reloadHosts}) and SRV from its flags, and nothing else
 * (no upstream, no /etc/hosts).
 */
public final class Dnsmasq implements AutoCloseable {

    private final Process process;
    private final InetSocketAddress address;

    private Dnsmasq(Process process, InetSocketAddress address) {
        this.process = process;
        this.address = address;
    }

    /**
     * @param srv dnsmasq's {@code --srv-host} values: {@code _name._tcp.domain,target,port,priority,weight}
     * @param probe a name in the hosts file, asked until dnsmasq answers
     */
    public static Dnsmasq start(Path hosts, List<String> srv, String probe) throws IOException {
        AssertionError last = null;
        for (int attempt = 0; attempt < 5; attempt++) { // a port free a moment ago may be taken when dnsmasq binds it
            try {
                return startOn(freePort(), hosts, srv, probe);
            } catch (AssertionError e) {
                last = e;
            }
        }
        throw last;
    }

    /** A loopback port free for both UDP and TCP, as dnsmasq listens on both. */
    private static int freePort() throws IOException {
        while (true) {
            try (ServerSocket tcp = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                 DatagramSocket udp = new DatagramSocket(tcp.getLocalPort(), InetAddress.getLoopbackAddress())) {
                return udp.getLocalPort();
            } catch (BindException taken) {
                // the UDP side is in use: another port
            }
        }
    }

    private static Dnsmasq startOn(int port, Path hosts, List<String> srv, String probe) throws IOException {
        List<String> command = new ArrayList<>(List.of("dnsmasq", "--no-daemon", "--port=" + port,
                "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
                "--addn-hosts=" + hosts, "--user=" + System.getProperty("user.name"), "--pid-file=", "--log-facility=-"));
        srv.forEach(record -> command.add("--srv-host=" + record));
        Path log = Files.createTempFile("dnsmasq", ".log");
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new AssertionError("this test needs dnsmasq as its DNS server: apt-get install dnsmasq-base", e);
        }
        Dnsmasq dnsmasq = new Dnsmasq(process, new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        DnsLookup lookup = DnsLookup.server(dnsmasq.address);
        try {
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> !process.isAlive() || !lookup.addresses(probe).isEmpty());
            if (!process.isAlive()) {
                throw new IllegalStateException("dnsmasq exited");
            }
        } catch (RuntimeException e) {
            process.destroy();
            throw new AssertionError("dnsmasq did not answer on port " + port + "; it said: "
                    + Files.readString(log), e);
        }
        return dnsmasq;
    }

    public InetSocketAddress address() {
        return address;
    }

    /** dnsmasq re-reads its hosts files on SIGHUP. */
    public void reloadHosts() throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-HUP", Long.toString(process.pid())).start().waitFor();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        process.waitFor();
    }
}
