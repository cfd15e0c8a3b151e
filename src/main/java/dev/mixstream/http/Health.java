package dev.mixstream.http;

import org.apache.kafka.streams.KafkaStreams;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The answers of {@code /health/live} and {@code /health/ready}, from the Kafka Streams state:
 * <ul>
 *   <li>live unless Kafka Streams is dead or dying of an error (ERROR, PENDING_ERROR, NOT_RUNNING): a
 *       rebalancing, restoring or cleanly shutting-down instance is alive;</li>
 *   <li>ready only when RUNNING with no active state being restored.</li>
 * </ul>
 *
 * @param live   whether the process is alive (200) or should be restarted (503)
 * @param ready  whether it serves its models (200) or should get no traffic now (503)
 * @param state  the Kafka Streams state, or {@code STARTING} before Kafka Streams exists
 * @param reason why it is not ready (or not live), or null
 */
public record Health(boolean live, boolean ready, String state, String reason) {

    /** The health of an instance whose Kafka Streams is in {@code state} and restoring {@code restoring} partitions. */
    public static Health of(KafkaStreams.State state, int restoring) {
        if (state == null) {
            return new Health(true, false, "STARTING", "starting");
        }
        return switch (state) {
            case RUNNING -> restoring > 0
                    ? new Health(true, false, state.name(), "restoring state of " + restoring + " partition"
                    + (restoring == 1 ? "" : "s"))
                    : new Health(true, true, state.name(), null);
            case CREATED -> new Health(true, false, state.name(), "starting");
            case REBALANCING -> new Health(true, false, state.name(), "rebalancing");
            case PENDING_SHUTDOWN -> new Health(true, false, state.name(), "shutting down");
            case PENDING_ERROR, ERROR -> new Health(false, false, state.name(),
                    "Kafka Streams failed (see the log)");
            case NOT_RUNNING -> new Health(false, false, state.name(), "Kafka Streams stopped");
        };
    }

    /** The JSON answer of a probe: {@code {"status": "UP"|"DOWN", "state": …, "reason": …}}. */
    public Map<String, Object> body(boolean up) {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("status", up ? "UP" : "DOWN");
        b.put("state", state);
        if (!up && reason != null) {
            b.put("reason", reason);
        }
        return b;
    }
}
