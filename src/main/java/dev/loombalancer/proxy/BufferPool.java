package dev.loombalancer.proxy;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Large copy buffers shared by all pipes, so that a connection holds one only while bytes
 * are actually flowing through it.
 *
 * <p>A fixed set of slots, each empty or holding one buffer; taking and giving back are a
 * compare-and-set on one slot, with no lock and no allocation. The pool never holds more
 * than its slots: a buffer given back to a full pool is left to the garbage collector.
 *
 * @param <B> {@code byte[]} or {@code ByteBuffer}
 */
final class BufferPool<B> {

    private final AtomicReferenceArray<B> slots;
    private final int mask;

    /** @param slots a power of two */
    BufferPool(int slots) {
        if (Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("slots must be a power of two, not " + slots);
        }
        this.slots = new AtomicReferenceArray<>(slots);
        this.mask = slots - 1;
    }

    /** A pooled buffer, or null if every slot is empty. */
    B take() {
        int start = start();
        for (int i = 0; i <= mask; i++) {
            int slot = (start + i) & mask;
            B buffer = slots.get(slot);
            if (buffer != null && slots.compareAndSet(slot, buffer, null)) {
                return buffer;
            }
        }
        return null;
    }

    /** Returns a buffer; its contents are not cleared (nobody reads them). */
    void give(B buffer) {
        int start = start();
        for (int i = 0; i <= mask; i++) {
            int slot = (start + i) & mask;
            if (slots.get(slot) == null && slots.compareAndSet(slot, null, buffer)) {
                return;
            }
        }
    }

    // Threads start their search at different slots, so they rarely contend for one.
    private int start() {
        return (int) Thread.currentThread().threadId();
    }
}
