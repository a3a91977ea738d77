package dev.loombalancer.pool;

/**
 * Told when a backend's state or load changes, for selection policies that keep their own
 * index of the pool (least-connections keeps its backends sorted by load).
 *
 * <p>Calls come from whichever thread made the change, possibly several at once and not
 * necessarily in order, so a listener should read the backend's current state from the
 * pool rather than trust the order of calls.
 */
public interface PoolListener {

    /** The backend went UP or DOWN. */
    default void stateChanged(Backend backend) {
    }

    /** The backend's count of active connections changed. */
    default void loadChanged(Backend backend) {
    }
}
