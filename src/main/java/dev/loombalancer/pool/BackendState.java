package dev.loombalancer.pool;

/**
 * What an operator sees of a backend: its health, unless an operator drained it. The
 * name is what {@code /status} and the {@code loom_backends} metric show.
 */
public enum BackendState { UP, DOWN, DRAINING }
