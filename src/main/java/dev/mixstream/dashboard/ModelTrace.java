package dev.mixstream.dashboard;

import dev.mixstream.gmm.PointScore;

import java.util.Arrays;

/**
 * What one model did lately, for the dashboard: its last {@code capacity} scored points (x, most likely component,
 * log-likelihood, anomaly flag, time) in a ring, and per-second totals of its points, log-likelihoods and anomalies
 * over the last {@value #SERIES_SECONDS} seconds. Written by the stream thread that owns the model, read by HTTP
 * threads through {@link #copy}; the arrays are allocated once and reused when the trace is handed to another model
 * ({@link #reset}).
 */
final class ModelTrace {
    /** Seconds of per-second totals kept. */
    static final int SERIES_SECONDS = 600;
    private final int capacity;
    private int dimension = -1;
    private double[] coordinates = new double[0];
    private final int[] component;
    private final double[] logLikelihood;
    private final boolean[] anomaly;
    private final long[] time;
    /** Points recorded since the last reset (the ring holds the last min(count, capacity)). */
    private long count;
    // per-second totals, a ring indexed by (second mod SERIES_SECONDS)
    private final long[] second = new long[SERIES_SECONDS];
    private final int[] secondPoints = new int[SERIES_SECONDS];
    private final double[] secondLogLikelihood = new double[SERIES_SECONDS];
    private final int[] secondAnomalies = new int[SERIES_SECONDS];
    /**
     * The first second whose totals belong to this trace's current model: older entries of the ring are a previous
     * model's (a reset does not clear the ring, which costs 600 stores and happens for every newcomer once more
     * models are updated than {@code maxModels}). {@link #NOT_STARTED} after a reset, until the next point.
     */
    private long firstSecond = Long.MIN_VALUE;
    private static final long NOT_STARTED = Long.MAX_VALUE;

    /** A consistent copy: points oldest first, and the per-second totals oldest first. */
    record Copy(int dimension, double[][] points, int[] component, double[] logLikelihood, boolean[] anomaly,
                long[] time, long recorded, long[] second, int[] secondPoints, double[] secondLogLikelihood,
                int[] secondAnomalies) {
    }

    ModelTrace(int capacity) {
        this.capacity = capacity;
        component = new int[capacity];
        logLikelihood = new double[capacity];
        anomaly = new boolean[capacity];
        time = new long[capacity];
        Arrays.fill(second, Long.MIN_VALUE);
    }

    /** Forgets everything (the trace now follows another model, or the model was reset). */
    synchronized void reset() {
        count = 0;
        firstSecond = NOT_STARTED;
    }

    /** Records a scored point at wall-clock time {@code nowMs}. */
    synchronized void add(PointScore s, long nowMs) {
        double[] x = s.point();
        if (x.length != dimension) { // first point, or a model of another dimension
            dimension = x.length;
            if (coordinates.length != capacity * dimension) {
                coordinates = new double[capacity * dimension];
            }
            count = 0;
        }
        int slot = (int) (count % capacity);
        System.arraycopy(x, 0, coordinates, slot * dimension, dimension);
        component[slot] = s.componentIdOfAssignment();
        logLikelihood[slot] = s.logLikelihood();
        anomaly[slot] = s.anomaly();
        time[slot] = nowMs;
        count++;
        long sec = Math.floorDiv(nowMs, 1000L);
        int b = (int) Math.floorMod(sec, (long) SERIES_SECONDS);
        if (firstSecond == NOT_STARTED) { // the first point since a reset: this second may hold the previous model's
            firstSecond = sec;
            second[b] = Long.MIN_VALUE;
        }
        if (second[b] != sec) {
            second[b] = sec;
            secondPoints[b] = 0;
            secondLogLikelihood[b] = 0;
            secondAnomalies[b] = 0;
        }
        secondPoints[b]++;
        secondLogLikelihood[b] += s.logLikelihood();
        if (s.anomaly()) {
            secondAnomalies[b]++;
        }
    }

    /** A copy of the points and of the totals of the seconds in (nowMs − {@value #SERIES_SECONDS} s, nowMs]. */
    synchronized Copy copy(long nowMs) {
        int n = (int) Math.min(count, capacity);
        double[][] points = new double[n][];
        int[] comp = new int[n];
        double[] ll = new double[n];
        boolean[] flagged = new boolean[n];
        long[] t = new long[n];
        long first = count - n;
        for (int i = 0; i < n; i++) {
            int slot = (int) ((first + i) % capacity);
            points[i] = Arrays.copyOfRange(coordinates, slot * dimension, (slot + 1) * dimension);
            comp[i] = component[slot];
            ll[i] = logLikelihood[slot];
            flagged[i] = anomaly[slot];
            t[i] = time[slot];
        }
        long now = Math.floorDiv(nowMs, 1000L);
        int m = 0;
        long[] sec = new long[SERIES_SECONDS];
        int[] pts = new int[SERIES_SECONDS];
        double[] sumLl = new double[SERIES_SECONDS];
        int[] anomalies = new int[SERIES_SECONDS];
        for (long s = now - SERIES_SECONDS + 1; s <= now; s++) {
            int b = (int) Math.floorMod(s, (long) SERIES_SECONDS);
            if (second[b] == s && s >= firstSecond && secondPoints[b] > 0) {
                sec[m] = s;
                pts[m] = secondPoints[b];
                sumLl[m] = secondLogLikelihood[b];
                anomalies[m] = secondAnomalies[b];
                m++;
            }
        }
        return new Copy(dimension, points, comp, ll, flagged, t, count, Arrays.copyOf(sec, m), Arrays.copyOf(pts, m),
                Arrays.copyOf(sumLl, m), Arrays.copyOf(anomalies, m));
    }
}
