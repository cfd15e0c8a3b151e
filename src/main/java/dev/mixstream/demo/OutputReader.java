package dev.mixstream.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixstream.snapshot.MixtureSnapshot;
import dev.mixstream.snapshot.SnapshotJson;
import dev.mixstream.streams.DeadLetters;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What the demo's consumer sees on the output topics ({@code read_committed}), read on its own thread: the
 * answers and the anomalies among them counted (the injected outliers' apart), the dead letters counted by
 * reason, and the latest snapshot of each model.
 */
public final class OutputReader implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final KafkaConsumer<String, byte[]> consumer;
    private final String responsibilitiesTopic;
    private final String dlqTopic;
    private final AtomicLong answers = new AtomicLong();
    private final AtomicLong deadLetters = new AtomicLong();
    private final AtomicLong anomalies = new AtomicLong();
    private final AtomicLong outliersFlagged = new AtomicLong();
    private final AtomicLong outliersAnswered = new AtomicLong();
    private final List<String> flaggedOutliers = new CopyOnWriteArrayList<>();
    private final Map<String, Long> reasons = new ConcurrentHashMap<>();
    private final Map<String, MixtureSnapshot> latest = new ConcurrentHashMap<>();
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private final Thread thread;

    /** Starts reading the three output topics with {@code consumer} (closed by {@link #close}). */
    public OutputReader(KafkaConsumer<String, byte[]> consumer, String responsibilitiesTopic, String snapshotsTopic,
                        String dlqTopic) {
        this.consumer = consumer;
        this.responsibilitiesTopic = responsibilitiesTopic;
        this.dlqTopic = dlqTopic;
        this.thread = new Thread(() -> read(List.of(responsibilitiesTopic, snapshotsTopic, dlqTopic)),
                "mixstream-demo-reader");
        thread.start();
    }

    private void read(List<String> topics) {
        try {
            consumer.subscribe(topics);
            while (!Thread.currentThread().isInterrupted()) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    take(r);
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (Exception e) {
            failure.set(e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void take(ConsumerRecord<String, byte[]> r) throws IOException {
        if (r.topic().equals(responsibilitiesTopic)) {
            answers.incrementAndGet();
            takeAnswer(r.value());
        } else if (r.topic().equals(dlqTopic)) {
            deadLetters.incrementAndGet();
            Header h = r.headers().lastHeader(DeadLetters.REASON);
            reasons.merge(h == null ? "?" : new String(h.value(), StandardCharsets.UTF_8), 1L, Long::sum);
        } else {
            MixtureSnapshot s = SnapshotJson.fromBytes(r.value());
            latest.merge(s.model(), s, (a, b) -> b.pointsSeen() >= a.pointsSeen() ? b : a);
        }
    }

    /** Counts the flagged answers; keeps the first two answers to injected outliers that were flagged. */
    private void takeAnswer(byte[] value) throws IOException {
        JsonNode n = JSON.readTree(value);
        boolean anomaly = n.path("anomaly").asBoolean();
        if (anomaly) {
            anomalies.incrementAndGet();
        }
        if (n.path("id").asText("").startsWith(DemoWorkload.OUTLIER_ID)) {
            outliersAnswered.incrementAndGet();
            if (anomaly) {
                outliersFlagged.incrementAndGet();
                if (flaggedOutliers.size() < 2) {
                    flaggedOutliers.add(new String(value, StandardCharsets.UTF_8));
                }
            }
        }
    }

    /** Answers flagged as anomalies. */
    public long anomalies() {
        return anomalies.get();
    }

    /** Answers to the injected outliers. */
    public long outliersAnswered() {
        return outliersAnswered.get();
    }

    /** Answers to the injected outliers that were flagged. */
    public long outliersFlagged() {
        return outliersFlagged.get();
    }

    /** The first (up to two) flagged answers to injected outliers, as JSON text. */
    public List<String> flaggedOutlierExamples() {
        return List.copyOf(flaggedOutliers);
    }

    /** Answers (responsibilities records) seen. */
    public long answers() {
        return answers.get();
    }

    /** Dead letters seen. */
    public long deadLetters() {
        return deadLetters.get();
    }

    /** Dead letters by reason. */
    public Map<String, Long> reasons() {
        return reasons;
    }

    /** The latest snapshot of each model. */
    public Map<String, MixtureSnapshot> latest() {
        return latest;
    }

    /** Why reading stopped, or null. */
    public Exception failure() {
        return failure.get();
    }

    @Override
    public void close() throws InterruptedException {
        consumer.wakeup();
        thread.join(10_000);
    }
}
