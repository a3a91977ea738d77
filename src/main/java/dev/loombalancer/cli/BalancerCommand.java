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
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The {@code loom-balancer} command: its options, and running a balancer until a stop signal. */
@Command(name = Main.NAME,
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        usageHelpWidth = 100,
        usageHelpAutoWidth = true,
        // No method here is a subcommand: skip picocli's scan for them at each start. The
        // hidden helpers (completion script, man page) are added by Main when asked for.
        addMethodSubcommands = false,
        description = {
            "A layer-4 TCP load balancer on Java virtual threads.",
            "Accepts clients on the listen address and pipes each one's bytes to a backend chosen by "
                    + "the strategy, failing over to the next backend when one refuses or times out. "
                    + "Backends are health-checked and taken out while they are DOWN.",
        },
        footer = {
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
            "Exit codes: 0 stopped by SIGTERM/SIGINT, 1 could not start, 2 bad command line.",
        })
public final class BalancerCommand implements Callable<Integer> {

    /** Exit code when the balancer cannot start (port in use, not permitted, …). */
    static final int EXIT_CANNOT_START = 1;

    @Spec
    CommandSpec spec;

    @Option(names = "--listen", paramLabel = "[HOST:]PORT", defaultValue = "0.0.0.0:8000",
            converter = AddressConverters.Listen.class,
            description = "Address to accept clients on; IPv6 as [::]:8000; 'inherited' takes the listening socket "
                    + "from standard input, as systemd passes it with StandardInput=socket (default: ${DEFAULT-VALUE}).")
    InetSocketAddress listen;

    @Option(names = "--reuse-port",
            description = "Bind --listen with SO_REUSEPORT, so that a new process can bind the same port while this "
                    + "one drains (see the README's \"Restarts that refuse nobody\").")
    boolean reusePort;

    @Option(names = "--backend", paramLabel = "HOST:PORT[-LAST]", split = ",",
            defaultValue = "127.0.0.1:9001,127.0.0.1:9002,127.0.0.1:9003",
            converter = AddressConverters.Backends.class,
            description = {
                "A backend; repeat the option or separate with commas. A port range such as "
                        + "127.0.0.1:8000-12999 adds one backend per port; IPv6 as [::1]:9001.",
                "Default: ${DEFAULT-VALUE}."
            })
    List<AddressConverters.BackendSpec> backends;

    @Option(names = "--backend-srv", paramLabel = "_SERVICE._PROTO.NAME", split = ",",
            description = "Backends from a DNS SRV name: each answer's target and port, with its weight; answers "
                    + "of a higher priority than the lowest are backups. Looked up again every --resolve-interval.")
    List<String> backendSrv = new ArrayList<>();

    @Option(names = "--dns-server", paramLabel = "HOST:PORT", converter = AddressConverters.DnsServer.class,
            description = "Ask this DNS server for backend names and SRV records instead of the system's resolver "
                    + "(say, Consul's DNS interface on port 8600).")
    InetSocketAddress dnsServer;

    @Option(names = "--resolve-interval", paramLabel = "DURATION", defaultValue = "5s", converter = Durations.class,
            description = "How often backends given by name (--backend NAME:PORT, --backend-srv) are looked up again; "
                    + "a failed lookup keeps the last answer (default: ${DEFAULT-VALUE}).")
    Duration resolveInterval;

    @Option(names = "--connect-timeout", paramLabel = "DURATION", defaultValue = "2s",
            converter = Durations.class,
            description = "How long a backend may take to accept a connection before the next one "
                    + "is tried: 500ms, 2s, 1m; a number needs its unit (default: ${DEFAULT-VALUE}).")
    Duration connectTimeout;

    @Option(names = "--retries", paramLabel = "N", defaultValue = "" + BalancerConfig.DEFAULT_RETRIES,
            description = "How many more backends a client may try when one refuses or times out, so a client "
                    + "waits at most (1 + N) x --connect-timeout (HAProxy's retries; default: ${DEFAULT-VALUE}).")
    int retries;

    @Option(names = "--backlog", paramLabel = "N", defaultValue = "" + BalancerConfig.DEFAULT_BACKLOG,
            description = "Connections the kernel may queue before we accept them (capped by "
                    + "net.core.somaxconn), and clients that may wait at once for a --max-connections slot "
                    + "(default: ${DEFAULT-VALUE}).")
    int backlog;

    @Option(names = "--strategy", paramLabel = "NAME", defaultValue = "round-robin",
            converter = Choices.Strategies.class, completionCandidates = Choices.Strategies.class,
            description = {
                "How each client's backend is chosen: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).",
                "round-robin: in turn; least-connections: fewest active connections; sticky: the same client "
                        + "address to the same backend while it is UP; consistent-hash: client address hashed, "
                        + "the same on every balancer with the same backends."
            })
    Strategy strategy;

    @Option(names = "--health-interval", paramLabel = "DURATION", defaultValue = "2s", converter = Durations.class,
            description = "How often each backend is probed with a TCP connect; 0 turns checks off "
                    + "(default: ${DEFAULT-VALUE}).")
    Duration healthInterval;

    @Option(names = "--no-health-check",
            description = "Do not probe backends; every backend counts as UP (same as --health-interval 0).")
    boolean noHealthCheck;

    @Option(names = "--health-timeout", paramLabel = "DURATION", defaultValue = "1s", converter = Durations.class,
            description = "How long a probe may take to connect before it counts as failed (default: ${DEFAULT-VALUE}).")
    Duration healthTimeout;

    @Option(names = "--health-check", paramLabel = "KIND", defaultValue = "tcp",
            converter = Choices.HealthChecks.class, completionCandidates = Choices.HealthChecks.class,
            description = "What a probe asks: ${COMPLETION-CANDIDATES}. tcp: the handshake is the check; http: "
                    + "GET --health-http-path must answer --health-http-status; send-expect: --health-send must be "
                    + "answered with a reply starting with --health-expect (default: ${DEFAULT-VALUE}).")
    HealthCheck.Kind healthCheck;

    @Option(names = "--health-http-path", paramLabel = "PATH", defaultValue = "/",
            description = "With --health-check http: the path asked for (default: ${DEFAULT-VALUE}).")
    String healthHttpPath;

    @Option(names = "--health-http-status", paramLabel = "LOW[-HIGH]", defaultValue = "200-399",
            description = "With --health-check http: the statuses that pass (default: ${DEFAULT-VALUE}).")
    String healthHttpStatus;

    @Option(names = "--health-send", paramLabel = "BYTES",
            description = "With --health-check send-expect: what the probe writes; \\r, \\n, \\t, \\\\ and \\xHH "
                    + "escapes (redis: PING\\r\\n).")
    String healthSend;

    @Option(names = "--health-expect", paramLabel = "BYTES",
            description = "With --health-check send-expect: what the reply must start with, escapes as in "
                    + "--health-send (redis: +PONG).")
    String healthExpect;

    @Option(names = "--health-port", paramLabel = "PORT", defaultValue = "0",
            description = "Probe this port of each backend's host instead of its traffic port (Patroni answers on "
                    + "8008 for PostgreSQL on 5432); 0: the traffic port (default: ${DEFAULT-VALUE}).")
    int healthPort;

    @Option(names = "--on-marked-down", paramLabel = "ACTION", defaultValue = "none",
            description = "What happens to a backend's open connections when it goes DOWN: none, or "
                    + "shutdown-sessions to close them so clients reconnect to a healthy one, as a database "
                    + "failover needs (HAProxy's on-marked-down; default: ${DEFAULT-VALUE}).")
    String onMarkedDown;

    @Option(names = "--fall", paramLabel = "N", defaultValue = "3",
            description = "Consecutive failures (probes or client connections) that take a backend DOWN "
                    + "(default: ${DEFAULT-VALUE}).")
    int fall;

    @Option(names = "--rise", paramLabel = "N", defaultValue = "2",
            description = "Consecutive successes (probes or client connections) that bring a DOWN backend "
                    + "back UP (default: ${DEFAULT-VALUE}).")
    int rise;

    @Option(names = "--sticky-ttl", paramLabel = "DURATION", defaultValue = "30m", converter = Durations.class,
            description = "With --strategy sticky: forget a client address after it has been idle this long "
                    + "(default: ${DEFAULT-VALUE}).")
    Duration stickyTtl;

    @Option(names = "--sticky-max", paramLabel = "N", defaultValue = "100000",
            description = "With --strategy sticky: client addresses remembered at most; the least recently "
                    + "seen is forgotten first (default: ${DEFAULT-VALUE}).")
    int stickyMax;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", defaultValue = "10m", converter = Durations.class,
            description = "Close a connection after this long without a byte in either direction (nginx's "
                    + "proxy_timeout); off or 0 to never (default: ${DEFAULT-VALUE}).")
    Duration idleTimeout;

    @Option(names = "--no-tcp-keepalive",
            description = "Do not set SO_KEEPALIVE on the client's and the backend's sockets (on by default, so the "
                    + "kernel finds out a peer that vanished); saves a system call per socket.")
    boolean noTcpKeepAlive;

    @Option(names = "--send-proxy", paramLabel = "VERSION", converter = Choices.ProxyVersions.class,
            completionCandidates = Choices.ProxyVersions.class,
            description = "Start every backend connection with a PROXY protocol header (HAProxy's specification), "
                    + "${COMPLETION-CANDIDATES}, so the backend sees the client's address; health checks send LOCAL "
                    + "(v2) or UNKNOWN (v1). Default: none.")
    ProxyHeader.Version sendProxy;

    @Option(names = "--server-timeout", paramLabel = "DURATION", defaultValue = "off", converter = Durations.class,
            description = "Close a connection whose backend has not answered the client's bytes for this long, and "
                    + "count it as a failure of the backend, so a frozen one leaves rotation after --fall of them "
                    + "(HAProxy's timeout server); off or 0 to wait as long as the idle timeout (default: "
                    + "${DEFAULT-VALUE}).")
    Duration serverTimeout;

    @Option(names = "--queue-timeout", paramLabel = "DURATION", defaultValue = "60s", converter = Durations.class,
            description = "How long a client may wait for a --max-connections slot before it is closed "
                    + "(HAProxy's timeout queue; default: ${DEFAULT-VALUE}).")
    Duration queueTimeout;

    @Option(names = "--slow-start", paramLabel = "DURATION", defaultValue = "off", converter = Durations.class,
            description = "A backend that comes back UP, or is added while running, ramps from a sixteenth of its "
                    + "weight to all of it over this "
                    + "long (HAProxy's slowstart; round-robin, least-connections and sticky placement); off or 0 "
                    + "for at once (default: ${DEFAULT-VALUE}).")
    Duration slowStart;

    @Option(names = "--when-unavailable", paramLabel = "ACTION", defaultValue = "close",
            converter = Choices.Unavailable.class, completionCandidates = Choices.Unavailable.class,
            description = "What a client gets when no backend can be reached: ${COMPLETION-CANDIDATES}; "
                    + "http-502 answers HTTP/1.1 502 Bad Gateway before closing (default: ${DEFAULT-VALUE}).")
    WhenUnavailable whenUnavailable;

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "0",
            description = "Client connections at most at once; beyond that, new clients wait up to "
                    + "--queue-timeout for one to end (HAProxy's maxconn), and a client whose address holds "
                    + "fewer takes the slot of the oldest connection of the address holding most. "
                    + "0: as many as the open-file limit "
                    + "(ulimit -n) can hold, two files per connection (default: ${DEFAULT-VALUE}).")
    int maxConnections;

    @Option(names = "--max-connections-per-client", paramLabel = "N", defaultValue = "0",
            description = "Connections one client address may hold at once; more are closed at accept and "
                    + "counted in the metrics. 0: no limit (default: ${DEFAULT-VALUE}).")
    int maxConnectionsPerClient;

    @Option(names = "--allow", paramLabel = "CIDR", split = ",", converter = CidrConverter.class,
            description = "Proxy only clients from this network, such as 10.0.0.0/8 or 2001:db8::/32 (a bare "
                    + "address is one host); repeat or separate with commas. Others are closed at accept and "
                    + "counted in the metrics. Default: every client.")
    List<Cidr> allow = new ArrayList<>();

    @Option(names = "--accept-proxy", paramLabel = "CIDR", split = ",", converter = CidrConverter.class,
            description = "Connections from these networks (upstream balancers) must start with a PROXY protocol "
                    + "header, v1 or v2, and the client it names is the client: for --allow, the per-client limit, "
                    + "fair share, sticky and hash keys, the access log and --send-proxy. One that sends none "
                    + "within --preread-timeout, or a malformed one, is closed and counted. Repeat or separate "
                    + "with commas. Others' headers are not honoured. Default: none.")
    List<Cidr> acceptProxy = new ArrayList<>();

    @Option(names = "--route", paramLabel = "SNI[,SNI...]=HOST:PORT[,...]",
            description = "An SNI route: TLS clients whose ClientHello asks for one of these server names (exact, "
                    + "or *.wildcard for any name below) go to these backends, TLS passing through untouched; the "
                    + "rest (no SNI, another name, not TLS) go to --backend. Repeat for more routes; each takes "
                    + "this service's other settings. The configuration file's 'routes:' takes any key per route.")
    List<String> routeSpecs = new ArrayList<>();

    @Option(names = "--preread-timeout", paramLabel = "DURATION", defaultValue = "5s", converter = Durations.class,
            description = "How long a connection may take to send what is read before proxying it: an upstream's "
                    + "PROXY header, a TLS ClientHello for --route (nginx's preread_timeout) (default: ${DEFAULT-VALUE}).")
    Duration prereadTimeout;

    @Option(names = "--drain-timeout", paramLabel = "DURATION", defaultValue = "30s", converter = Durations.class,
            description = "On SIGTERM or SIGINT: stop accepting at once, let open connections finish for up to "
                    + "this long, then close the rest. A second signal closes them at once (default: ${DEFAULT-VALUE}).")
    Duration drainTimeout;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Read the services from this YAML file (see the README's \"Configuration file\"): "
                    + "each service's keys are these options' names without the dashes. Only --admin, "
                    + "--admin-token-file and --admin-host may be given besides, here or in the file.")
    Path configFile;

    @Option(names = "--admin", paramLabel = "[HOST:]PORT", converter = AddressConverters.Admin.class,
            description = "Serve the admin endpoint here: GET /metrics (Prometheus), /status (JSON), /healthz; "
                    + "POST /backends/HOST:PORT/drain and /enable. Host defaults to 127.0.0.1 (off unless given).")
    InetSocketAddress admin;

    @Option(names = "--admin-token-file", paramLabel = "FILE",
            description = "The admin endpoint's operate level (POST /backends/...) needs 'Authorization: Bearer "
                    + "TOKEN', TOKEN being this file's content. Required when --admin is not on loopback.")
    Path adminTokenFile;

    @Option(names = "--admin-host", paramLabel = "NAME", split = ",",
            description = "A name admin requests may give in their Host header, besides IP addresses and localhost "
                    + "(say, the management DNS name); repeat or separate with commas. Others are refused, which "
                    + "stops DNS-rebinding pages.")
    List<String> adminHosts = new ArrayList<>();

    /** Who may read and operate the admin endpoint; errors are usage errors. */
    AdminAccess adminAccess() {
        if (admin == null) {
            return AdminAccess.LOOPBACK;
        }
        Optional<byte[]> token = Optional.empty();
        if (adminTokenFile != null) {
            String text;
            try {
                text = Files.readString(adminTokenFile, StandardCharsets.UTF_8).strip();
            } catch (IOException | UncheckedIOException e) {
                throw new ParameterException(spec.commandLine(), "cannot read --admin-token-file " + adminTokenFile
                        + ": " + SocketErrors.describe(e instanceof UncheckedIOException u ? u.getCause() : e));
            }
            if (text.isEmpty()) {
                throw new ParameterException(spec.commandLine(), "--admin-token-file " + adminTokenFile
                        + " is empty; put a long random token in it (openssl rand -hex 32)");
            }
            token = Optional.of(text.getBytes(StandardCharsets.UTF_8));
        } else if (!admin.getAddress().isLoopbackAddress()) {
            throw new ParameterException(spec.commandLine(), "--admin " + HostPort.format(admin)
                    + " is reachable from other hosts, so it needs --admin-token-file FILE for its operate level "
                    + "(or bind it to loopback: --admin " + admin.getPort() + ")");
        }
        return new AdminAccess(token, adminHosts);
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
            BalancerConfig service = BalancerConfig.builder(listen, resolved.backends())
                    .weighting(resolved.weighting())
                    .names(names.any() ? names : null)
                    .connectTimeout(connectTimeout)
                    .retries(retries)
                    .backlog(backlog)
                    .strategy(strategy)
                    .health(new ProbeConfig(noHealthCheck ? Duration.ZERO : healthInterval, healthTimeout, rise, fall,
                            healthCheck()))
                    .shutdownSessionsOnDown(shutdownSessionsOnDown())
                    .serverTimeout(serverTimeout)
                    .sendProxy(sendProxy)
                    .tcpKeepAlive(!noTcpKeepAlive)
                    .sticky(new StickyTable.Limits(stickyTtl, stickyMax))
                    .idleTimeout(idleTimeout)
                    .whenUnavailable(whenUnavailable)
                    .maxConnections(maxConnections)
                    .queueTimeout(queueTimeout)
                    .reusePort(reusePort)
                    .slowStart(slowStart)
                    .drainTimeout(drainTimeout)
                    .admission(new AdmissionRules(allow, maxConnectionsPerClient))
                    .preread(new PrereadRules(acceptProxy, prereadTimeout))
                    .build();
            return routeSpecs.isEmpty() ? service : service.withRoutes(routes(service));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** {@code --route a.example,*.b.example=10.0.0.11:443,10.0.0.12:443}: each one this service's settings, other backends. */
    private List<SniRoute> routes(BalancerConfig service) {
        List<SniRoute> routes = new ArrayList<>();
        for (String spec : routeSpecs) {
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
        if (healthPort < 0 || healthPort > 65535) {
            throw new IllegalArgumentException("--health-port must be 1-65535, or 0 for the traffic port, not " + healthPort);
        }
        if (!healthHttpPath.startsWith("/") || healthHttpPath.chars().anyMatch(c -> c <= ' ' || c >= 0x7f)) {
            throw new IllegalArgumentException("--health-http-path must start with / and hold no spaces or "
                    + "control characters, not '" + OneLineErrors.printable(healthHttpPath) + "'");
        }
        String[] range = healthHttpStatus.split("-", 2);
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
                    + "200-399, not '" + healthHttpStatus + "'");
        }
        byte[] send = new byte[0];
        byte[] expect = new byte[0];
        if (healthCheck == HealthCheck.Kind.SEND_EXPECT) {
            if (healthSend == null || healthExpect == null || healthExpect.isEmpty()) {
                throw new IllegalArgumentException("--health-check send-expect needs --health-send and --health-expect "
                        + "(redis: --health-send 'PING\\r\\n' --health-expect +PONG)");
            }
            send = Escapes.decode(healthSend);
            expect = Escapes.decode(healthExpect);
        }
        return new HealthCheck(healthCheck, healthHttpPath, low, high, send, expect, healthPort);
    }

    private boolean shutdownSessionsOnDown() {
        return switch (onMarkedDown) {
            case "none" -> false;
            case "shutdown-sessions" -> true;
            default -> throw new IllegalArgumentException("--on-marked-down is none or shutdown-sessions, not '"
                    + onMarkedDown + "'");
        };
    }

    /** The backends given by address, and those given by name, to look up. */
    private BackendNames backendNames() {
        if (resolveInterval.isZero() || resolveInterval.isNegative()) {
            throw new IllegalArgumentException("--resolve-interval must be positive, not " + DurationText.of(resolveInterval));
        }
        List<BackendNames.Host> hosts = new ArrayList<>();
        for (AddressConverters.BackendSpec item : backends) {
            if (!item.shape().isLiteral()) {
                hosts.add(new BackendNames.Host(item.shape().host(), item.shape().firstPort(), item.shape().lastPort()));
            }
        }
        return new BackendNames(distinctBackends(), hosts, backendSrv, resolveInterval, dnsServer);
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
        if (configFile != null) {
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
        return run(services, contents, process.admin, access);
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
                    return cannotBind("cannot listen on ", service.listen(), configFile == null ? "--listen"
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
                try (ConfigReload reload = configFile == null ? null : new ConfigReload(configFile, contents, services)) {
                    stopped.await();
                }
                return 0;
            } catch (AdminServer.CannotBind e) {
                // The JDK's own exception is the cause: its type tells why the bind failed.
                return cannotBind("cannot serve --admin on ", e.address(), "--admin",
                        e.getCause() instanceof IOException cause ? cause : e);
            } catch (IOException e) {
                spec.commandLine().getErr().println(Main.NAME + ": cannot watch --config " + configFile + ": "
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
            return ConfigFile.read(configFile);
        } catch (ConfigFile.Invalid e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** The admin options from the file's top level, which the command line must not give too. */
    private BalancerCommand processOptionsFrom(ConfigFile.Contents contents) {
        if (admin != null || adminTokenFile != null || !adminHosts.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "the admin options are in " + configFile
                    + " and on the command line; give them in one place");
        }
        BalancerCommand process = new BalancerCommand();
        try {
            new picocli.CommandLine(process).parseArgs(contents.processArgs().toArray(String[]::new));
        } catch (ParameterException e) {
            throw new ParameterException(spec.commandLine(), configFile + ": " + e.getMessage());
        }
        return process;
    }

    /** Flattens the --backend items, naming both items when an address is given twice. */
    private List<Backend> distinctBackends() {
        List<Backend> all = new ArrayList<>();
        Map<Backend, String> givenBy = new HashMap<>();
        for (AddressConverters.BackendSpec item : backends) {
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
