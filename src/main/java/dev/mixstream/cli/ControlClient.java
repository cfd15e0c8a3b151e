package dev.mixstream.cli;

import dev.mixstream.streams.MixstreamSettings;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What the {@code model} commands do with Kafka: send a command to the control topic and wait for the
 * application's answer on the snapshots topic (the loaded model's snapshot, or a tombstone), and read the snapshots
 * topic's latest record per key (committed records only).
 */
final class ControlClient implements AutoCloseable {
    private static final Duration CONNECT = Duration.ofSeconds(15);
    private final MixstreamSettings settings;
    private final KafkaConsumer<byte[], byte[]> consumer;

    /** A snapshots-topic record: the model's latest snapshot JSON, or null for a tombstone. */
    record Answer(byte[] snapshot, int partition, long offset) {
    }

    ControlClient(MixstreamSettings settings) {
        this.settings = settings;
        Properties p = new Properties();
        p.putAll(passThrough(settings));
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) CONNECT.toMillis());
        this.consumer = new KafkaConsumer<>(p);
    }

    /** The client properties of the settings (security and so on), without Streams' own. */
    private static Map<String, Object> passThrough(MixstreamSettings s) {
        Map<String, Object> p = new HashMap<>();
        for (Map.Entry<String, String> e : s.kafka().entrySet()) {
            String k = e.getKey();
            if (k.equals("bootstrap.servers") || k.startsWith("security.") || k.startsWith("sasl.")
                    || k.startsWith("ssl.") || k.equals("client.dns.lookup")) {
                p.put(k, e.getValue());
            }
        }
        return p;
    }

    private List<TopicPartition> snapshotPartitions() {
        List<PartitionInfo> infos;
        try {
            infos = consumer.partitionsFor(settings.snapshotsTopic(), CONNECT);
        } catch (KafkaException e) {
            throw new CliException("cannot reach Kafka at " + settings.bootstrapServers() + " ("
                    + e.getClass().getSimpleName() + "): check --bootstrap-servers");
        }
        if (infos == null || infos.isEmpty()) {
            throw new CliException("topic " + settings.snapshotsTopic() + " does not exist on "
                    + settings.bootstrapServers() + ": has mixstream run with this configuration (--config)?");
        }
        List<TopicPartition> tps = new ArrayList<>();
        for (PartitionInfo i : infos) {
            tps.add(new TopicPartition(i.topic(), i.partition()));
        }
        return tps;
    }

    /**
     * Sends {@code command} for {@code key} to the control topic, then waits up to {@code wait} for the next
     * snapshots-topic record of the key (null wait: does not wait, returns null).
     *
     * @throws CliException when Kafka cannot be reached, or no answer comes in time
     */
    Answer send(String key, byte[] command, Duration wait) throws InterruptedException {
        List<TopicPartition> tps = wait == null ? List.of() : snapshotPartitions();
        Map<TopicPartition, Long> from = new HashMap<>();
        if (wait != null) {
            consumer.assign(tps);
            consumer.seekToEnd(tps);
            for (TopicPartition tp : tps) {
                from.put(tp, consumer.position(tp));
            }
        }
        Properties p = new Properties();
        p.putAll(passThrough(settings));
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) CONNECT.toMillis());
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Math.max(1 << 20, command.length + 1024));
        RecordMetadata sent;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            sent = producer.send(new ProducerRecord<>(settings.controlTopic(), key.getBytes(StandardCharsets.UTF_8),
                    command)).get(CONNECT.toSeconds() * 2, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException | KafkaException e) {
            Throwable c = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            throw new CliException("cannot send to " + settings.controlTopic() + " on " + settings.bootstrapServers()
                    + ": " + c.getMessage());
        }
        if (wait == null) {
            return null;
        }
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        long deadline = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                if (java.util.Arrays.equals(k, r.key())) {
                    return new Answer(r.value(), r.partition(), r.offset());
                }
            }
        }
        throw new CliException("sent the command to " + settings.controlTopic() + " (partition " + sent.partition()
                + ", offset " + sent.offset() + "), but no answer for '" + key + "' on " + settings.snapshotsTopic()
                + " within " + wait.toSeconds() + " s: is mixstream running with this configuration? (--no-wait "
                + "sends without waiting)");
    }

    /** Every key's latest record on the snapshots topic (null values: tombstones), in key order. */
    TreeMap<String, byte[]> latest() {
        List<TopicPartition> tps = snapshotPartitions();
        consumer.assign(tps);
        consumer.seekToBeginning(tps);
        Map<TopicPartition, Long> end = consumer.endOffsets(tps);
        TreeMap<String, byte[]> latest = new TreeMap<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            boolean done = true;
            for (TopicPartition tp : tps) {
                done &= consumer.position(tp) >= end.get(tp);
            }
            if (done) {
                return latest;
            }
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                if (r.key() != null) {
                    latest.put(new String(r.key(), StandardCharsets.UTF_8), r.value());
                }
            }
        }
        throw new CliException("reading " + settings.snapshotsTopic() + " took over 120 s");
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(2));
    }
}
