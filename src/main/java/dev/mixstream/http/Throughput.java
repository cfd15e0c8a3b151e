package dev.mixstream.http;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Records processed per second, sampled once a second from a running total: the rate over the last
 * {@value #RATE_SECONDS} seconds and a history of the last {@value #HISTORY} samples (the dashboard's throughput).
 */
final class Throughput {
    static final int HISTORY = 300;
    static final int RATE_SECONDS = 5;
    private final LongSupplier total;
    private final long[] at = new long[HISTORY];
    private final long[] count = new long[HISTORY];
    private int samples;

    Throughput(LongSupplier total) {
        this.total = total;
    }

    /** Takes a sample (once a second, from one thread). */
    synchronized void sample(long nowMs) {
        int slot = samples % HISTORY;
        at[slot] = nowMs;
        count[slot] = total.getAsLong();
        samples++;
    }

    /** Records per second over the last {@value #RATE_SECONDS} seconds (0 before two samples). */
    synchronized double rate() {
        if (samples < 2) {
            return 0;
        }
        int last = (samples - 1) % HISTORY;
        int back = Math.min(RATE_SECONDS, samples - 1);
        int first = (samples - 1 - back) % HISTORY;
        return perSecond(first, last);
    }

    /** [epoch ms, records per second since the previous sample] for the samples held, oldest first. */
    synchronized List<double[]> history() {
        int n = Math.min(samples, HISTORY);
        List<double[]> h = new ArrayList<>(Math.max(0, n - 1));
        for (int i = samples - n + 1; i < samples; i++) {
            int cur = i % HISTORY;
            h.add(new double[]{at[cur], perSecond((i - 1) % HISTORY, cur)});
        }
        return h;
    }

    private double perSecond(int from, int to) {
        long ms = at[to] - at[from];
        return ms <= 0 ? 0 : (count[to] - count[from]) * 1000.0 / ms; // Δcount / Δt
    }
}
