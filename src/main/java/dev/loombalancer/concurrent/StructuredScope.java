package dev.loombalancer.concurrent;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A small structured-concurrency scope. The owner forks subtasks, each on its own new
 * thread, then joins them; the first subtask to fail shuts the scope down; and once
 * {@link #close()} returns, no thread forked in the scope is still running.
 *
 * <p>That is the contract of JDK 21's preview {@code StructuredTaskScope.ShutdownOnFailure},
 * which JDK 25's preview replaced: there it is {@code StructuredTaskScope.open()}, whose
 * default joiner ({@code Joiner.awaitAllSuccessfulOrThrow()}) cancels the scope when a
 * subtask fails. Mapped onto that API, {@link #shutdown()} is cancelling the scope,
 * {@link #failure()} is the cause of the {@code FailedException} its {@code join} throws,
 * and {@code onShutdown} has no counterpart: the JDK's scope only interrupts. A preview
 * API cannot be used on a release-21 build, hence this class.
 *
 * <p>Shutting down interrupts the subtasks that are still running and runs the scope's
 * {@code onShutdown} action once. For a proxied connection that action closes both
 * sockets, which also wakes the owner when the owner itself is blocked in a socket call
 * (the scope never interrupts its owner), so an error in one direction promptly ends the
 * other.
 *
 * <p>Only the owner (the thread that created the scope) may fork, join and close.
 */
public final class StructuredScope implements AutoCloseable {

    private final ThreadFactory threads;
    private final Runnable onShutdown;
    private final Thread owner = Thread.currentThread();
    // Written by the owner, read by any subtask that shuts the scope down.
    private final List<Thread> forked = new CopyOnWriteArrayList<>();
    private final AtomicReference<Throwable> firstFailure = new AtomicReference<>();
    private final AtomicBoolean shutdown = new AtomicBoolean();
    private boolean closed;

    /**
     * @param threads    makes one new thread per subtask (a virtual-thread factory)
     * @param onShutdown run once when the scope shuts down, from whichever thread does it
     */
    public StructuredScope(ThreadFactory threads, Runnable onShutdown) {
        this.threads = threads;
        this.onShutdown = onShutdown;
    }

    /** Blocking work forked into the scope; what it throws is the scope's failure. */
    @FunctionalInterface
    public interface Task {
        void run() throws Exception;
    }

    /** Starts {@code task} on a new thread. After a shutdown the task is not started at all. */
    public void fork(Task task) {
        ensureOwner();
        if (closed) {
            throw new IllegalStateException("scope is closed");
        }
        if (shutdown.get()) {
            return;
        }
        Thread thread = threads.newThread(() -> {
            try {
                task.run();
            } catch (Throwable e) {
                failed(e);
            }
        });
        forked.add(thread);
        thread.start();
    }

    /** Waits until every forked subtask has finished, normally or not. */
    public StructuredScope join() throws InterruptedException {
        ensureOwner();
        for (Thread thread : forked) {
            thread.join();
        }
        return this;
    }

    /**
     * Waits until every forked subtask has finished or the {@link System#nanoTime()}
     * deadline has passed, whichever comes first.
     *
     * @return true if all subtasks have finished
     */
    public boolean joinUntil(long deadlineNanos) throws InterruptedException {
        ensureOwner();
        for (Thread thread : forked) {
            long remaining = deadlineNanos - System.nanoTime();
            if (thread.isAlive() && (remaining <= 0 || !thread.join(Duration.ofNanos(remaining)))) {
                return false;
            }
        }
        return true;
    }

    /** The first exception a subtask threw, or null when none failed. */
    public Throwable failure() {
        return firstFailure.get();
    }

    /** Interrupts unfinished subtasks and runs the shutdown action; later calls do nothing. */
    public void shutdown() {
        if (!shutdown.compareAndSet(false, true)) {
            return;
        }
        try {
            onShutdown.run();
        } finally {
            Thread self = Thread.currentThread();
            for (Thread thread : forked) {
                if (thread != self) {
                    thread.interrupt();
                }
            }
        }
    }

    /**
     * Shuts the scope down and waits for every subtask to finish, even if this thread is
     * interrupted meanwhile: a scope never returns while one of its threads still runs.
     */
    @Override
    public void close() {
        ensureOwner();
        if (closed) {
            return;
        }
        closed = true;
        shutdown();
        forked.forEach(Uninterruptibly::join);
    }

    private void failed(Throwable failure) {
        if (firstFailure.compareAndSet(null, failure)) {
            shutdown();
        }
    }

    private void ensureOwner() {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("only the thread that opened the scope may use it");
        }
    }
}
