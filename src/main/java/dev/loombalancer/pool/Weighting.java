package dev.loombalancer.pool;

/**
 * A backend's share of new clients: its weight, relative to the others' (HAProxy's
 * {@code weight}, 1 to 256), and whether it is a backup, which gets clients only while
 * no other backend is UP (HAProxy's {@code backup}).
 */
public record Weighting(int weight, boolean backup) {

    public static final int MAX_WEIGHT = 256;
    public static final Weighting DEFAULT = new Weighting(1, false);

    public Weighting {
        if (weight < 1 || weight > MAX_WEIGHT) {
            throw new IllegalArgumentException("weight must be 1-" + MAX_WEIGHT + ", not " + weight);
        }
    }

    // Written out for the reason given in Backend: a record's own equals and hashCode
    // would be linked anew at every start (the start compares weightings with DEFAULT).

    @Override
    public boolean equals(Object other) {
        return other instanceof Weighting that && weight == that.weight && backup == that.backup;
    }

    @Override
    public int hashCode() {
        return 31 * weight + Boolean.hashCode(backup);
    }
}
