package dev.mixstream.streams;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test helper: produces slices of a {@link KeyedPointStream} to the points topic from a background thread,
 * at a given rate, in order (one idempotent producer, acks=all, one request in flight, so per-key order
 * holds and broker restarts cause neither loss nor duplicates of input). Slices run one after the other.
 */
final class PacedProducer implements AutoCloseable {
    private final KafkaProducer<String, byte[]> producer;
    private final String topic;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "paced-producer");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger sent = new AtomicInteger();
    private final Map<String, Long> sentAt = new ConcurrentHashMap<>();

    PacedProducer(String bootstrap, String topic) {
        this(bootstrap, topic, null);
    }

    /** With a partitioner class of its own (null: Kafka's default, murmur2 of the key). */
    PacedProducer(String bootstrap, String topic, Class<?> partitioner) {
        this.topic = topic;
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        // one request in flight: a batch retried after a transient error (e.g. a partition not led yet just
        // after topic creation) can never be overtaken by the next one
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        if (partitioner != null) {
            p.put(ProducerConfig.PARTITIONER_CLASS_CONFIG, partitioner.getName());
        }
        producer = new KafkaProducer<>(p);
    }

    /**
     * Sends {@code records} at about {@code perSecond} records a second (0 = as fast as possible), then
     * flushes; the future completes when all are acknowledged (exceptionally if one failed).
     */
    CompletableFuture<Void> produce(List<KeyedPointStream.Input> records, int perSecond) {
        return CompletableFuture.runAsync(() -> {
            long start = System.nanoTime();
            CompletableFuture<?>[] acks = new CompletableFuture<?>[records.size()];
            for (int i = 0; i < records.size(); i++) {
                KeyedPointStream.Input in = records.get(i);
                CompletableFuture<Void> ack = new CompletableFuture<>();
                acks[i] = ack;
                sentAt.put(in.id(), System.nanoTime());
                producer.send(new ProducerRecord<>(topic, in.key(), in.value()), (md, e) -> {
                    if (e != null) {
                        ack.completeExceptionally(e);
                    } else {
                        ack.complete(null);
                    }
                });
                sent.incrementAndGet();
                if (perSecond > 0) {
                    long due = start + (long) ((i + 1) * 1e9 / perSecond);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        sleepNanos(wait);
                    }
                }
            }
            producer.flush();
            CompletableFuture.allOf(acks).join();
        }, thread);
    }

    /** When each input (by id) was handed to the producer, in {@link System#nanoTime()}. */
    Map<String, Long> sentAt() {
        return sentAt;
    }

    /** Records handed to the producer so far. */
    int sent() {
        return sent.get();
    }

    @Override
    public void close() {
        thread.shutdownNow();
        producer.close();
    }

    private static void sleepNanos(long nanos) {
        try {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
