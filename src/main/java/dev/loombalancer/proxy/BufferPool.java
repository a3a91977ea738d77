package dev.loombalancer.proxy;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;

/**
 * Large copy buffers shared by all pipes, so that a connection holds one only while bytes
 * are actually flowing through it.
 *
 * <p>A fixed set of slots, each empty or holding one buffer; taking and giving back are a
 * compare-and-set on one slot, with no lock and no allocation. When every slot is empty a
 * new buffer is made, unless the pool is bounded and has made as many as it has slots;
 * then there is none. A buffer given back to a full pool is left to the garbage
 * collector, so the pool never holds more than its slots.
 *
 * @param <B> {@code byte[]} or {@code ByteBuffer}
 */
final class BufferPool<B> {

    private final AtomicReferenceArray<B> slots;
    private final int mask;
    private final Supplier<B> make;
    private final AtomicInteger unmade; // buffers a bounded pool may still make; negative: unbounded

    /**
     * @param slots   a power of two
     * @param bounded whether the pool makes at most {@code slots} buffers, all of them kept
     */
    BufferPool(int slots, Supplier<B> make, boolean bounded) {
        if (Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("slots must be a power of two, not " + slots);
        }
        this.slots = new AtomicReferenceArray<>(slots);
        this.mask = slots - 1;
        this.make = make;
        this.unmade = new AtomicInteger(bounded ? slots : -1);
    }

    /** A pooled or new buffer; null only from a bounded pool whose buffers are all taken. */
    B take() {
        int start = start();
        for (int i = 0; i <= mask; i++) {
            int slot = (start + i) & mask;
            B buffer = slots.get(slot);
            if (buffer != null && slots.compareAndSet(slot, buffer, null)) {
                return buffer;
            }
        }
        return unmade.getAndUpdate(n -> n > 0 ? n - 1 : n) != 0 ? make.get() : null;
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
