package dev.mixstream.streams;

import org.apache.kafka.common.Metric;
import org.apache.kafka.streams.KafkaStreams;

import java.util.ArrayList;
import java.util.List;

/**
 * Points processed so far by a Kafka Streams instance: its stream threads' {@code process-total}, less the
 * records they read back from mixstream's internal rerouting topic (a rerouted point is processed twice, on
 * the partition it was produced to and on its model's; it counts once). Records read but not yet processed
 * make it at most one poll (1,000 records) low. The metric objects are looked up until every stream thread
 * has them and then read directly: building {@link KafkaStreams#metrics()}'s map costs noticeable CPU when
 * read often.
 */
public final class PointsProcessedMeter {
    private final KafkaStreams streams;
    private final int threads;
    private List<Metric> processTotals = List.of();
    private List<Metric> reroutedConsumed = List.of();

    /** @param threads the instance's stream threads ({@code num.stream.threads}) */
    public PointsProcessedMeter(KafkaStreams streams, int threads) {
        this.streams = streams;
        this.threads = threads;
    }

    /** Points processed so far. */
    public long read() {
        if (processTotals.size() < threads) {
            List<Metric> totals = new ArrayList<>();
            List<Metric> rerouted = new ArrayList<>();
            for (var e : streams.metrics().entrySet()) {
                String topic = e.getKey().tags().get("topic");
                if (e.getKey().name().equals("process-total") && e.getKey().group().equals("stream-thread-metrics")) {
                    totals.add(e.getValue());
                } else if (e.getKey().name().equals("records-consumed-total")
                        && e.getKey().group().equals("consumer-fetch-manager-metrics")
                        && topic != null && topic.endsWith(MixstreamTopology.REROUTED + "-repartition")) {
                    rerouted.add(e.getValue());
                }
            }
            processTotals = totals;
            reroutedConsumed = rerouted;
        }
        return (long) (sum(processTotals) - sum(reroutedConsumed));
    }

    private static double sum(List<Metric> metrics) {
        double total = 0;
        for (Metric m : metrics) {
            if (m.metricValue() instanceof Number v) {
                total += v.doubleValue();
            }
        }
        return total;
    }
}
