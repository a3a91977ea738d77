package dev.loombalancer.cli;

import dev.loombalancer.net.HostPort;
import dev.loombalancer.net.ProxyHeader;
import dev.loombalancer.net.Listeners;
import dev.loombalancer.net.SocketErrors;
import dev.loombalancer.pool.Backend;
import dev.loombalancer.pool.SendProxy;
import dev.loombalancer.pool.Weighting;
import dev.loombalancer.server.BalancerConfig;
import dev.loombalancer.server.SniRoute;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * {@code --config FILE}: several services from one YAML file. A service's keys are the
 * command line's option names without the dashes, and each service is parsed by the
 * command line itself ({@link BalancerCommand}): one set of converters, defaults and checks
 * for both, so the README's option table documents both. Only the shape is the file's
 * own: a list of services, a {@code name} for each, and {@code backends} as a list.
 *
 * <p>The YAML is read as a node tree (snakeyaml-engine's composer), never as objects: the
 * parser cannot be made to build anything but maps, lists and strings, and every node
 * keeps its line, so each error names the file, the line and the key.
 */
final class ConfigFile {

    /** Larger than any real configuration; a bound on what a mistaken path can make us read. */
    static final int MAX_BYTES = 1 << 20;

    /** One service of the file; {@code line} is where its entry starts. */
    record Service(String name, BalancerConfig config, int line) {
    }

    /**
     * The services, the process-wide settings as command-line arguments ({@code --admin=…}),
     * and the text they were read from.
     */
    record Contents(List<Service> services, List<String> processArgs, String text) {
    }

    /** A file that cannot be used; the message is one line: {@code FILE:LINE: what is wrong}. */
    static final class Invalid extends Exception {
        Invalid(String message) {
            super(message);
        }
    }

    /** Keys of the top level besides {@code services}: the process-wide options. */
    static final Set<String> PROCESS_KEYS = Set.of("admin", "admin-token-file", "admin-host");
    /** Options that are not a service's: the process-wide ones, and what only a command line has. */
    private static final Set<String> NOT_SERVICE_KEYS = Set.of("config", "admin", "admin-token-file", "admin-host",
            "help", "version", "backend");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    private final String file;
    private final Path directory;

    private ConfigFile(Path path) {
        this.file = path.toString();
        this.directory = path.toAbsolutePath().getParent();
    }

    /** Reads and checks the whole file; nothing is started. */
    static Contents read(Path path) throws Invalid {
        return new ConfigFile(path).parse();
    }

    private Contents parse() throws Invalid {
        String text = readText();
        Node root;
        try {
            LoadSettings settings = LoadSettings.builder().setLabel(file).setCodePointLimit(MAX_BYTES)
                    .setMaxAliasesForCollections(10).build();
            root = new Compose(settings).composeString(text)
                    .orElseThrow(() -> new Invalid(file + ": the file is empty; it needs a 'services:' list"));
        } catch (MarkedYamlEngineException e) {
            int line = e.getProblemMark().or(e::getContextMark).map(mark -> mark.getLine() + 1).orElse(1);
            throw new Invalid(file + ":" + line + ": not valid YAML: " + e.getProblem());
        } catch (YamlEngineException e) {
            throw new Invalid(file + ": not valid YAML: " + OneLineErrors.printable(String.valueOf(e.getMessage())));
        }
        Map<String, NodeTuple> top = mapping(root, "the file");
        List<String> processArgs = new ArrayList<>();
        SequenceNode services = null;
        for (Map.Entry<String, NodeTuple> entry : top.entrySet()) {
            String key = entry.getKey();
            Node value = entry.getValue().getValueNode();
            if (key.equals("services")) {
                if (!(value instanceof SequenceNode list) || list.getValue().isEmpty()) {
                    throw invalid(value, "'services' must be a list of services, each with a name, listen and backends");
                }
                services = list;
            } else if (PROCESS_KEYS.contains(key)) {
                addOption(processArgs, key, value, true);
            } else if (serviceKeys().contains(key)) {
                throw invalid(entry.getValue().getKeyNode(), "'" + key + "' belongs to a service: put it under 'services:'");
            } else {
                throw invalid(entry.getValue().getKeyNode(), "unknown key '" + key + "'; the top level holds services, "
                        + String.join(", ", PROCESS_KEYS.stream().sorted().toList()));
            }
        }
        if (services == null) {
            throw invalid(root, "no 'services:' list; the file needs one");
        }
        return new Contents(services(services), processArgs, text);
    }

    private String readText() throws Invalid {
        Path path = Path.of(file);
        try {
            if (Files.size(path) > MAX_BYTES) {
                throw new Invalid(file + ": larger than " + (MAX_BYTES >> 20) + " MiB; is it the right file?");
            }
            return Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new Invalid("cannot read --config " + file + ": " + SocketErrors.describe(e));
        }
    }

    private List<Service> services(SequenceNode list) throws Invalid {
        List<Service> services = new ArrayList<>();
        Map<String, Node> names = new HashMap<>();
        Map<InetSocketAddress, String> listens = new HashMap<>();
        for (Node item : list.getValue()) {
            Service service = service(item);
            Node earlier = names.putIfAbsent(service.name(), item);
            if (earlier != null) {
                throw invalid(item, "a second service named '" + service.name() + "' (the first is on line "
                        + line(earlier) + "); names must differ");
            }
            for (SniRoute route : service.config().routes()) { // each route is observed as a service of its own
                Node taken = names.putIfAbsent(route.pool().name(), item);
                if (taken != null) {
                    throw invalid(item, "route '" + route.pool().name() + "' has the name of a service or route on line "
                            + line(taken) + "; names must differ");
                }
            }
            if (service.config().listen().equals(Listeners.INHERITED) && listens.containsKey(Listeners.INHERITED)) {
                throw invalid(item, "service '" + service.name() + "' listens on the inherited socket, as service '"
                        + listens.get(Listeners.INHERITED) + "' does; a process inherits one");
            }
            if (service.config().listen().equals(Listeners.INHERITED)) {
                listens.put(Listeners.INHERITED, service.name());
            }
            // Port 0 (any free port) may repeat; any other address is one listener.
            String other = service.config().listen().getPort() == 0 ? null
                    : listens.putIfAbsent(service.config().listen(), service.name());
            if (other != null) {
                throw invalid(item, "service '" + service.name() + "' listens on "
                        + HostPort.format(service.config().listen()) + ", as service '" + other + "' does");
            }
            services.add(service);
        }
        return services;
    }

    private Service service(Node item) throws Invalid {
        Map<String, NodeTuple> keys = mapping(item, "a service");
        NodeTuple nameEntry = keys.get("name");
        if (nameEntry == null) {
            throw invalid(item, "a service needs a 'name'");
        }
        String name = scalar(nameEntry.getValueNode(), "name");
        if (!NAME.matcher(name).matches()) {
            throw invalid(nameEntry.getValueNode(), "service name '" + name
                    + "' must be letters, digits, '.', '_' or '-' (at most 64), starting with a letter or digit");
        }
        for (Map.Entry<String, NodeTuple> entry : keys.entrySet()) { // a misspelt key first: it may be the missing one
            if (!serviceKeys().contains(entry.getKey())) {
                throw invalid(entry.getValue().getKeyNode(), unknownKey(entry.getKey()));
            }
        }
        for (String required : List.of("listen", "backends")) {
            if (!keys.containsKey(required)) {
                throw invalid(item, "service '" + name + "' needs '" + required + "'");
            }
        }
        Map<String, NodeTuple> own = new LinkedHashMap<>(keys);
        NodeTuple routesEntry = own.remove("routes");
        BalancerConfig config = pool(item, "service '" + name + "'", name, own);
        if (routesEntry != null) {
            try {
                List<SniRoute> all = new ArrayList<>(config.routes()); // 'route:' lines first, as on the command line
                all.addAll(routes(name, keys, routesEntry.getValueNode(), all.size()));
                config = config.withRoutes(all);
            } catch (IllegalArgumentException e) { // a name in two routes
                throw invalid(routesEntry.getValueNode(), "service '" + name + "': " + e.getMessage());
            }
        }
        return new Service(name, config, line(item));
    }

    /** Keys a route takes from its service unless it sets them: all but what belongs to the listener. */
    private static final Set<String> LISTENER_KEYS = Set.of("name", "listen", "backends", "routes", "route",
            "reuse-port", "backlog", "accept-proxy", "preread-timeout", "allow");

    /**
     * {@code routes:}, each a map with {@code sni} (a name or a list), {@code backends} and,
     * optionally, a {@code name} and any key a service takes for its pool (strategy, health
     * checks, weights…); what a route does not set, it takes from its service.
     */
    private List<SniRoute> routes(String service, Map<String, NodeTuple> serviceKeys, Node value, int before)
            throws Invalid {
        if (!(value instanceof SequenceNode list) || list.getValue().isEmpty()) {
            throw invalid(value, "'routes' must be a list of routes, each with sni and backends");
        }
        List<SniRoute> routes = new ArrayList<>();
        Set<String> names = new HashSet<>();
        int index = before;
        for (Node item : list.getValue()) {
            index++;
            Map<String, NodeTuple> keys = mapping(item, "a route");
            NodeTuple sni = keys.get("sni");
            if (sni == null || !keys.containsKey("backends")) {
                throw invalid(item, "a route needs 'sni' (its server names) and 'backends'");
            }
            String name = keys.containsKey("name") ? scalar(keys.get("name").getValueNode(), "name")
                    : BalancerConfig.routeName(service, index);
            if (!NAME.matcher(name).matches() || !names.add(name)) {
                throw invalid(item, "route name '" + name + "' must be unique, letters, digits, '.', '_' or '-'");
            }
            Map<String, NodeTuple> merged = new LinkedHashMap<>();
            for (Map.Entry<String, NodeTuple> entry : serviceKeys.entrySet()) {
                if (!LISTENER_KEYS.contains(entry.getKey()) || entry.getKey().equals("listen")) {
                    merged.put(entry.getKey(), entry.getValue()); // listen only to say where it is served
                }
            }
            for (Map.Entry<String, NodeTuple> entry : keys.entrySet()) {
                String key = entry.getKey();
                if (key.equals("sni") || key.equals("name")) {
                    continue;
                }
                if (LISTENER_KEYS.contains(key) && !key.equals("backends")) {
                    throw invalid(entry.getValue().getKeyNode(), "'" + key + "' belongs to the service, not to a route");
                }
                merged.put(key, entry.getValue());
            }
            List<String> serverNames = new ArrayList<>();
            Node names0 = sni.getValueNode();
            for (Node n : names0 instanceof SequenceNode seq ? seq.getValue() : List.of(names0)) {
                serverNames.add(scalar(n, "a server name"));
            }
            String what = "route '" + name + "' of service '" + service + "'";
            BalancerConfig pool = pool(item, what, name, merged);
            try {
                routes.add(new SniRoute(serverNames, pool.asRoute(name)));
            } catch (IllegalArgumentException e) {
                throw invalid(sni.getValueNode(), what + ": " + e.getMessage());
            }
        }
        return routes;
    }

    /** The keys of a service, or of a route merged with its service's, parsed by the command line. */
    private BalancerConfig pool(Node item, String what, String name, Map<String, NodeTuple> keys) throws Invalid {
        List<String> args = new ArrayList<>();
        Map<Backend, Weighting> weighting = new HashMap<>();
        Map<Backend, Optional<ProxyHeader.Version>> sendProxies = new HashMap<>();
        Map<String, Node> lineOf = new HashMap<>();
        for (Map.Entry<String, NodeTuple> entry : keys.entrySet()) {
            String key = entry.getKey();
            Node value = entry.getValue().getValueNode();
            if (key.equals("name")) {
                continue;
            }
            if (key.equals("backends")) {
                lineOf.put("backend", value);
                backends(args, weighting, sendProxies, value);
                continue;
            }
            if (!serviceKeys().contains(key)) {
                throw invalid(entry.getValue().getKeyNode(), unknownKey(key));
            }
            lineOf.put(key, value);
            addOption(args, key, value, false);
        }
        BalancerCommand command = new BalancerCommand();
        CommandLine commandLine = command.commandLine();
        try {
            commandLine.parseArgs(args.toArray(String[]::new));
            BalancerConfig config = command.config().asService(name, weighting);
            return sendProxies.isEmpty() ? config
                    : config.withSendProxy(new SendProxy(config.sendProxy().service(), sendProxies));
        } catch (ParameterException e) {
            Node at = item;
            if (e.getArgSpec() instanceof OptionSpec option) {
                at = lineOf.getOrDefault(option.longestName().substring(2), item);
            }
            throw invalid(at, what + ": " + OneLineErrors.printable(e.getMessage()));
        }
    }

    /**
     * Each entry is HOST:PORT[-LAST] or a map with {@code address} and, optionally,
     * {@code weight} (1-256), {@code backup} (true or false) and {@code send-proxy} (v1, v2
     * or none, over the service's); a range's backends share them.
     */
    private void backends(List<String> args, Map<Backend, Weighting> weighting,
                          Map<Backend, Optional<ProxyHeader.Version>> sendProxies, Node value) throws Invalid {
        if (!(value instanceof SequenceNode list) || list.getValue().isEmpty()) {
            throw invalid(value, "'backends' must be a list: HOST:PORT entries, or maps with 'address'");
        }
        for (Node entry : list.getValue()) {
            if (!(entry instanceof MappingNode)) {
                args.add("--backend=" + scalar(entry, "a backend"));
                continue;
            }
            Map<String, NodeTuple> keys = mapping(entry, "a backend");
            for (Map.Entry<String, NodeTuple> key : keys.entrySet()) {
                if (!BACKEND_KEYS.contains(key.getKey())) {
                    throw invalid(key.getValue().getKeyNode(), "unknown key '" + key.getKey()
                            + "' in a backend; a backend map holds address (or srv), weight, backup and send-proxy");
                }
            }
            NodeTuple address = keys.get("address");
            NodeTuple srv = keys.get("srv");
            if ((address == null) == (srv == null)) {
                throw invalid(entry, "a backend map needs 'address: HOST:PORT' or 'srv: _service._proto.name'");
            }
            Weighting share = weighting(keys);
            Optional<ProxyHeader.Version> sendProxy = null;
            NodeTuple sendProxyEntry = keys.get("send-proxy");
            if (sendProxyEntry != null) {
                String text = scalar(sendProxyEntry.getValueNode(), "send-proxy");
                sendProxy = switch (text) {
                    case "v1" -> Optional.of(ProxyHeader.Version.V1);
                    case "v2" -> Optional.of(ProxyHeader.Version.V2);
                    case "none" -> Optional.empty();
                    default -> throw invalid(sendProxyEntry.getValueNode(), "a backend's 'send-proxy' is v1, v2 or none, not '"
                            + OneLineErrors.printable(text) + "'");
                };
            }
            if (srv != null) {
                if (!share.equals(Weighting.DEFAULT) || sendProxy != null) {
                    throw invalid(entry, "an 'srv' backend takes its weights and backups from the SRV answers, and "
                            + "the service's send-proxy");
                }
                args.add("--backend-srv=" + scalar(srv.getValueNode(), "srv"));
                continue;
            }
            String text = scalar(address.getValueNode(), "address");
            args.add("--backend=" + text);
            if (!share.equals(Weighting.DEFAULT) || sendProxy != null) {
                HostPort.BackendSpec shape;
                try {
                    shape = HostPort.parseBackendSpec(text);
                } catch (IllegalArgumentException e) {
                    continue; // the command line's parse of --backend reports it, with its line
                }
                if (!shape.isLiteral()) {
                    throw invalid(entry, "a weight, backup or send-proxy needs a backend given by IP address; for "
                            + "names, SRV records carry weights and priorities ('srv:')");
                }
                for (InetSocketAddress backend : HostPort.parseBackends(text)) {
                    if (!share.equals(Weighting.DEFAULT)) {
                        weighting.put(new Backend(backend), share);
                    }
                    if (sendProxy != null) {
                        sendProxies.put(new Backend(backend), sendProxy);
                    }
                }
            }
        }
    }

    private static final Set<String> BACKEND_KEYS = Set.of("address", "srv", "weight", "backup", "send-proxy");

    private Weighting weighting(Map<String, NodeTuple> keys) throws Invalid {
        int weight = 1;
        boolean backup = false;
        NodeTuple weightEntry = keys.get("weight");
        if (weightEntry != null) {
            String text = scalar(weightEntry.getValueNode(), "weight");
            try {
                weight = Integer.parseInt(text);
            } catch (NumberFormatException e) {
                weight = -1;
            }
            if (weight < 1 || weight > Weighting.MAX_WEIGHT) {
                throw invalid(weightEntry.getValueNode(), "'weight' is a whole number from 1 to "
                        + Weighting.MAX_WEIGHT + ", not '" + text + "'");
            }
        }
        NodeTuple backupEntry = keys.get("backup");
        if (backupEntry != null) {
            String text = scalar(backupEntry.getValueNode(), "backup");
            if (!text.equals("true") && !text.equals("false")) {
                throw invalid(backupEntry.getValueNode(), "'backup' is true or false, not '" + text + "'");
            }
            backup = text.equals("true");
        }
        return new Weighting(weight, backup);
    }

    /**
     * {@code key: value} as {@code --key=value}; a list as the option repeated; a flag
     * ({@code no-health-check: true}) as the bare option, or nothing for false.
     */
    private void addOption(List<String> args, String key, Node value, boolean process) throws Invalid {
        OptionSpec option = OPTIONS.findOption("--" + key);
        if (option.arity().max() == 0) {
            String flag = scalar(value, key);
            switch (flag) {
                case "true" -> args.add("--" + key);
                case "false" -> { }
                default -> throw invalid(value, "'" + key + "' is true or false, not '" + flag + "'");
            }
            return;
        }
        List<Node> values = value instanceof SequenceNode list ? list.getValue() : List.of(value);
        for (Node item : values) {
            String text = scalar(item, key);
            if (process && key.equals("admin-token-file") && !Path.of(text).isAbsolute()) {
                text = directory.resolve(text).toString(); // relative to the file, not to where we were started
            }
            args.add("--" + key + "=" + text);
        }
    }

    /** The keys a service may have: the command line's options, less the process-wide ones. */
    private static Set<String> serviceKeys() {
        return SERVICE_KEYS;
    }

    /** The command line's options, read once: what a key may be, and whether it is a flag. */
    private static final CommandSpec OPTIONS = new BalancerCommand().commandLine().getCommandSpec();
    private static final Set<String> SERVICE_KEYS = computeServiceKeys();

    private static Set<String> computeServiceKeys() {
        Set<String> keys = new HashSet<>();
        for (OptionSpec option : OPTIONS.options()) {
            String key = option.longestName().substring(2);
            if (!NOT_SERVICE_KEYS.contains(key)) {
                keys.add(key);
            }
        }
        keys.add("name");
        keys.add("backends");
        keys.add("routes");
        return Set.copyOf(keys);
    }

    /** "unknown key 'helth-interval'; did you mean 'health-interval'?", with picocli's own suggestions. */
    private static String unknownKey(String key) {
        List<String> suggestions = List.of();
        try {
            new BalancerCommand().commandLine().parseArgs("--" + key);
        } catch (UnmatchedArgumentException e) {
            suggestions = e.getSuggestions().stream()
                    .map(option -> option.replaceFirst("^--?", ""))
                    .map(option -> option.equals("backend") ? "backends" : option)
                    .filter(SERVICE_KEYS::contains)
                    .distinct()
                    .toList();
        } catch (ParameterException e) {
            // a process-wide or command-line-only option: no suggestion
        }
        String known = key.equals("backend") ? "backends" : suggestions.isEmpty() ? null : suggestions.get(0);
        return "unknown key '" + key + "'" + (known == null ? "; the README's option table lists the keys"
                : "; did you mean '" + known + "'?");
    }

    /** A mapping's entries by key, refusing duplicate and non-string keys. */
    private Map<String, NodeTuple> mapping(Node node, String what) throws Invalid {
        if (!(node instanceof MappingNode map)) {
            throw invalid(node, what + " must be a map of 'key: value' lines");
        }
        Map<String, NodeTuple> entries = new LinkedHashMap<>();
        for (NodeTuple tuple : map.getValue()) {
            String key = scalar(tuple.getKeyNode(), "a key");
            NodeTuple earlier = entries.putIfAbsent(key, tuple);
            if (earlier != null) {
                throw invalid(tuple.getKeyNode(), "'" + key + "' is given twice (first on line "
                        + line(earlier.getKeyNode()) + ")");
            }
        }
        return entries;
    }

    private String scalar(Node node, String what) throws Invalid {
        if (!(node instanceof ScalarNode scalar)) {
            throw invalid(node, what + " must be a single value, not a list or a map");
        }
        if (scalar.getValue().isEmpty()) {
            throw invalid(node, what + " has no value");
        }
        return scalar.getValue();
    }

    private Invalid invalid(Node node, String message) {
        return new Invalid(file + ":" + line(node) + ": " + message);
    }

    private static int line(Node node) {
        Optional<Mark> mark = node.getStartMark();
        return mark.map(m -> m.getLine() + 1).orElse(1);
    }
}
