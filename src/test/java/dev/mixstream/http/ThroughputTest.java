package dev.mixstream.http;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class ThroughputTest {
    @Test
    void theRateIsTheCountsChangeOverTheLastSecondsAndTheHistoryIsPerSample() {
        AtomicLong total = new AtomicLong();
        Throughput t = new Throughput(total::get);
        assertEquals(0, t.rate());
        long t0 = 1_000_000;
        for (int s = 0; s <= 10; s++) {
            total.set(s <= 5 ? 100L * s : 500 + 1000L * (s - 5)); // 100/s, then 1000/s
            t.sample(t0 + 1000L * s);
        }
        assertEquals(1000, t.rate(), 1e-9, "over the last 5 s");
        List<double[]> h = t.history();
        assertEquals(10, h.size());
        assertArrayEquals(new double[]{t0 + 1000, 100}, h.get(0), 1e-9);
        assertArrayEquals(new double[]{t0 + 10_000, 1000}, h.get(9), 1e-9);
        for (int s = 11; s < 11 + Throughput.HISTORY; s++) {
            t.sample(t0 + 1000L * s);
        }
        assertEquals(Throughput.HISTORY - 1, t.history().size(), "bounded");
        assertEquals(0, t.rate(), "no new records");
    }
}
