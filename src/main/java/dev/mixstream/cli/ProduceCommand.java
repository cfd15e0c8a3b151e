package dev.mixstream.cli;

import dev.mixstream.io.CsvPoints;
import dev.mixstream.io.CsvRow;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code produce}: replays the points of a CSV file into a Kafka topic as JSON arrays, one record per
 * row, in file order, with the same CSV rules as {@code fit}.
 */
@Command(name = "produce", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false,
        descriptionHeading = "%n", optionListHeading = "%nOptions:%n",
        header = "Replay the points of a CSV file into the points topic as JSON arrays.",
        description = "Each valid row becomes one record whose value is the JSON array of its numbers "
                + "(for example [1.5,-0.2]) and whose key is the model id. Rows are sent in file order; the "
                + "producer is idempotent with acks=all, so a retry never duplicates or reorders a record.")
public final class ProduceCommand extends MixstreamCommand {
    @Mixin
    KafkaLogOption logs = new KafkaLogOption();

    @Override
    protected KafkaLogLevel kafkaLogLevel() {
        return logs.levelOr(KafkaLogLevel.ERROR);
    }

    @Option(names = {"-i", "--input"}, required = true, paramLabel = "FILE.csv",
            description = "CSV file of points (.gz allowed).")
    Path input;

    @Option(names = {"-t", "--topic"}, defaultValue = "mixstream.points", paramLabel = "TOPIC",
            description = "Topic to write to.")
    String topic;

    @Option(names = {"-k", "--key"}, paramLabel = "MODEL",
            description = "Record key, i.e. the model id (default: no key, which mixstream treats as the "
                    + "model 'default').")
    String key;

    @Option(names = {"-b", "--bootstrap-servers"}, defaultValue = "localhost:9092", paramLabel = "HOST:PORT",
            description = "Kafka bootstrap servers.")
    String bootstrapServers;

    @Option(names = "--rate", defaultValue = "0", paramLabel = "N",
            description = "Points per second at most; 0 = as fast as possible.")
    double rate;

    @Option(names = "--skip-bad-rows", description = "Skip and count bad rows instead of stopping.")
    boolean skipBadRows;

    @Option(names = "--set", paramLabel = "KEY=VALUE", showDefaultValue = CommandLine.Help.Visibility.NEVER,
            preprocessor = KeyValueCheck.class,
            description = "Any Kafka producer property, for example --set security.protocol=SSL (repeatable).")
    Map<String, String> producerProperties = new LinkedHashMap<>();

    @Option(names = "--progress", negatable = true, description = "Force the progress bar on or off.")
    Boolean progress;

    @Override
    protected int execute() throws Exception {
        if (!(rate >= 0) || Double.isInfinite(rate)) {
            throw usage("--rate must be a number >= 0, got " + rate);
        }
        if (!Files.isRegularFile(input)) {
            throw new CliException("no such file: " + input);
        }
        long valid = validate();
        requireTopic();
        AtomicReference<Exception> sendFailure = new AtomicReference<>();
        long sent = 0;
        long started = System.nanoTime();
        try (CsvPoints csv = CsvPoints.open(input, skipBadRows);
             Progress bar = Progress.start("produce", Files.size(input), progress);
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig())) {
            StringBuilder json = new StringBuilder(128);
            while (csv.hasNext()) {
                CsvRow row = csv.next();
                json.setLength(0);
                appendJsonArray(json, row.values());
                producer.send(new ProducerRecord<>(topic, key, json.toString().getBytes(StandardCharsets.UTF_8)),
                        (meta, e) -> {
                            if (e != null) {
                                sendFailure.compareAndSet(null, e);
                            }
                        });
                sent++;
                if (sendFailure.get() != null) {
                    break;
                }
                if (rate > 0) {
                    pace(started, sent);
                }
                if ((sent & 1023) == 0) {
                    bar.update(csv.bytesRead());
                }
            }
            producer.flush();
            bar.update(csv.bytesRead());
            if (sendFailure.get() != null) {
                throw new CliException("sending to " + topic + " failed: " + sendFailure.get().getMessage());
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            err().println(String.format(Locale.ROOT, "produce: %d records to %s%s, %d bad rows skipped, %.2f s",
                    sent, topic, key == null ? "" : " (key " + key + ")", csv.badRows(), seconds));
        } catch (KafkaException e) {
            throw new CliException("kafka: " + e.getMessage() + "; " + sent + " of " + valid
                    + " records were handed to the producer before it failed");
        }
        return 0;
    }

    /**
     * Reads the whole file once before sending anything, so that a bad row stops the command with nothing sent.
     *
     * @return the number of rows that will be sent
     */
    private long validate() throws java.io.IOException {
        try (CsvPoints csv = CsvPoints.open(input, skipBadRows)) {
            while (csv.hasNext()) {
                csv.next();
            }
            if (csv.rows() == 0) {
                throw new CliException("no valid rows in " + input + "; nothing was sent");
            }
            return csv.rows();
        } catch (dev.mixstream.io.CsvFormatException e) {
            throw new CliException(describe(input, e, false) + "; nothing was sent (or use --skip-bad-rows)");
        }
    }

    /** Checks, within 10 s, that the cluster answers and the topic exists: a misspelt name is one clear line. */
    private void requireTopic() {
        Properties p = new Properties();
        producerProperties.forEach((k, v) -> {
            if (org.apache.kafka.clients.admin.AdminClientConfig.configNames().contains(k)) {
                p.put(k, v);
            }
        });
        p.put(org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(org.apache.kafka.clients.admin.AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        p.put(org.apache.kafka.clients.admin.AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        java.util.Set<String> topics;
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(p)) {
            topics = admin.listTopics().names().get(12, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            throw new CliException("cannot reach Kafka at " + bootstrapServers + " within 10 s; check "
                    + "--bootstrap-servers and that the brokers are up; nothing was sent");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted");
        } catch (KafkaException e) {
            throw new CliException("kafka: " + e.getMessage());
        }
        if (!topics.contains(topic)) {
            java.util.List<String> similar = topics.stream().filter(t -> !t.startsWith("_"))
                    .sorted().limit(8).toList();
            throw new CliException("topic " + topic + " does not exist on " + bootstrapServers
                    + (similar.isEmpty() ? "" : " (topics there: " + String.join(", ", similar) + ")")
                    + "; check --topic, or start mixstream run, which creates its topics; nothing was sent");
        }
    }

    private Properties producerConfig() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "30000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "60000");
        p.putAll(producerProperties);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }

    /** Sleeps until {@code sent} points fit the rate: the n-th point leaves no earlier than n / rate seconds. */
    private void pace(long startedNanos, long sent) throws InterruptedException {
        long due = startedNanos + (long) (sent * 1e9 / rate);
        long wait = due - System.nanoTime();
        if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
        }
    }

    /** [v0,v1,...] with each value in Java's shortest round-trip form. */
    static void appendJsonArray(StringBuilder sb, double[] values) {
        sb.append('[');
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(values[i]);
        }
        sb.append(']');
    }
}
