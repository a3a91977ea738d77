package dev.loombalancer.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loombalancer.admission.ClientAdmission.Refusal;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ClientAdmissionTest {

    private static InetAddress ip(String text) throws Exception {
        return InetAddress.getByName(text);
    }

    /** Open rules admit every client and keep no per-client count. */
    @Test
    void openRulesAdmitEveryoneAndTrackNothing() throws Exception {
        ClientAdmission admission = new ClientAdmission(AdmissionRules.OPEN);
        for (int i = 0; i < 100; i++) {
            assertEquals(Optional.empty(), admission.admit(ip("198.51.100.7")));
        }
        assertEquals(0, admission.clientsTracked());
    }

    /** Only clients inside an allowed network get in, IPv4 and IPv6 alike; refusals are counted by reason. */
    @Test
    void onlyAllowedNetworksGetIn() throws Exception {
        ClientAdmission admission = new ClientAdmission(
                new AdmissionRules(List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("2001:db8::/32")), 0));
        assertEquals(Optional.empty(), admission.admit(ip("10.1.2.3")));
        assertEquals(Optional.empty(), admission.admit(ip("2001:db8::5")));
        assertEquals(Optional.of(Refusal.NOT_ALLOWED), admission.admit(ip("192.168.0.1")));
        assertEquals(Optional.of(Refusal.NOT_ALLOWED), admission.admit(ip("::1")));
        assertEquals(2, admission.refused(Refusal.NOT_ALLOWED));
        assertEquals(0, admission.refused(Refusal.PER_CLIENT_LIMIT));
    }

    /** N at once per address, a slot freed by a release, other addresses unaffected, nothing left behind. */
    @Test
    void perClientLimit() throws Exception {
        ClientAdmission admission = new ClientAdmission(new AdmissionRules(List.of(), 2));
        InetAddress a = ip("127.0.0.2");
        InetAddress b = ip("127.0.0.3");
        assertEquals(Optional.empty(), admission.admit(a));
        assertEquals(Optional.empty(), admission.admit(a));
        assertEquals(Optional.of(Refusal.PER_CLIENT_LIMIT), admission.admit(a));
        assertEquals(Optional.empty(), admission.admit(b));
        admission.release(a);
        assertEquals(Optional.empty(), admission.admit(a));
        assertEquals(Optional.of(Refusal.PER_CLIENT_LIMIT), admission.admit(a));
        admission.release(a);
        admission.release(a);
        admission.release(b);
        assertEquals(0, admission.clientsTracked(), "addresses with no connection are forgotten");
        assertEquals(2, admission.refused(Refusal.PER_CLIENT_LIMIT));
    }

    /** Racing admits and releases on one address never let more than N in at once. */
    @Test
    void limitHoldsUnderContention() throws Exception {
        int limit = 3;
        ClientAdmission admission = new ClientAdmission(new AdmissionRules(List.of(), limit));
        InetAddress client = ip("127.0.0.9");
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> all = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                all.add(threads.submit(() -> {
                    for (int i = 0; i < 20_000; i++) {
                        if (admission.admit(client).isEmpty()) {
                            most.accumulateAndGet(inside.incrementAndGet(), Math::max);
                            inside.decrementAndGet();
                            admission.release(client);
                        }
                    }
                }));
            }
            for (Future<?> f : all) {
                f.get();
            }
        }
        assertTrue(most.get() <= limit, "at most " + limit + " inside, saw " + most.get());
        assertEquals(0, admission.clientsTracked());
    }
}
