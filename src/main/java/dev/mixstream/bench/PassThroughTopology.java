package dev.mixstream.bench;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/**
 * The benchmark's baseline: a Kafka Streams application that reads every record of the input topic and
 * writes its key and value unchanged to the output topic. The estimator's throughput is judged against
 * it (same broker, same records, same processing guarantee).
 */
public final class PassThroughTopology {
    private PassThroughTopology() {
    }

    /** input → output, bytes unchanged (pure: no I/O). */
    public static Topology build(String inputTopic, String outputTopic) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(inputTopic, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .to(outputTopic, Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
        return builder.build();
    }
}
