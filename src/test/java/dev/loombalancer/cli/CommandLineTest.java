package dev.loombalancer.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.admission.AdmissionRules;
import dev.loombalancer.admission.Cidr;
import dev.loombalancer.health.ProbeConfig;
import dev.loombalancer.net.Listeners;
import dev.loombalancer.policy.StickyTable;
import dev.loombalancer.policy.Strategy;
import dev.loombalancer.pool.Backend;
import dev.loombalancer.proxy.WhenUnavailable;
import dev.loombalancer.server.BalancerConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line: defaults, the address forms, and one clear line for each mistake. */
class CommandLineTest {

    /** Output of one in-process run of the command. */
    private record Run(int exitCode, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    /** Parses without starting anything and returns the command with its options set. */
    private static BalancerCommand command(String... args) {
        CommandLine commandLine = Main.commandLine(args, new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        commandLine.parseArgs(args);
        return commandLine.getCommand();
    }

    /** Parses without starting anything and returns the configuration the command would run. */
    private static BalancerConfig parse(String... args) {
        return command(args).config();
    }

    private static Backend backend(String host, int port) throws Exception {
        return new Backend(new InetSocketAddress(InetAddress.getByName(host), port));
    }

    /** --listen inherited takes the socket from standard input; --reuse-port reaches the configuration. */
    @Test
    void inheritedListenerAndReusePort() {
        assertEquals(Listeners.INHERITED, parse("--listen", "inherited").listen());
        assertTrue(parse("--reuse-port").reusePort());
        assertFalse(parse().reusePort());
    }

    /** No arguments: listen on 0.0.0.0:8000 and balance over 127.0.0.1:9001-9003. */
    @Test
    void defaultsMatchTheSeed() throws Exception {
        BalancerConfig config = parse();
        assertEquals(new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 8000), config.listen());
        assertEquals(List.of(backend("127.0.0.1", 9001), backend("127.0.0.1", 9002), backend("127.0.0.1", 9003)),
                config.backends());
        assertEquals(Duration.ofSeconds(2), config.connectTimeout());
        assertEquals(BalancerConfig.DEFAULT_BACKLOG, config.backlog());
    }

    /** Repeated options, commas and ranges add up in order. */
    @Test
    void backendsFromRepeatsCommasAndRanges() throws Exception {
        BalancerConfig config = parse("--backend", "127.0.0.1:7000-7002,127.0.0.2:80", "--backend", "localhost:7100");
        assertEquals(List.of(backend("127.0.0.1", 7000), backend("127.0.0.1", 7001), backend("127.0.0.1", 7002),
                backend("127.0.0.2", 80), backend("localhost", 7100)), config.backends());
    }

    /** The seed's 10,000-backend layout: 5,000 IPv4 and 5,000 IPv6 ports. */
    @Test
    void tenThousandBackendsFromTwoRanges() throws Exception {
        BalancerConfig config = parse("--backend", "127.0.0.1:8000-12999", "--backend", "[::1]:13000-17999");
        assertEquals(10_000, config.backends().size());
        assertEquals(backend("127.0.0.1", 8000), config.backends().get(0));
        assertEquals(backend("::1", 17999), config.backends().get(9_999));
        assertEquals("[::1]:13000", config.backends().get(5_000).toString());
    }

    /** IPv6 listen and backend addresses, durations and the port-only listen form. */
    @Test
    void ipv6AndDurations() throws Exception {
        BalancerConfig config = parse("--listen", "[::]:8443", "--backend", "[::1]:9001", "--connect-timeout", "500ms");
        assertEquals(new InetSocketAddress(InetAddress.getByName("::"), 8443), config.listen());
        assertEquals(List.of(backend("::1", 9001)), config.backends());
        assertEquals(Duration.ofMillis(500), config.connectTimeout());

        assertEquals(9000, parse("--listen", "9000").listen().getPort());
        assertEquals(Duration.ofMillis(750), parse("--connect-timeout", "750ms").connectTimeout());
        assertEquals(Duration.ofMinutes(1), parse("--connect-timeout", "1m").connectTimeout());
    }

    /**
     * Defaults for health checks and policies are HAProxy's (inter 2s, timeout 1s, rise 2,
     * fall 3); the idle timeout is nginx's proxy_timeout, the queue timeout nginx's queue's.
     */
    @Test
    void healthAndPolicyDefaults() {
        BalancerConfig config = parse();
        assertEquals(Strategy.ROUND_ROBIN, config.strategy());
        assertEquals(ProbeConfig.DEFAULT, config.health());
        assertEquals(StickyTable.Limits.DEFAULT, config.sticky());
        assertEquals(Duration.ofMinutes(10), config.idleTimeout());
        assertEquals(Duration.ofSeconds(60), config.queueTimeout());
        assertEquals(WhenUnavailable.CLOSE, config.whenUnavailable());
    }

    /** Every new flag reaches the configuration. */
    @Test
    void healthAndPolicyFlags() {
        BalancerConfig config = parse("--strategy", "least-connections", "--health-interval", "500ms",
                "--health-timeout", "200ms", "--rise", "4", "--fall", "5", "--sticky-ttl", "1h", "--sticky-max", "10",
                "--idle-timeout", "90s", "--when-unavailable", "http-502", "--queue-timeout", "5s");
        assertEquals(Strategy.LEAST_CONNECTIONS, config.strategy());
        assertEquals(new ProbeConfig(Duration.ofMillis(500), Duration.ofMillis(200), 4, 5), config.health());
        assertEquals(new StickyTable.Limits(Duration.ofHours(1), 10), config.sticky());
        assertEquals(Duration.ofSeconds(90), config.idleTimeout());
        assertEquals(Duration.ofSeconds(5), config.queueTimeout());
        assertEquals(WhenUnavailable.HTTP_502, config.whenUnavailable());
        assertEquals(Strategy.STICKY, parse("--strategy", "STICKY").strategy());
        assertEquals(Strategy.CONSISTENT_HASH, parse("--strategy", "consistent-hash").strategy());
    }

    /** Client rules and retries reach the configuration; by default everyone is let in, HAProxy's 3 retries. */
    @Test
    void clientRulesAndRetries() {
        BalancerConfig defaults = parse();
        assertEquals(AdmissionRules.OPEN, defaults.admission());
        assertEquals(3, defaults.retries());
        BalancerConfig config = parse("--allow", "10.0.0.0/8,::1", "--allow", "[2001:db8::]/32",
                "--max-connections-per-client", "5", "--retries", "1");
        assertEquals(List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("::1/128"), Cidr.parse("2001:db8::/32")),
                config.admission().allow());
        assertEquals(5, config.admission().maxConnectionsPerClient());
        assertEquals(1, config.retries());
    }

    /** Health checks go off with --health-interval 0 or --no-health-check; idle timeout off with 0 or off. */
    @Test
    void switchingThingsOff() {
        assertFalse(parse("--health-interval", "0").health().enabled());
        assertFalse(parse("--no-health-check").health().enabled());
        assertNull(parse("--idle-timeout", "0").idleTimeout());
        assertNull(parse("--idle-timeout", "off").idleTimeout());
    }

    /** An argument file (picocli's @file) holds the options, with comments, as in examples/loom-balancer.args. */
    @Test
    void argumentFile(@TempDir Path dir) throws Exception {
        Path args = dir.resolve("loom-balancer.args");
        Files.writeString(args, String.join("\n",
                "# production settings",
                "--listen 127.0.0.1:8443",
                "--backend 127.0.0.1:9101,127.0.0.1:9102",
                "--strategy least-connections",
                "--max-connections 20000",
                "--drain-timeout 45s", ""));
        BalancerConfig config = parse("@" + args);
        assertEquals(8443, config.listen().getPort());
        assertEquals(List.of(backend("127.0.0.1", 9101), backend("127.0.0.1", 9102)), config.backends());
        assertEquals(Strategy.LEAST_CONNECTIONS, config.strategy());
        assertEquals(20000, config.maxConnections());
        assertEquals(Duration.ofSeconds(45), config.drainTimeout());
        // The shipped example parses too.
        BalancerConfig example = parse("@examples/loom-balancer.args");
        assertEquals(Strategy.LEAST_CONNECTIONS, example.strategy());
        assertEquals(3, example.admission().allow().size());
        assertEquals(200, example.admission().maxConnectionsPerClient());
    }

    /** picocli generates the bash/zsh completion script and the man page from the command itself. */
    @Test
    void completionAndManPage(@TempDir Path dir) throws Exception {
        Run completion = run("generate-completion");
        assertEquals(0, completion.exitCode(), completion.err());
        assertTrue(completion.out().contains("complete -F _complete_loom-balancer"), completion.out());
        assertTrue(completion.out().contains("least-connections"), "strategy names are completed");

        assertEquals(0, run("gen-manpage", "--outdir", dir.toString()).exitCode());
        String page = Files.readString(dir.resolve("loom-balancer.adoc"));
        assertTrue(page.contains(":doctype: manpage"), page);
        assertTrue(page.contains("--max-connections"), page);
    }

    /** --admin binds loopback unless a host is given; a taken admin port is one line and exit 1. */
    @Test
    void adminAddress() throws Exception {
        assertNull(command().admin.value(), "off by default");
        assertEquals(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 9900), command("--admin", "9900").admin.value());
        assertEquals(new InetSocketAddress(InetAddress.getByName("::1"), 9900), command("--admin", "[::1]:9900").admin.value());
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Run result = run("--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9", "--no-health-check",
                    "--admin", "127.0.0.1:" + taken.getLocalPort());
            assertEquals(1, result.exitCode(), result.err());
            assertEquals(1, result.err().lines().count(), result.err());
            assertTrue(result.err().startsWith("loom-balancer: cannot serve --admin on 127.0.0.1:" + taken.getLocalPort()
                    + ": address already in use"), result.err());
        }
    }

    /** Each bad input is a usage error (exit 2) explained in one line that names the problem. */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
        "--backend         | 127.0.0.1:0                 | port 0 is outside 1-65535",
        "--backend         | 127.0.0.1:70000             | port 70000 is outside 1-65535",
        "--backend         | 127.0.0.1                   | has no port",
        "--backend         | :9001                       | has no host",
        "--backend         | ::1:9001                    | put it in brackets",
        "--backend         | [::1:9001                   | is not [IPV6]:PORT",
        "--backend         | 127.0.0.1:abc               | is not a port number",
        "--backend         | 127.0.0.1:9005-9001         | runs backwards",
        "--backend         | no-such-host.invalid:9001   | cannot look up no-such-host.invalid:9001 through the system's resolver",
        "--backend         | 127.0.0.1:9001,127.0.0.1:9001 | is given twice",
        "--backend         | 127.0.0.1:9000-9002,localhost:9001 | is given twice",
        "--listen          | 127.0.0.1:65536             | port 65536 is outside 0-65535",
        "--connect-timeout | 2 parsecs                   | is not a duration",
        "--connect-timeout | 0                           | connect timeout must be between",
        "--backlog         | zero                        | is not an int",
        "--strategy        | fastest                     | is not one of round-robin, least-connections, sticky, consistent-hash",
        "--when-unavailable | http-503                   | is not one of close, http-502",
        "--health-interval | -1s                         | is not a duration",
        "--health-timeout  | 0                           | health-check timeout must be between",
        "--fall            | 0                           | --rise and --fall must be at least 1",
        "--rise            | 0                           | --rise and --fall must be at least 1",
        "--sticky-ttl      | off                         | sticky TTL must be positive",
        "--sticky-max      | 0                           | sticky table size must be at least 1",
        "--idle-timeout    | soon                        | is not a duration",
        "--max-connections | -1                          | --max-connections must be 0 (as many as the open-file limit holds) or more",
        "--max-connections-per-client | -2               | --max-connections-per-client must be 0 (no limit) or more",
        "--retries         | -1                          | --retries must be 0 or more",
        "--allow           | 10.0.0.1/8                  | has host bits set after /8; did you mean 10.0.0.0/8?",
        "--allow           | example.com                 | is not a network; write ADDRESS/PREFIX",
        "--allow           | 10.0.0.0/33                 | the prefix after '/' must be 0-32",
        "--allow           | 2001:db8::/129              | the prefix after '/' must be 0-128",
        "--allow           | 300.1.1.1                   | is not an IPv4 or IPv6 address",
        "--allow           | 10.0.0.0/                   | the prefix after '/' must be 0-32",
        "--drain-timeout   | forever                     | is not a duration",
        "--queue-timeout   | 0                           | queue timeout must be positive, not 0s",
        "--idle-timeout    | 5                           | has no unit; write 5ms, 5s or 5m",
        "--connect-timeout | 0                           | connect timeout must be between 1ms and 24d, not 0s",
        "--admin           | 0.0.0.0:9900                | is reachable from other hosts, so it needs --admin-token-file FILE",
        "--health-check    | icmp                        | is not one of tcp, http, send-expect",
        "--health-check    | send-expect                 | --health-check send-expect needs --health-send and --health-expect",
        "--health-http-status | 99                       | --health-http-status must be a status or a range of them",
        "--health-http-path | health                     | --health-http-path must start with /",
        "--health-port     | 70000                       | --health-port must be 1-65535",
        "--on-marked-down  | reboot                      | --on-marked-down is none or shutdown-sessions, not 'reboot'",
        "--no-such-option  | x                           | Unknown option",
    })
    void badInputIsAOneLineUsageError(String option, String value, String expected) {
        Run result = run(option, value);
        assertEquals(2, result.exitCode(), result.err());
        assertEquals(1, result.err().lines().count(), "one line: " + result.err());
        assertTrue(result.err().startsWith("loom-balancer: "), result.err());
        assertTrue(result.err().contains(expected), "'" + expected + "' in: " + result.err());
        assertEquals("", result.out());
    }

    /** A missing --config or --admin-token-file file is named with the reason, not the file's name twice. */
    @Test
    void aMissingFileSaysSo(@TempDir Path dir) {
        String missing = dir.resolve("missing").toString();
        Run config = run("--config", missing);
        assertEquals(2, config.exitCode(), config.err());
        assertTrue(config.err().startsWith(Main.NAME + ": cannot read --config " + missing + ": no such file"), config.err());
        Run token = run("--listen", "127.0.0.1:0", "--no-health-check", "--admin", "127.0.0.1:0",
                "--admin-token-file", missing);
        assertEquals(2, token.exitCode(), token.err());
        assertTrue(token.err().contains("cannot read --admin-token-file " + missing + ": no such file"), token.err());
    }

    /** A token file that cannot be read or is empty is a one-line usage error, before anything is bound. */
    @Test
    void aBadAdminTokenFileIsAUsageError(@TempDir Path dir) throws Exception {
        Path empty = Files.writeString(dir.resolve("empty"), "\n");
        for (String[] args : List.of(new String[] {"--admin-token-file", dir.resolve("missing").toString()},
                new String[] {"--admin-token-file", empty.toString()})) {
            Run result = run("--listen", "127.0.0.1:0", "--no-health-check", "--admin", "127.0.0.1:0", args[0], args[1]);
            assertEquals(2, result.exitCode(), result.err());
            assertEquals(1, result.err().lines().count(), result.err());
            assertTrue(result.err().contains("--admin-token-file"), result.err());
        }
        Path token = Files.writeString(dir.resolve("token"), "abc123\n");
        assertArrayEquals("abc123".getBytes(StandardCharsets.UTF_8),
                command("--admin", "0.0.0.0:9900", "--admin-token-file", token.toString()).adminAccess()
                        .operateToken().orElseThrow(), "read, with the newline stripped");
    }

    /** A value holding a newline or an escape sequence still makes one printable line. */
    @Test
    void controlCharactersAreEscaped() {
        Run result = run("--fall", "3\n\u001b[2Jx");
        assertEquals(2, result.exitCode());
        assertEquals(1, result.err().lines().count(), result.err());
        assertTrue(result.err().contains("'3\\n\\u001b[2Jx'"), result.err());
    }

    /** --help and --version print to standard output and exit 0. */
    @Test
    void helpAndVersion() {
        Run help = run("--help");
        assertEquals(0, help.exitCode());
        assertTrue(help.out().contains("--backend=HOST:PORT[-LAST]"), help.out());
        assertTrue(help.out().contains("Default: 127.0.0.1:9001,127.0.0.1:9002,127.0.0.1:9003"), help.out());

        Run version = run("--version");
        assertEquals(0, version.exitCode());
        assertTrue(version.out().startsWith("loom-balancer " + VersionProvider.version()), version.out());
        assertNotEquals("unknown", VersionProvider.version(), "version.properties is filtered by the build");
    }

    /** A port that is already taken: one actionable line and exit code 1, no stack trace. */
    @Test
    void portInUseIsOneLineAndExitOne() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Run result = run("--listen", "127.0.0.1:" + taken.getLocalPort(), "--backend", "127.0.0.1:9");
            assertEquals(1, result.exitCode());
            assertEquals("loom-balancer: cannot listen on 127.0.0.1:" + taken.getLocalPort()
                    + ": address already in use \u2014 stop the process using it or choose another port with --listen",
                    result.err().strip());
        }
    }
}
