package dev.loombalancer.cli;

import dev.loombalancer.server.Balancer;
import dev.loombalancer.server.BalancerConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The services this process runs now, by name, in the order they were started: what the
 * admin endpoint shows, what a stop drains, and what a reload changes.
 */
final class RunningServices {

    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, Balancer> byName = new LinkedHashMap<>();
    private final Map<String, BalancerConfig> configs = new LinkedHashMap<>();

    void add(Balancer balancer, BalancerConfig config) {
        lock.lock();
        try {
            byName.put(config.name(), balancer);
            configs.put(config.name(), config);
        } finally {
            lock.unlock();
        }
    }

    /** Takes a service out (a reload removed it); returns it, for its drain. */
    Balancer remove(String name) {
        lock.lock();
        try {
            configs.remove(name);
            return byName.remove(name);
        } finally {
            lock.unlock();
        }
    }

    void replaceConfig(BalancerConfig config) {
        lock.lock();
        try {
            configs.put(config.name(), config);
        } finally {
            lock.unlock();
        }
    }

    Map<String, BalancerConfig> configs() {
        lock.lock();
        try {
            return new LinkedHashMap<>(configs);
        } finally {
            lock.unlock();
        }
    }

    Balancer get(String name) {
        lock.lock();
        try {
            return byName.get(name);
        } finally {
            lock.unlock();
        }
    }

    /** The services and, after each, its SNI routes' pools: what the admin endpoint shows. */
    List<Balancer> views() {
        List<Balancer> views = new ArrayList<>();
        for (Balancer service : all()) {
            views.add(service);
            views.addAll(service.routes());
        }
        return views;
    }

    List<Balancer> all() {
        lock.lock();
        try {
            return new ArrayList<>(byName.values());
        } finally {
            lock.unlock();
        }
    }
}
