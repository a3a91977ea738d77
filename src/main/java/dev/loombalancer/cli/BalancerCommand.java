package dev.loombalancer.cli;

import dev.loombalancer.admin.AdminAccess;
import dev.loombalancer.admin.AdminServer;
import dev.loombalancer.admission.AdmissionRules;
import dev.loombalancer.admission.Cidr;
import dev.loombalancer.health.Escapes;
import dev.loombalancer.health.HealthCheck;
import dev.loombalancer.health.ProbeConfig;
import dev.loombalancer.net.HostPort;
import dev.loombalancer.logging.DurationText;
import dev.loombalancer.net.Listeners;
import dev.loombalancer.net.ProxyHeader;
import dev.loombalancer.net.SocketErrors;
import dev.loombalancer.policy.StickyTable;
import dev.loombalancer.policy.Strategy;
import dev.loombalancer.pool.Backend;
import dev.loombalancer.proxy.WhenUnavailable;
import dev.loombalancer.server.Balancer;
import dev.loombalancer.server.BackendNames;
import dev.loombalancer.server.BalancerConfig;
import dev.loombalancer.server.NameResolver;
import dev.loombalancer.server.PrereadRules;
import dev.loombalancer.server.SniRoute;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/**
 * The {@code loom-balancer} command: its options, and running a balancer until a stop signal.
 *
 * <p>The options are declared with picocli's programmatic API rather than its annotations.
 * Reading annotations makes the JDK generate a proxy class for each annotation type and
 * picocli reflect over every field, all of it cold code at every start, which was most of
 * the time from {@code main} to the first proxied byte (docs/experiments.md measures it).
 * Each option is an {@link Opt} field: its {@link OptionSpec}, which holds the parsed value,
 * and that value's type. Help, man page, completion script and errors are picocli's as before.
 */
public final class BalancerCommand implements Callable<Integer> {

    /** Exit code when the balancer cannot start (port in use, not permitted, …). */
    static final int EXIT_CANNOT_START = 1;

    // Fields initialise in the order they are written: the spec first, then each option
    // below adds itself to it, so the help lists them in this order.
    final CommandSpec spec = CommandSpec.wrapWithoutInspection(this)
            .name(Main.NAME)
            .versionProvider(new VersionProvider());

    {
        spec.usageMessage()
                .sortOptions(false)
                .width(100)
                .autoWidth(true)
                .description(
                        "A layer-4 TCP load balancer on Java virtual threads.",
                        "Accepts clients on the listen address and pipes each one's bytes to a backend chosen by "
                                + "the strategy, failing over to the next backend when one refuses or times out. "
                                + "Backends are health-checked and taken out while they are DOWN.")
                .footer(
                        "",
                        "Examples:",
                        "  loom-balancer                     # listen on :8000, balance over 127.0.0.1:9001-9003",
                        "  loom-balancer --listen [::]:8443 --backend app1.example:443,app2.example:443",
                        "  loom-balancer --backend 127.0.0.1:8000-12999 --backend [::1]:13000-17999",
                        "  loom-balancer --strategy least-connections --health-interval 500ms --fall 2 --rise 3",
                        "  loom-balancer --strategy consistent-hash --when-unavailable http-502 --idle-timeout 5m",
                        "  loom-balancer --allow 10.0.0.0/8,fd00::/8 --max-connections-per-client 100 --retries 1",
                        "",
                        "Stopping: SIGTERM or SIGINT drains (see --drain-timeout); a second one closes everything at once.",
                        "Exit codes: 0 stopped by SIGTERM/SIGINT, 1 could not start, 2 bad command line.");
    }

    /** A picocli command line for this command; parsing it sets the options' values. */
    CommandLine commandLine() {
        return new CommandLine(spec);
    }

    /** An option of this command; picocli keeps its value, of type {@code T}, once the arguments are parsed. */
    record Opt<T>(OptionSpec spec) {
        T value() {
            return spec.getValue();
        }
    }

    private <T> Opt<T> option(Class<T> type, OptionSpec.Builder option) {
        OptionSpec built = option.type(type).build();
        spec.addOption(built);
        return new Opt<>(built);
    }

    /** An option without a parameter: false unless given. */
    private Opt<Boolean> flag(OptionSpec.Builder option) {
        return option(boolean.class, option.initialValue(false));
    }

    /** An option whose parameter is a duration, read by {@link Durations}. */
    private Opt<Duration> duration(OptionSpec.Builder option) {
        return option(Duration.class, option.paramLabel("DURATION").converters(new Durations()));
    }

    /** An option whose parameter is a whole number, shown as N. */
    private Opt<Integer> number(OptionSpec.Builder option) {
        return option(int.class, option.paramLabel("N"));
    }

    /** An option that may be repeated; its values are added to a list that starts empty. */
    @SuppressWarnings("unchecked")
    private <E> Opt<List<E>> list(Class<E> element, OptionSpec.Builder option) {
        Opt<?> list = option(List.class, option.auxiliaryTypes(element).initialValue(new ArrayList<E>()));
        return (Opt<List<E>>) list;
    }

    private final Opt<InetSocketAddress> listen = option(InetSocketAddress.class, OptionSpec.builder("--listen")
            .paramLabel("[HOST:]PORT").defaultValue("0.0.0.0:8000").converters(new AddressConverters.Listen())
            .description("Address to accept clients on; IPv6 as [::]:8000; 'inherited' takes the listening socket "
                    + "from standard input, as systemd passes it with StandardInput=socket (default: ${DEFAULT-VALUE})."));

    private final Opt<Boolean> reusePort = flag(OptionSpec.builder("--reuse-port")
            .description("Bind --listen with SO_REUSEPORT, so that a new process can bind the same port while this "
                    + "one drains (see the README's \"Restarts that refuse nobody\")."));

    private final Opt<List<AddressConverters.BackendSpec>> backends = list(AddressConverters.BackendSpec.class,
            OptionSpec.builder("--backend")
            .paramLabel("HOST:PORT[-LAST]").defaultValue("127.0.0.1:9001,127.0.0.1:9002,127.0.0.1:9003")
            .splitRegex(",").converters(new AddressConverters.Backends())
            .description("A backend; repeat the option or separate with commas. A port range such as "
                            + "127.0.0.1:8000-12999 adds one backend per port; IPv6 as [::1]:9001.",
                    "Default: ${DEFAULT-VALUE}."));

    private final Opt<List<String>> backendSrv = list(String.class, OptionSpec.builder("--backend-srv")
            .paramLabel("_SERVICE._PROTO.NAME").splitRegex(",")
            .description("Backends from a DNS SRV name: each answer's target and port, with its weight; answers "
                    + "of a higher priority than the lowest are backups. Looked up again every --resolve-interval."));

    private final Opt<InetSocketAddress> dnsServer = option(InetSocketAddress.class, OptionSpec.builder("--dns-server")
            .paramLabel("HOST:PORT").converters(new AddressConverters.DnsServer())
            .description("Ask this DNS server for backend names and SRV records instead of the system's resolver "
                    + "(say, Consul's DNS interface on port 8600)."));

    private final Opt<Duration> resolveInterval = duration(OptionSpec.builder("--resolve-interval")
            .defaultValue("5s")
            .description("How often backends given by name (--backend NAME:PORT, --backend-srv) are looked up again; "
                    + "a failed lookup keeps the last answer (default: ${DEFAULT-VALUE})."));

    private final Opt<Duration> connectTimeout = duration(OptionSpec.builder("--connect-timeout").defaultValue("2s")
            .description("How long a backend may take to accept a connection before the next one "
                    + "is tried: 500ms, 2s, 1m; a number needs its unit (default: ${DEFAULT-VALUE})."));

    private final Opt<Integer> retries = number(OptionSpec.builder("--retries")
            .defaultValue(String.valueOf(BalancerConfig.DEFAULT_RETRIES))
            .description("How many more backends a client may try when one refuses or times out, so a client "
                    + "waits at most (1 + N) x --connect-timeout (HAProxy's retries; default: ${DEFAULT-VALUE})."));

    private final Opt<Integer> backlog = number(OptionSpec.builder("--backlog")
            .defaultValue(String.valueOf(BalancerConfig.DEFAULT_BACKLOG))
            .description("Connections the kernel may queue before we accept them (capped by "
                    + "net.core.somaxconn), and clients that may wait at once for a --max-connections slot "
                    + "(default: ${DEFAULT-VALUE})."));

    private final Opt<Strategy> strategy = option(Strategy.class, OptionSpec.builder("--strategy")
            .paramLabel("NAME").defaultValue("round-robin").converters(new Choices.Strategies())
            .completionCandidates(new Choices.Strategies())
            .description("How each client's backend is chosen: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).",
                    "round-robin: in turn; least-connections: fewest active connections; sticky: the same client "
                            + "address to the same backend while it is UP; consistent-hash: client address hashed, "
                            + "the same on every balancer with the same backends."));

    private final Opt<Duration> healthInterval = duration(OptionSpec.builder("--health-interval").defaultValue("2s")
            .description("How often each backend is probed with a TCP connect; 0 turns checks off "
                    + "(default: ${DEFAULT-VALUE})."));

    private final Opt<Boolean> noHealthCheck = flag(OptionSpec.builder("--no-health-check")
            .description("Do not probe backends; every backend counts as UP (same as --health-interval 0)."));

    private final Opt<Duration> healthTimeout = duration(OptionSpec.builder("--health-timeout").defaultValue("1s")
            .description("How long a probe may take to connect before it counts as failed (default: ${DEFAULT-VALUE})."));

    private final Opt<HealthCheck.Kind> healthCheck = option(HealthCheck.Kind.class, OptionSpec.builder("--health-check")
            .paramLabel("KIND").defaultValue("tcp").converters(new Choices.HealthChecks())
            .completionCandidates(new Choices.HealthChecks())
            .description("What a probe asks: ${COMPLETION-CANDIDATES}. tcp: the handshake is the check; http: "
                    + "GET --health-http-path must answer --health-http-status; send-expect: --health-send must be "
                    + "answered with a reply starting with --health-expect (default: ${DEFAULT-VALUE})."));

    private final Opt<String> healthHttpPath = option(String.class, OptionSpec.builder("--health-http-path")
            .paramLabel("PATH").defaultValue("/")
            .description("With --health-check http: the path asked for (default: ${DEFAULT-VALUE})."));

    private final Opt<String> healthHttpStatus = option(String.class, OptionSpec.builder("--health-http-status")
            .paramLabel("LOW[-HIGH]").defaultValue("200-399")
            .description("With --health-check http: the statuses that pass (default: ${DEFAULT-VALUE})."));

    private final Opt<String> healthSend = option(String.class, OptionSpec.builder("--health-send")
            .paramLabel("BYTES")
            .description("With --health-check send-expect: what the probe writes; \\r, \\n, \\t, \\\\ and \\xHH "
                    + "escapes (redis: PING\\r\\n)."));

    private final Opt<String> healthExpect = option(String.class, OptionSpec.builder("--health-expect")
            .paramLabel("BYTES")
            .description("With --health-check send-expect: what the reply must start with, escapes as in "
                    + "--health-send (redis: +PONG)."));

    private final Opt<Integer> healthPort = option(int.class, OptionSpec.builder("--health-port")
            .paramLabel("PORT").defaultValue("0")
            .description("Probe this port of each backend's host instead of its traffic port (Patroni answers on "
                    + "8008 for PostgreSQL on 5432); 0: the traffic port (default: ${DEFAULT-VALUE})."));

    private final Opt<String> onMarkedDown = option(String.class, OptionSpec.builder("--on-marked-down")
            .paramLabel("ACTION").defaultValue("none")
            .description("What happens to a backend's open connections when it goes DOWN: none, or "
                    + "shutdown-sessions to close them so clients reconnect to a healthy one, as a database "
                    + "failover needs (HAProxy's on-marked-down; default: ${DEFAULT-VALUE})."));

    private final Opt<Integer> fall = number(OptionSpec.builder("--fall")
            .defaultValue("3")
            .description("Consecutive failures (probes or client connections) that take a backend DOWN "
                    + "(default: ${DEFAULT-VALUE})."));

    private final Opt<Integer> rise = number(OptionSpec.builder("--rise")
            .defaultValue("2")
            .description("Consecutive successes (probes or client connections) that bring a DOWN backend "
                    + "back UP (default: ${DEFAULT-VALUE})."));

    private final Opt<Duration> stickyTtl = duration(OptionSpec.builder("--sticky-ttl").defaultValue("30m")
            .description("With --strategy sticky: forget a client address after it has been idle this long "
                    + "(default: ${DEFAULT-VALUE})."));

    private final Opt<Integer> stickyMax = number(OptionSpec.builder("--sticky-max")
            .defaultValue("100000")
            .description("With --strategy sticky: client addresses remembered at most; the least recently "
                    + "seen is forgotten first (default: ${DEFAULT-VALUE})."));

    private final Opt<Duration> idleTimeout = duration(OptionSpec.builder("--idle-timeout").defaultValue("10m")
            .description("Close a connection after this long without a byte in either direction (nginx's "
                    + "proxy_timeout); off or 0 to never (default: ${DEFAULT-VALUE})."));

    private final Opt<Boolean> noTcpKeepAlive = flag(OptionSpec.builder("--no-tcp-keepalive")
            .description("Do not set SO_KEEPALIVE on the client's and the backend's sockets (on by default, so the "
                    + "kernel finds out a peer that vanished); saves a system call per socket."));

    private final Opt<ProxyHeader.Version> sendProxy = option(ProxyHeader.Version.class,
            OptionSpec.builder("--send-proxy")
            .paramLabel("VERSION").converters(new Choices.ProxyVersions())
            .completionCandidates(new Choices.ProxyVersions())
            .description("Start every backend connection with a PROXY protocol header (HAProxy's specification), "
                    + "${COMPLETION-CANDIDATES}, so the backend sees the client's address; health checks send LOCAL "
                    + "(v2) or UNKNOWN (v1). Default: none."));

    private final Opt<Duration> serverTimeout = duration(OptionSpec.builder("--server-timeout").defaultValue("off")
            .description("Close a connection whose backend has not answered the client's bytes for this long, and "
                    + "count it as a failure of the backend, so a frozen one leaves rotation after --fall of them "
                    + "(HAProxy's timeout server); off or 0 to wait as long as the idle timeout (default: "
                    + "${DEFAULT-VALUE})."));

    private final Opt<Duration> queueTimeout = duration(OptionSpec.builder("--queue-timeout").defaultValue("60s")
            .description("How long a client may wait for a --max-connections slot before it is closed "
                    + "(HAProxy's timeout queue; default: ${DEFAULT-VALUE})."));

    private final Opt<Duration> slowStart = duration(OptionSpec.builder("--slow-start").defaultValue("off")
            .description("A backend that comes back UP, or is added while running, ramps from a sixteenth of its "
                    + "weight to all of it over this "
                    + "long (HAProxy's slowstart; round-robin, least-connections and sticky placement); off or 0 "
                    + "for at once (default: ${DEFAULT-VALUE})."));

    private final Opt<WhenUnavailable> whenUnavailable = option(WhenUnavailable.class,
            OptionSpec.builder("--when-unavailable")
            .paramLabel("ACTION").defaultValue("close").converters(new Choices.Unavailable())
            .completionCandidates(new Choices.Unavailable())
            .description("What a client gets when no backend can be reached: ${COMPLETION-CANDIDATES}; "
                    + "http-502 answers HTTP/1.1 502 Bad Gateway before closing (default: ${DEFAULT-VALUE})."));

    private final Opt<Integer> maxConnections = number(OptionSpec.builder("--max-connections")
            .defaultValue("0")
            .description("Client connections at most at once; beyond that, new clients wait up to "
                    + "--queue-timeout for one to end (HAProxy's maxconn), and a client whose address holds "
                    + "fewer takes the slot of the oldest connection of the address holding most. "
                    + "0: as many as the open-file limit "
                    + "(ulimit -n) can hold, two files per connection (default: ${DEFAULT-VALUE})."));

    private final Opt<Integer> maxConnectionsPerClient = number(OptionSpec.builder("--max-connections-per-client")
            .defaultValue("0")
            .description("Connections one client address may hold at once; more are closed at accept and "
                    + "counted in the metrics. 0: no limit (default: ${DEFAULT-VALUE})."));

    private final Opt<List<Cidr>> allow = list(Cidr.class, OptionSpec.builder("--allow")
            .paramLabel("CIDR").splitRegex(",").converters(new CidrConverter())
            .description("Proxy only clients from this network, such as 10.0.0.0/8 or 2001:db8::/32 (a bare "
                    + "address is one host); repeat or separate with commas. Others are closed at accept and "
                    + "counted in the metrics. Default: every client."));

    private final Opt<List<Cidr>> acceptProxy = list(Cidr.class, OptionSpec.builder("--accept-proxy")
            .paramLabel("CIDR").splitRegex(",").converters(new CidrConverter())
            .description("Connections from these networks (upstream balancers) must start with a PROXY protocol "
                    + "header, v1 or v2, and the client it names is the client: for --allow, the per-client limit, "
                    + "fair share, sticky and hash keys, the access log and --send-proxy. One that sends none "
                    + "within --preread-timeout, or a malformed one, is closed and counted. Repeat or separate "
                    + "with commas. Others' headers are not honoured. Default: none."));

    private final Opt<List<String>> routeSpecs = list(String.class, OptionSpec.builder("--route")
            .paramLabel("SNI[,SNI...]=HOST:PORT[,...]")
            .description("An SNI route: TLS clients whose ClientHello asks for one of these server names (exact, "
                    + "or *.wildcard for any name below) go to these backends, TLS passing through untouched; the "
                    + "rest (no SNI, another name, not TLS) go to --backend. Repeat for more routes; each takes "
                    + "this service's other settings. The configuration file's 'routes:' takes any key per route."));

    private final Opt<Duration> prereadTimeout = duration(OptionSpec.builder("--preread-timeout").defaultValue("5s")
            .description("How long a connection may take to send what is read before proxying it: an upstream's "
                    + "PROXY header, a TLS ClientHello for --route (nginx's preread_timeout) (default: ${DEFAULT-VALUE})."));

    private final Opt<Duration> drainTimeout = duration(OptionSpec.builder("--drain-timeout").defaultValue("30s")
            .description("On SIGTERM or SIGINT: stop accepting at once, let open connections finish for up to "
                    + "this long, then close the rest. A second signal closes them at once (default: ${DEFAULT-VALUE})."));

    private final Opt<Path> configFile = option(Path.class, OptionSpec.builder("--config")
            .paramLabel("FILE")
            .description("Read the services from this YAML file (see the README's \"Configuration file\"): "
                    + "each service's keys are these options' names without the dashes. Only --admin, "
                    + "--admin-token-file and --admin-host may be given besides, here or in the file."));

    final Opt<InetSocketAddress> admin = option(InetSocketAddress.class, OptionSpec.builder("--admin")
            .paramLabel("[HOST:]PORT").converters(new AddressConverters.Admin())
            .description("Serve the admin endpoint here: GET /metrics (Prometheus), /status (JSON), /healthz; "
                    + "POST /backends/HOST:PORT/drain and /enable. Host defaults to 127.0.0.1 (off unless given)."));

    private final Opt<Path> adminTokenFile = option(Path.class, OptionSpec.builder("--admin-token-file")
            .paramLabel("FILE")
            .description("The admin endpoint's operate level (POST /backends/...) needs 'Authorization: Bearer "
                    + "TOKEN', TOKEN being this file's content. Required when --admin is not on loopback."));

    private final Opt<List<String>> adminHosts = list(String.class, OptionSpec.builder("--admin-host")
            .paramLabel("NAME").splitRegex(",")
            .description("A name admin requests may give in their Host header, besides IP addresses and localhost "
                    + "(say, the management DNS name); repeat or separate with commas. Others are refused, which "
                    + "stops DNS-rebinding pages."));

    // picocli's standard help options, last, where its annotated help mixin puts them.
    private final Opt<Boolean> help = flag(OptionSpec.builder("-h", "--help").usageHelp(true)
            .description("Show this help message and exit."));

    private final Opt<Boolean> version = flag(OptionSpec.builder("-V", "--version").versionHelp(true)
            .description("Print version information and exit."));

    /** Who may read and operate the admin endpoint; errors are usage errors. */
    AdminAccess adminAccess() {
        if (admin.value() == null) {
            return AdminAccess.LOOPBACK;
        }
        Optional<byte[]> token = Optional.empty();
        if (adminTokenFile.value() != null) {
            String text;
            try {
                text = Files.readString(adminTokenFile.value(), StandardCharsets.UTF_8).strip();
            } catch (IOException | UncheckedIOException e) {
                throw new ParameterException(spec.commandLine(), "cannot read --admin-token-file " + adminTokenFile.value()
                        + ": " + SocketErrors.describe(e instanceof UncheckedIOException u ? u.getCause() : e));
            }
            if (text.isEmpty()) {
                throw new ParameterException(spec.commandLine(), "--admin-token-file " + adminTokenFile.value()
                        + " is empty; put a long random token in it (openssl rand -hex 32)");
            }
            token = Optional.of(text.getBytes(StandardCharsets.UTF_8));
        } else if (!admin.value().getAddress().isLoopbackAddress()) {
            throw new ParameterException(spec.commandLine(), "--admin " + HostPort.format(admin.value())
                    + " is reachable from other hosts, so it needs --admin-token-file FILE for its operate level "
                    + "(or bind it to loopback: --admin " + admin.value().getPort() + ")");
        }
        return new AdminAccess(token, adminHosts.value());
    }

    /** Checks the options as a whole and builds the configuration; errors are usage errors. */
    BalancerConfig config() {
        try {
            BackendNames names = backendNames();
            NameResolver.Resolved resolved;
            try {
                resolved = NameResolver.atStart(names);
            } catch (IOException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage()
                        + "; every backend name must answer at start");
            }
            BalancerConfig service = BalancerConfig.builder(listen.value(), resolved.backends())
                    .weighting(resolved.weighting())
                    .names(names.any() ? names : null)
                    .connectTimeout(connectTimeout.value())
                    .retries(retries.value())
                    .backlog(backlog.value())
                    .strategy(strategy.value())
                    .health(new ProbeConfig(noHealthCheck.value() ? Duration.ZERO : healthInterval.value(),
                            healthTimeout.value(), rise.value(), fall.value(),
                            healthCheck()))
                    .shutdownSessionsOnDown(shutdownSessionsOnDown())
                    .serverTimeout(serverTimeout.value())
                    .sendProxy(sendProxy.value())
                    .tcpKeepAlive(!noTcpKeepAlive.value())
                    .sticky(new StickyTable.Limits(stickyTtl.value(), stickyMax.value()))
                    .idleTimeout(idleTimeout.value())
                    .whenUnavailable(whenUnavailable.value())
                    .maxConnections(maxConnections.value())
                    .queueTimeout(queueTimeout.value())
                    .reusePort(reusePort.value())
                    .slowStart(slowStart.value())
                    .drainTimeout(drainTimeout.value())
                    .admission(new AdmissionRules(allow.value(), maxConnectionsPerClient.value()))
                    .preread(new PrereadRules(acceptProxy.value(), prereadTimeout.value()))
                    .build();
            return routeSpecs.value().isEmpty() ? service : service.withRoutes(routes(service));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** {@code --route a.example,*.b.example=10.0.0.11:443,10.0.0.12:443}: each one this service's settings, other backends. */
    private List<SniRoute> routes(BalancerConfig service) {
        List<SniRoute> routes = new ArrayList<>();
        for (String spec : routeSpecs.value()) {
            int equals = spec.indexOf('=');
            if (equals <= 0 || equals == spec.length() - 1) {
                throw new IllegalArgumentException("--route '" + OneLineErrors.printable(spec)
                        + "' is not SNI[,SNI...]=HOST:PORT[,HOST:PORT...], such as a.example,*.b.example=10.0.0.11:443");
            }
            List<Backend> backends = new ArrayList<>();
            for (String item : spec.substring(equals + 1).split(",")) {
                if (!HostPort.parseBackendSpec(item).isLiteral()) {
                    throw new IllegalArgumentException("--route backend '" + OneLineErrors.printable(item)
                            + "' must be an IP address; for DNS names, use the configuration file's 'routes:'");
                }
                HostPort.parseBackends(item).forEach(address -> backends.add(new Backend(address)));
            }
            String name = BalancerConfig.routeName(service.name(), routes.size() + 1);
            routes.add(new SniRoute(List.of(spec.substring(0, equals).split(",")),
                    service.withBackends(backends, Map.of()).withNames(null).asRoute(name)));
        }
        return routes;
    }

    /** The health check the options describe. */
    private HealthCheck healthCheck() {
        int port = healthPort.value();
        String path = healthHttpPath.value();
        String status = healthHttpStatus.value();
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--health-port must be 1-65535, or 0 for the traffic port, not " + port);
        }
        if (!path.startsWith("/") || path.chars().anyMatch(c -> c <= ' ' || c >= 0x7f)) {
            throw new IllegalArgumentException("--health-http-path must start with / and hold no spaces or "
                    + "control characters, not '" + OneLineErrors.printable(path) + "'");
        }
        String[] range = status.split("-", 2);
        int low;
        int high;
        try {
            low = Integer.parseInt(range[0].strip());
            high = range.length == 1 ? low : Integer.parseInt(range[1].strip());
        } catch (NumberFormatException e) {
            low = high = -1;
        }
        if (low < 100 || high > 599 || low > high) {
            throw new IllegalArgumentException("--health-http-status must be a status or a range of them, such as "
                    + "200-399, not '" + status + "'");
        }
        byte[] send = new byte[0];
        byte[] expect = new byte[0];
        if (healthCheck.value() == HealthCheck.Kind.SEND_EXPECT) {
            if (healthSend.value() == null || healthExpect.value() == null || healthExpect.value().isEmpty()) {
                throw new IllegalArgumentException("--health-check send-expect needs --health-send and --health-expect "
                        + "(redis: --health-send 'PING\\r\\n' --health-expect +PONG)");
            }
            send = Escapes.decode(healthSend.value());
            expect = Escapes.decode(healthExpect.value());
        }
        return new HealthCheck(healthCheck.value(), path, low, high, send, expect, port);
    }

    private boolean shutdownSessionsOnDown() {
        return switch (onMarkedDown.value()) {
            case "none" -> false;
            case "shutdown-sessions" -> true;
            default -> throw new IllegalArgumentException("--on-marked-down is none or shutdown-sessions, not '"
                    + onMarkedDown.value() + "'");
        };
    }

    /** The backends given by address, and those given by name, to look up. */
    private BackendNames backendNames() {
        if (resolveInterval.value().isZero() || resolveInterval.value().isNegative()) {
            throw new IllegalArgumentException("--resolve-interval must be positive, not "
                    + DurationText.of(resolveInterval.value()));
        }
        List<BackendNames.Host> hosts = new ArrayList<>();
        for (AddressConverters.BackendSpec item : backends.value()) {
            if (!item.shape().isLiteral()) {
                hosts.add(new BackendNames.Host(item.shape().host(), item.shape().firstPort(), item.shape().lastPort()));
            }
        }
        return new BackendNames(distinctBackends(), hosts, backendSrv.value(), resolveInterval.value(), dnsServer.value());
    }

    /**
     * The composition root: binds every service's listener, then the admin endpoint (if
     * asked for) in front of them, and only then starts accepting, so a bad address fails
     * before any client is taken in. Runs until a stop signal has closed every service.
     */
    @Override
    public Integer call() throws InterruptedException {
        List<BalancerConfig> services;
        BalancerCommand process = this; // whose --admin options count
        ConfigFile.Contents contents = null;
        if (configFile.value() != null) {
            contents = readConfigFile();
            services = contents.services().stream().map(ConfigFile.Service::config).toList();
            if (!contents.processArgs().isEmpty()) {
                process = processOptionsFrom(contents);
            }
        } else {
            services = List.of(config());
        }
        AdminAccess access;
        try {
            access = process.adminAccess();
        } catch (ParameterException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        return run(services, contents, process.admin.value(), access);
    }

    /** @param contents the {@code --config} file the services come from, or null */
    private int run(List<BalancerConfig> configs, ConfigFile.Contents contents, InetSocketAddress adminAddress,
                    AdminAccess access) throws InterruptedException {
        RunningServices services = new RunningServices();
        try {
            List<Balancer> opened = new ArrayList<>();
            for (BalancerConfig service : configs) {
                try {
                    Balancer balancer = Balancer.open(service);
                    opened.add(balancer);
                    services.add(balancer, service);
                } catch (IOException e) {
                    return cannotBind("cannot listen on ", service.listen(), configFile.value() == null ? "--listen"
                            : "the listen of service '" + service.name() + "'", e);
                }
            }
            try (AdminServer adminServer = adminAddress == null ? null
                    : AdminServer.start(adminAddress, services::views, access)) {
                opened.forEach(Balancer::start);
                CountDownLatch stopped = new CountDownLatch(1);
                StopSignals.install(() -> {
                    // Every service at once, each for its own drain timeout.
                    Balancer.eachAtOnce(services.all(), balancer -> balancer.drain(balancer.drainTimeout()));
                    stopped.countDown();
                }, () -> {
                    services.all().forEach(Balancer::close);
                    stopped.countDown();
                });
                try (ConfigReload reload = configFile.value() == null ? null
                        : new ConfigReload(configFile.value(), contents, services)) {
                    stopped.await();
                }
                return 0;
            } catch (AdminServer.CannotBind e) {
                // The JDK's own exception is the cause: its type tells why the bind failed.
                return cannotBind("cannot serve --admin on ", e.address(), "--admin",
                        e.getCause() instanceof IOException cause ? cause : e);
            } catch (IOException e) {
                spec.commandLine().getErr().println(Main.NAME + ": cannot watch --config " + configFile.value() + ": "
                        + SocketErrors.describe(e));
                return EXIT_CANNOT_START;
            }
        } finally {
            services.all().forEach(Balancer::close); // a no-op for those a signal already closed
        }
    }

    /** The file's services; a service option also given on the command line is a usage error. */
    private ConfigFile.Contents readConfigFile() {
        for (OptionSpec option : spec.commandLine().getParseResult().matchedOptions()) {
            String name = option.longestName();
            if (!name.equals("--config") && !ConfigFile.PROCESS_KEYS.contains(name.substring(2))) {
                throw new ParameterException(spec.commandLine(), name + " cannot be combined with --config: set '"
                        + (name.equals("--backend") ? "backends" : name.substring(2)) + "' in the file's services");
            }
        }
        try {
            return ConfigFile.read(configFile.value());
        } catch (ConfigFile.Invalid e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** The admin options from the file's top level, which the command line must not give too. */
    private BalancerCommand processOptionsFrom(ConfigFile.Contents contents) {
        if (admin.value() != null || adminTokenFile.value() != null || !adminHosts.value().isEmpty()) {
            throw new ParameterException(spec.commandLine(), "the admin options are in " + configFile.value()
                    + " and on the command line; give them in one place");
        }
        BalancerCommand process = new BalancerCommand();
        try {
            process.commandLine().parseArgs(contents.processArgs().toArray(String[]::new));
        } catch (ParameterException e) {
            throw new ParameterException(spec.commandLine(), configFile.value() + ": " + e.getMessage());
        }
        return process;
    }

    /** Flattens the --backend items, naming both items when an address is given twice. */
    private List<Backend> distinctBackends() {
        List<Backend> all = new ArrayList<>();
        Map<Backend, String> givenBy = new HashMap<>();
        for (AddressConverters.BackendSpec item : backends.value()) {
            for (InetSocketAddress address : item.addresses()) {
                Backend backend = new Backend(address);
                String earlier = givenBy.putIfAbsent(backend, item.text());
                if (earlier != null) {
                    throw new IllegalArgumentException("backend " + backend + " is given twice (by '" + earlier
                            + "' and '" + item.text() + "'); list each backend once");
                }
                all.add(backend);
            }
        }
        return all;
    }

    /** Reports a failed bind in one line, with what the user can do about it; returns the exit code. */
    private int cannotBind(String what, InetSocketAddress address, String option, IOException e) {
        if (e instanceof Listeners.NotInherited) {
            spec.commandLine().getErr().println(Main.NAME + ": --listen inherited: " + e.getMessage()
                    + "; start it from a systemd .socket unit with StandardInput=socket (examples/systemd/), "
                    + "or give an address");
            return EXIT_CANNOT_START;
        }
        spec.commandLine().getErr().println(Main.NAME + ": " + what + HostPort.format(address) + ": "
                + SocketErrors.describe(e) + BindHints.of(e, address, option));
        return EXIT_CANNOT_START;
    }
}
