package dev.mixstream.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.List;
import java.util.Map;

/**
 * {@code GET /instance}: this instance's health and work, for the dashboard's overview and for operators.
 *
 * @param applicationId     the Kafka Streams application id
 * @param instance          this instance's {@code application.server}
 * @param state             Kafka Streams' state
 * @param ready             whether {@code /health/ready} answers 200
 * @param reason            why it is not ready, or null
 * @param recordsProcessed  records processed since the instance started
 * @param recordsPerSecond  over the last few seconds
 * @param throughput        [epoch ms, records per second] once a second, oldest first
 * @param deadLetters       dead letters since the start, by reason (every reason)
 * @param anomalies         points flagged since the start
 * @param modelsRunning     models held by this instance's active tasks, initialised
 * @param modelsWarmingUp   models held and still warming up
 * @param pointsLag         records on the points topic not yet read by this instance
 * @param instances         every instance of the application and its partitions
 */
@JsonPropertyOrder({"application_id", "instance", "state", "ready", "reason", "records_processed",
        "records_per_second", "throughput", "dead_letters", "anomalies", "models_running", "models_warming_up",
        "points_lag", "instances"})
@JsonInclude(JsonInclude.Include.ALWAYS)
public record InstanceStatus(@JsonProperty("application_id") String applicationId,
                             @JsonProperty("instance") String instance, @JsonProperty("state") String state,
                             @JsonProperty("ready") boolean ready, @JsonProperty("reason") String reason,
                             @JsonProperty("records_processed") long recordsProcessed,
                             @JsonProperty("records_per_second") double recordsPerSecond,
                             @JsonProperty("throughput") List<double[]> throughput,
                             @JsonProperty("dead_letters") Map<String, Long> deadLetters,
                             @JsonProperty("anomalies") long anomalies,
                             @JsonProperty("models_running") long modelsRunning,
                             @JsonProperty("models_warming_up") long modelsWarmingUp,
                             @JsonProperty("points_lag") double pointsLag,
                             @JsonProperty("instances") List<Member> instances) {

    /**
     * An instance of the application, as the group's metadata names it.
     *
     * @param instance the instance's {@code application.server}
     * @param active   the points partitions (model tasks) it runs
     * @param standby  those it keeps standby copies of
     */
    @JsonPropertyOrder({"instance", "active", "standby"})
    public record Member(@JsonProperty("instance") String instance, @JsonProperty("active") List<Integer> active,
                         @JsonProperty("standby") List<Integer> standby) {
    }
}
