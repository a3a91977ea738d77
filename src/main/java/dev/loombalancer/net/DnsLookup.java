package dev.loombalancer.net;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import javax.naming.Context;
import javax.naming.NamingEnumeration;
import javax.naming.NamingException;
import javax.naming.NameNotFoundException;
import javax.naming.directory.Attribute;
import javax.naming.directory.Attributes;
import javax.naming.directory.DirContext;
import javax.naming.directory.InitialDirContext;

/**
 * DNS lookups of backend names: A and AAAA (every answer is a backend) and SRV (host,
 * port, weight and priority), from the system's resolver or from one DNS server
 * ({@code --dns-server}, Consul's DNS interface on 8600, a test's dnsmasq).
 *
 * <p>The JDK's own DNS client does the work: JNDI's DNS provider (module
 * {@code jdk.naming.dns}) asks a given server over UDP, with its own timeout and retries;
 * {@code InetAddress} cannot be pointed at a server, and cannot ask for SRV records.
 */
public final class DnsLookup {

    /** One SRV answer: {@code priority weight port target}. */
    public record Srv(int priority, int weight, int port, String target) {
    }

    private static final String TIMEOUT_MILLIS = "1000";
    private static final String RETRIES = "2";

    private final InetSocketAddress server; // null: the system's resolver

    private DnsLookup(InetSocketAddress server) {
        this.server = server;
    }

    /** Lookups through the system's resolver (and its /etc/hosts). */
    public static DnsLookup system() {
        return new DnsLookup(null);
    }

    /** Lookups sent to this DNS server only. */
    public static DnsLookup server(InetSocketAddress server) {
        return new DnsLookup(server);
    }

    /** "the system's resolver", "DNS server 127.0.0.1:5353": for messages. */
    public String describe() {
        return server == null ? "the system's resolver" : "DNS server " + HostPort.format(server);
    }

    /** Every address {@code host} has (A and AAAA); an IP literal is itself. */
    public List<InetAddress> addresses(String host) throws IOException {
        if (server == null) {
            return List.of(InetAddress.getAllByName(host));
        }
        List<InetAddress> addresses = new ArrayList<>();
        for (String record : query(host, "A", "AAAA")) {
            addresses.add(InetAddress.getByName(record)); // a literal: nothing is resolved
        }
        if (addresses.isEmpty()) {
            throw new UnknownHostException(host + ": no A or AAAA record");
        }
        return addresses;
    }

    /** The SRV records of {@code name} (_service._proto.domain). */
    public List<Srv> srv(String name) throws IOException {
        List<Srv> records = new ArrayList<>();
        for (String record : query(name, "SRV")) {
            String[] fields = record.trim().split("\\s+");
            if (fields.length != 4) {
                throw new IOException(name + ": an SRV answer that is not 'priority weight port target': " + record);
            }
            String target = fields[3].endsWith(".") ? fields[3].substring(0, fields[3].length() - 1) : fields[3];
            records.add(new Srv(Integer.parseInt(fields[0]), Integer.parseInt(fields[1]),
                    Integer.parseInt(fields[2]), target));
        }
        if (records.isEmpty()) {
            throw new UnknownHostException(name + ": no SRV record");
        }
        return records;
    }

    private List<String> query(String name, String... types) throws IOException {
        Hashtable<String, String> env = new Hashtable<>();
        env.put(Context.INITIAL_CONTEXT_FACTORY, "com.sun.jndi.dns.DnsContextFactory");
        env.put(Context.PROVIDER_URL, server == null ? "dns:" : "dns://" + HostPort.format(server));
        env.put("com.sun.jndi.dns.timeout.initial", TIMEOUT_MILLIS);
        env.put("com.sun.jndi.dns.timeout.retries", RETRIES);
        List<String> values = new ArrayList<>();
        DirContext context = null;
        try {
            context = new InitialDirContext(env);
            Attributes attributes = context.getAttributes(name, types);
            for (String type : types) {
                Attribute attribute = attributes.get(type);
                if (attribute == null) {
                    continue;
                }
                NamingEnumeration<?> all = attribute.getAll();
                while (all.hasMore()) {
                    values.add(all.next().toString());
                }
            }
            return values;
        } catch (NameNotFoundException e) {
            throw new UnknownHostException(name + ": no such name (" + describe() + ")");
        } catch (NamingException e) {
            throw new IOException(name + ": " + (e.getExplanation() == null ? e.getClass().getSimpleName()
                    : e.getExplanation()) + " (" + describe() + ")", e);
        } finally {
            if (context != null) {
                try {
                    context.close();
                } catch (NamingException ignored) {
                    // nothing held open
                }
            }
        }
    }
}
