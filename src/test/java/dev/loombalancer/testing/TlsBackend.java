package dev.loombalancer.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A real TLS server on loopback: {@code openssl s_server -www} with a self-signed
 * certificate for one name, made by {@code openssl req} for the test. Its certificate
 * is what a client trusts to prove which backend it reached.
 */
public final class TlsBackend implements AutoCloseable {

    private final Process process;
    private final InetSocketAddress address;
    private final Path certificate;

    private TlsBackend(Process process, InetSocketAddress address, Path certificate) {
        this.process = process;
        this.address = address;
        this.certificate = certificate;
    }

    /** Makes a certificate for {@code name} in {@code directory} and serves TLS with it. */
    public static TlsBackend start(Path directory, String name) throws IOException, InterruptedException {
        Path key = directory.resolve(name + ".key");
        Path certificate = directory.resolve(name + ".pem");
        run(directory, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", key.toString(), "-out", certificate.toString(), "-days", "1",
                "-subj", "/CN=" + name, "-addext", "subjectAltName=DNS:" + name);
        InetSocketAddress address = Ports.free();
        Process process = new ProcessBuilder("openssl", "s_server", "-accept", "127.0.0.1:" + address.getPort(),
                "-cert", certificate.toString(), "-key", key.toString(), "-www", "-quiet")
                .redirectErrorStream(true).redirectOutput(directory.resolve(name + ".log").toFile()).start();
        TlsBackend backend = new TlsBackend(process, new InetSocketAddress("127.0.0.1", address.getPort()), certificate);
        try {
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
                try (Socket probe = new Socket("127.0.0.1", address.getPort())) {
                    return true;
                }
            });
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
        return backend;
    }

    /** Runs a command to its end; fails the test, saying what to install, if it cannot run or fails. */
    static void run(Path directory, String... command) throws IOException, InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("this test needs openssl as a real peer: apt-get install openssl", e);
        }
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed: " + output);
        }
    }

    public InetSocketAddress address() {
        return address;
    }

    /** The PEM certificate file, for {@code openssl s_client -CAfile}. */
    public Path certificate() {
        return certificate;
    }

    /** A TLS context that trusts this backend's certificate and nothing else. */
    public SSLContext trustingOnlyThis() throws Exception {
        Certificate cert;
        try (InputStream in = Files.newInputStream(certificate)) {
            cert = CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        trust.setCertificateEntry("backend", cert);
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    @Override
    public void close() {
        Haproxy.stop(process);
    }
}
