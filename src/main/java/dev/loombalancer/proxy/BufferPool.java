package dev.loombalancer.proxy;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Large copy buffers shared by all pipes, so that a connection holds one only while bytes
 * are actually flowing through it.
 *
 * <p>A fixed set of slots, each empty or holding one buffer; taking and giving back are a
 * compare-and-set on one slot, with no lock and no allocation. When every slot is empty a
 * new buffer is made, and when every slot is full a returned buffer is left to the garbage
 * collector, so the pool never holds more than {@code slots × bufferSize} bytes.
 */
final class BufferPool {

    private final AtomicReferenceArray<byte[]> slots;
    private final int mask;
    private final int bufferSize;

    /** @param slots a power of two */
    BufferPool(int slots, int bufferSize) {
        if (Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("slots must be a power of two, not " + slots);
        }
        this.slots = new AtomicReferenceArray<>(slots);
        this.mask = slots - 1;
        this.bufferSize = bufferSize;
    }

    /** A buffer of {@code bufferSize} bytes, pooled if one is free. */
    byte[] take() {
        int start = start();
        for (int i = 0; i <= mask; i++) {
            int slot = (start + i) & mask;
            byte[] buffer = slots.get(slot);
            if (buffer != null && slots.compareAndSet(slot, buffer, null)) {
                return buffer;
            }
        }
        return new byte[bufferSize];
    }

    /** Returns a buffer from {@link #take()}; its contents are not cleared (nobody reads them). */
    void give(byte[] buffer) {
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
