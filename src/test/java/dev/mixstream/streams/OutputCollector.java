package dev.mixstream.streams;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Test helper: reads the application's three output topics (responsibilities, snapshots, dead letters)
 * with a {@code read_committed} consumer from the beginning, keeping every record in arrival order. It
 * assigns partitions itself (no consumer group), so it needs the topics to exist; it rides out broker
 * restarts like any client. Polled from the test thread only.
 */
final class OutputCollector implements AutoCloseable {
    private final KafkaConsumer<String, byte[]> consumer;
    private final MixstreamSettings settings;
    private final List<ConsumerRecord<String, byte[]>> responsibilities = new ArrayList<>();
    private final List<ConsumerRecord<String, byte[]>> snapshots = new ArrayList<>();
    private final List<ConsumerRecord<String, byte[]>> deadLetters = new ArrayList<>();
    private final List<Long> responsibilityArrivals = new ArrayList<>();

    OutputCollector(String bootstrap, MixstreamSettings settings) {
        this.settings = settings;
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        consumer = new KafkaConsumer<>(p);
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(settings.responsibilitiesTopic(), settings.snapshotsTopic(), settings.dlqTopic())) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                throw new IllegalStateException("topic " + topic + " does not exist");
            }
            infos.forEach(i -> partitions.add(new TopicPartition(i.topic(), i.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    List<ConsumerRecord<String, byte[]>> responsibilities() {
        return responsibilities;
    }

    List<ConsumerRecord<String, byte[]>> snapshots() {
        return snapshots;
    }

    List<ConsumerRecord<String, byte[]>> deadLetters() {
        return deadLetters;
    }

    /** When each responsibilities record was read, in {@link System#nanoTime()} (same order). */
    List<Long> responsibilityArrivals() {
        return responsibilityArrivals;
    }

    /** One poll of up to {@code timeout}. */
    void poll(Duration timeout) {
        var records = consumer.poll(timeout);
        long now = System.nanoTime();
        for (ConsumerRecord<String, byte[]> r : records) {
            String t = r.topic();
            if (t.equals(settings.responsibilitiesTopic())) {
                responsibilities.add(r);
                responsibilityArrivals.add(now);
            } else if (t.equals(settings.snapshotsTopic())) {
                snapshots.add(r);
            } else {
                deadLetters.add(r);
            }
        }
    }

    /**
     * Polls until at least {@code count} committed responsibilities records arrived.
     *
     * @throws AssertionError after {@code timeout}, saying how many came
     */
    void awaitResponsibilities(int count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (responsibilities.size() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + responsibilities.size() + " of " + count
                        + " responsibilities records after " + timeout);
            }
            poll(Duration.ofMillis(100));
        }
    }

    /**
     * Polls until the consumer's position reached the end (the last stable offset) of every partition.
     * Once no transaction is open (the application stopped cleanly) this means every committed record
     * has been read, with no wait for stragglers.
     */
    void drainToEnd(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment(), timeout);
        while (true) {
            boolean done = true;
            for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
                if (consumer.position(e.getKey(), timeout) < e.getValue()) {
                    done = false;
                    break;
                }
            }
            if (done) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("outputs not read to their end offsets " + end + " after " + timeout);
            }
            poll(Duration.ofMillis(100));
        }
    }

    @Override
    public void close() {
        consumer.close();
    }
}
