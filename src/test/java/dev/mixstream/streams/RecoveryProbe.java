package dev.mixstream.streams;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Test helper: how long an interruption (a SIGKILL, a rebalance) kept keys from being answered, from the send
 * times of a {@link PacedProducer} and the read times of an {@link OutputCollector} (read_committed, so an
 * answer counts when a consumer of the output can see it).
 */
final class RecoveryProbe {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** An answer this much later than its point was sent was held up by the interruption. */
    static final long DELAYED_NANOS = 1_000_000_000L;

    /** Per key: seconds from the event to the first answer to a point sent after it. */
    record Recovery(Map<String, Double> firstAnswerSeconds, double backlogClearedSeconds, double maxLatencySeconds) {
        double worstFirstAnswer() {
            return firstAnswerSeconds.values().stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "first answer after the kill per key (s) %s; worst %.2f s; "
                            + "backlog cleared after %.2f s; max send-to-visible latency %.2f s",
                    firstAnswerSeconds, worstFirstAnswer(), backlogClearedSeconds, maxLatencySeconds);
        }
    }

    private RecoveryProbe() {
    }

    /**
     * Measures the recovery of {@code keys} from an event at {@code eventNanos}: for each key the time until the
     * first answer to one of its points sent after the event; when the last answer delayed by more than
     * {@value #DELAYED_NANOS} ns arrived (the backlog cleared); and the largest send-to-visible latency of all.
     */
    static Recovery measure(long eventNanos, Set<String> keys, Map<String, Long> sentAt, OutputCollector out) {
        Map<String, Double> first = new TreeMap<>();
        long lastDelayed = eventNanos;
        long maxLatency = 0;
        List<ConsumerRecord<String, byte[]>> records = out.responsibilities();
        List<Long> arrivals = out.responsibilityArrivals();
        for (int i = 0; i < records.size(); i++) {
            String id = id(records.get(i));
            Long sent = sentAt.get(id);
            if (sent == null) {
                continue;
            }
            long arrived = arrivals.get(i);
            long latency = arrived - sent;
            maxLatency = Math.max(maxLatency, latency);
            if (latency > DELAYED_NANOS && arrived > lastDelayed) {
                lastDelayed = arrived;
            }
            String key = records.get(i).key();
            if (keys.contains(key) && sent > eventNanos && !first.containsKey(key)) {
                first.put(key, (arrived - eventNanos) / 1e9);
            }
        }
        return new Recovery(first, (lastDelayed - eventNanos) / 1e9, maxLatency / 1e9);
    }

    /** The largest send-to-visible latency of any answer, in seconds. */
    static double maxLatencySeconds(Map<String, Long> sentAt, OutputCollector out) {
        return measure(0, Set.of(), sentAt, out).maxLatencySeconds();
    }

    private static String id(ConsumerRecord<String, byte[]> r) {
        try {
            return JSON.readTree(r.value()).get("id").asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
