package dev.mixstream.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.mixstream.streams.MixstreamApp;
import dev.mixstream.streams.MixstreamConfig;
import dev.mixstream.streams.MixstreamSettings;
import dev.mixstream.streams.PointsProcessedMeter;
import dev.mixstream.streams.MixstreamTopology;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

import dev.mixstream.io.DirectoryTree;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * The pipeline benchmark behind {@code mixstream bench}: on one broker, the same pre-loaded points are
 * run through (a) a pass-through Kafka Streams application and (b) the estimator, with the same
 * processing guarantee, and each one's throughput and end-to-end latency are measured.
 *
 * <p>For each (keys, guarantee, application): N points are produced into a fresh input topic (the same
 * points for every application: same seed); the application is started on it, and its throughput is
 * the records it processed between its first and its N-th record divided by that time (start-up and
 * rebalancing excluded; sampled from its {@code process-total} metric every few ms). A
 * {@code read_committed} consumer then checks that the output topic holds exactly N records. Then,
 * with the application still running (models warm), M more points are sent at a fixed rate, each
 * stamped with its send time, and a {@code read_committed} consumer of the output topic (whose
 * timestamps are the broker's {@code LogAppendTime}) records two latencies per point: send time to the
 * output's append time, and send time to the moment the output is visible to the consumer (which under
 * exactly-once includes waiting for the commit).
 */
public final class PipelineBenchmark {
    /** The two applications compared. */
    public enum App {
        PASS_THROUGH("pass-through"), ESTIMATOR("estimator");

        private final String label;

        App(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /**
     * What to run.
     *
     * @param points        N, points pre-loaded for the throughput measurement (per keys value)
     * @param keysList      the numbers of distinct model keys to run with
     * @param partitions    partitions of the input and output topics
     * @param components    K of the estimator (and of the synthetic data)
     * @param dimension     D
     * @param guarantees    processing guarantees to run ({@code exactly_once_v2}, {@code at_least_once})
     * @param apps          applications to run
     * @param latencyPoints M, points sent at {@code latencyRate} after the throughput phase (0 = none)
     * @param latencyRate   points per second of the latency phase
     * @param jitWarmup     points of each unreported warm-up run (0 = no warm-up)
     * @param jitWarmupRounds at most this many rounds of warm-up runs (one of each application per round); they
     *                      stop early once the JIT compiler was busy less than 5 % of every run of a round
     * @param seed          seed of the synthetic points
     * @param overrides     extra properties for both applications ({@code mixstream.*} for the estimator only)
     */
    public record Options(long points, List<Integer> keysList, int partitions, int components, int dimension,
                          List<String> guarantees, List<App> apps, long latencyPoints, double latencyRate,
                          long jitWarmup, int jitWarmupRounds, long seed, Map<String, String> overrides,
                          boolean crc32Partitioner, boolean pastWarmup) {
    }

    /** Latency percentiles in milliseconds over {@code count} points. */
    public record Latency(long count, double p50Ms, double p99Ms, double maxMs) {
        /** The histogram's percentiles (recorded in µs); null when it is empty. */
        static Latency of(Histogram h) {
            if (h.getTotalCount() == 0) {
                return null;
            }
            return new Latency(h.getTotalCount(), h.getValueAtPercentile(50) / 1000.0,
                    h.getValueAtPercentile(99) / 1000.0, h.getMaxValue() / 1000.0);
        }
    }

    /**
     * One measured run.
     *
     * @param expectedOutputs  outputs due after the throughput phase: N for the pass-through; for the estimator the
     *                         points of every key that has completed its warm-up (a key still warming up has
     *                         answered nothing yet)
     * @param outputs          records found in the output topic after the throughput phase
     * @param changelogRecords records the estimator sent to its models, warm-up blocks and anomaly references
     *                         changelogs since it started for the measured phase, from its producers' per-topic metrics
     *                         (what was written, not what compaction left; at most one model state per key per
     *                         commit: the models store encodes at commits; 0 for the pass-through)
     * @param changelogBytes   the bytes of the batches that carried them (the producers' per-topic byte-total)
     * @param outputBytes      the bytes of the batches the application sent to its output topic (likewise; after
     *                         the producer's compression, if any)
     * @param snapshotBytes    the bytes of the batches the application sent to its snapshots topic and to its snapshots
     *                         store's changelog (likewise; 0 for the pass-through)
     * @param punctuateMaxMs   the longest punctuation of a stream thread in the last minute of the throughput phase
     *                         (Kafka Streams' {@code punctuate-latency-max}; 0 if none ran): how long the estimator's
     *                         wall-clock snapshots held up the records
     * @param appendLatency    send time → output append time (null without a latency phase)
     * @param visibleLatency   send time → output visible to a read_committed consumer (null likewise)
     * @param compileShare     JIT compilation time during the throughput phase over its length (summed over the
     *                         compiler threads, so it can exceed 1): well above 0 means the JVM was still warming up
     * @param processCores     CPU time of the whole process (broker, application, benchmark) during the throughput
     *                         phase over its length: how many cores were busy
     * @param threadCores      the same by kind of thread (stream threads, their producers' I/O threads, the broker,
     *                         GC, RocksDB, JIT, other; {@link ThreadCpu}), by label
     */
    public record Run(int keys, String guarantee, String app, long points, double seconds, double recordsPerSecond,
                      long expectedOutputs, long outputs, long changelogRecords, long changelogBytes,
                      long outputBytes, long snapshotBytes, double punctuateMaxMs, Latency appendLatency,
                      Latency visibleLatency,
                      double compileShare, double processCores, Map<String, Double> threadCores) {
        /** CPU of the whole process per record processed: core-µs = cores busy / records per second. */
        public double cpuMicrosPerRecord() {
            return processCores * 1e6 / recordsPerSecond;
        }
    }

    private static final JsonFactory JSON = new JsonFactory();
    private static final long SAMPLE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    /** JIT compilation below this share of a warm-up run's throughput phase counts as a warm JVM. */
    static final double SETTLED_COMPILE_SHARE = 0.05;
    private static final Duration PHASE_TIMEOUT = Duration.ofMinutes(Long.getLong("mixstream.bench.timeout.minutes", 10));

    private final String bootstrap;
    private final Options options;
    private final PrintWriter log;
    private int runNumber;

    public PipelineBenchmark(String bootstrap, Options options, PrintWriter log) {
        this.bootstrap = bootstrap;
        this.options = options;
        this.log = log;
    }

    /** Runs everything the options ask for, in order; returns the measured runs. */
    public List<Run> runAll() throws Exception {
        // JIT warm-up: rounds of one unreported run of each application until the JIT compiler is (nearly)
        // idle during them; the in-JVM broker, clients and Streams are a lot of code to compile, and a compiler
        // thread busy beside the measured run takes a large part of a 2-core machine
        for (int round = 1; options.jitWarmup() > 0 && round <= options.jitWarmupRounds(); round++) {
            boolean settled = true;
            for (App app : options.apps()) {
                Run r = run(app, options.guarantees().get(0), options.keysList().get(0), options.jitWarmup(), 0, false);
                say("JIT warm-up %d: %s, %,d points, %,.0f records/s, compiling %.0f %% of the time (not reported)",
                        round, app.label(), r.points(), r.recordsPerSecond(), 100 * r.compileShare());
                settled &= r.compileShare() < SETTLED_COMPILE_SHARE;
            }
            if (settled) {
                break;
            }
        }
        List<Run> runs = new ArrayList<>();
        for (int keys : options.keysList()) {
            for (String guarantee : options.guarantees()) {
                for (App app : options.apps()) {
                    Run r = run(app, guarantee, keys, options.points(), options.latencyPoints(),
                            options.pastWarmup() && app == App.ESTIMATOR);
                    say("%s %s, %,d keys: %,.0f records/s (%,d in %.2f s), outputs %,d%s", app.label(), guarantee, keys,
                            r.recordsPerSecond(), r.points(), r.seconds(), r.outputs(),
                            r.appendLatency() == null ? "" : String.format(Locale.ROOT,
                                    "; latency p50/p99 append %.1f/%.1f ms, visible %.1f/%.1f ms",
                                    r.appendLatency().p50Ms(), r.appendLatency().p99Ms(),
                                    r.visibleLatency().p50Ms(), r.visibleLatency().p99Ms()));
                    runs.add(r);
                }
            }
        }
        return runs;
    }

    /** Seconds between the first and the last record processed, records/s, and the JIT's and CPU's shares. */
    private record Throughput(double seconds, double rate, double compileShare, double processCores,
                              Map<String, Double> threadCores) {
    }

    /** Throughput: records processed between the first and the N-th, from the process-total metric. */
    private Throughput measureThroughput(App app, Handle handle, int n, String input, long points, long inputTotal,
                                         long deadline) throws Exception {
        long firstCount = 0;
        long firstNanos = 0;
        long count;
        long lastReport = System.nanoTime();
        long lastChange = System.nanoTime();
        long previous = -1;
        long lastCommitCheck = 0;
        long firstCompileMs = compileMs();
        long firstCpuNanos = processCpuNanos();
        ThreadCpu.Sample firstThreads = ThreadCpu.sample(firstCpuNanos);
        while ((count = handle.processed()) < points) {
            long now = System.nanoTime();
            if (count != previous) {
                previous = count;
                lastChange = now;
            }
            if (firstCount == 0 && count > 0) {
                firstCount = count;
                firstNanos = now;
                firstCompileMs = compileMs();
                firstCpuNanos = processCpuNanos();
                firstThreads = ThreadCpu.sample(firstCpuNanos);
            }
            // process-total was seen to fall short of the records processed (by 0.5–5 % with 10 000 keys):
            // when it has not moved for 2 s and the application has committed every input offset, the work
            // is done, and it ended when the metric last moved
            if (count > 0 && now - lastChange > TimeUnit.SECONDS.toNanos(2)
                    && now - lastCommitCheck > TimeUnit.MILLISECONDS.toNanos(500)) {
                lastCommitCheck = now;
                if (committedAll(n, input, inputTotal)) {
                    say("%s: process-total stopped at %,d of %,d with every input offset committed; the run "
                            + "ended when it last moved", app.label(), count, points);
                    break;
                }
            }
            if (now - lastReport > TimeUnit.SECONDS.toNanos(10)) {
                say("... %s: %,d of %,d points processed", app.label(), count, points);
                lastReport = now;
            }
            checkAlive(handle, deadline, "processing " + points + " points (" + count + " done)");
            LockSupport.parkNanos(SAMPLE_NANOS);
        }
        long endNanos = System.nanoTime();
        long lastNanos = count >= points ? endNanos : lastChange;
        if (firstCount == 0) { // all of them within one sampling interval
            firstNanos = lastNanos - SAMPLE_NANOS;
        }
        double seconds = (lastNanos - firstNanos) / 1e9;
        double phase = Math.max(endNanos - firstNanos, SAMPLE_NANOS) / 1e9;
        double compileShare = (compileMs() - firstCompileMs) / 1e3 / phase;
        long lastCpuNanos = processCpuNanos();
        double processCores = (lastCpuNanos - firstCpuNanos) / 1e9 / phase;
        Map<String, Double> threadCores = ThreadCpu.byLabel(
                ThreadCpu.cores(firstThreads, ThreadCpu.sample(lastCpuNanos), phase));
        double rate = (Math.min(count, points) - firstCount) / seconds;
        return new Throughput(seconds, rate, compileShare, processCores, threadCores);
    }

    /** One run; {@code pastWarmup}: measured after an unmeasured phase that takes every model past its warm-up. */
    private Run run(App app, String guarantee, int keys, long requested, long latencyPoints, boolean pastWarmup)
            throws Exception {
        int n = ++runNumber;
        String prefix = "bench" + n + "." + app.label() + "." + guarantee.replace('_', '-') + "." + keys;
        String input = prefix + ".points";
        String output = prefix + ".out";
        createTopics(input, output, prefix);
        BenchWorkload workload = new BenchWorkload(options.components(), options.dimension(), keys, options.seed());
        Path stateDir = Files.createTempDirectory("mixstream-bench-state");
        Handle handle = null;
        try {
            long deadline = System.nanoTime() + PHASE_TIMEOUT.toNanos();
            long warm = 0;
            if (pastWarmup) {
                warm = warmUpEveryKey(app, guarantee, input, output, prefix, stateDir, n, workload, keys, deadline);
            }
            long points = preload(input, workload, requested);
            handle = start(app, guarantee, input, output, prefix, stateDir, n);
            Throughput t = measureThroughput(app, handle, n, input, points, warm + points, deadline);
            double seconds = t.seconds();
            double rate = t.rate();
            double compileShare = t.compileShare();
            double processCores = t.processCores();
            try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
                List<TopicPartition> partitions = partitions(consumer, output);
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
                long expected = app == App.PASS_THROUGH ? points : answeredAfterWarmup(warm + points, keys);
                long outputs = drain(consumer, expected, handle, deadline);
                long[] changelog = changelogSent(handle.streams());
                long outputBytes = bytesSent(handle.streams(), output);
                long snapshotBytes = snapshotBytesSent(handle.streams(), prefix + ".snapshots");
                double punctuateMaxMs = punctuateMaxMs(handle.streams());
                Histogram append = new Histogram(TimeUnit.MINUTES.toMicros(10), 3);
                Histogram visible = new Histogram(TimeUnit.MINUTES.toMicros(10), 3);
                if (latencyPoints > 0) {
                    measureLatency(consumer, producer(false), input, workload, latencyPoints, append, visible, handle);
                }
                return new Run(keys, guarantee, app.label(), points, seconds, rate, expected, outputs,
                        changelog[0], changelog[1], outputBytes, snapshotBytes, punctuateMaxMs, Latency.of(append),
                        Latency.of(visible),
                        compileShare, processCores, t.threadCores());
            }
        } finally {
            if (handle != null) {
                handle.close();
            }
            DirectoryTree.delete(stateDir);
        }
    }

    /** Bytes the application's producers sent to one topic since it started (per-topic {@code byte-total}). */
    static long bytesSent(KafkaStreams streams, String topic) {
        long[] sent = {0};
        streams.metrics().forEach((name, metric) -> {
            if ("producer-topic-metrics".equals(name.group()) && topic.equals(name.tags().get("topic"))
                    && name.name().equals("byte-total")) {
                sent[0] += (long) ((Number) metric.metricValue()).doubleValue();
            }
        });
        return sent[0];
    }

    /**
     * The longest punctuation of the application's stream threads within Kafka's metric window (the thread-level
     * {@code punctuate-latency-max}, a maximum over the last 30 to 60 s), in ms; 0 if none ran.
     */
    static double punctuateMaxMs(KafkaStreams streams) {
        double[] max = {0};
        streams.metrics().forEach((name, metric) -> {
            if ("stream-thread-metrics".equals(name.group()) && name.name().equals("punctuate-latency-max")
                    && metric.metricValue() instanceof Number v && Double.isFinite(v.doubleValue())) {
                max[0] = Math.max(max[0], v.doubleValue());
            }
        });
        return max[0];
    }

    /** Bytes the application's producers sent to its snapshots topic and to its snapshots store's changelog. */
    static long snapshotBytesSent(KafkaStreams streams, String snapshotsTopic) {
        long[] sent = {0};
        streams.metrics().forEach((name, metric) -> {
            String topic = name.tags().get("topic");
            if ("producer-topic-metrics".equals(name.group()) && name.name().equals("byte-total") && topic != null
                    && (topic.equals(snapshotsTopic)
                    || topic.endsWith("-" + MixstreamTopology.SNAPSHOT_STORE + "-changelog"))) {
                sent[0] += (long) ((Number) metric.metricValue()).doubleValue();
            }
        });
        return sent[0];
    }

    /**
     * Records and bytes the application's producers sent to the changelog topics of the models store, the warm-up
     * blocks store and the anomaly references store since it started: the sums of the producers' per-topic
     * {@code record-send-total} and {@code byte-total}. Counted as sent, so a compacted changelog does not hide what
     * was written.
     */
    static long[] changelogSent(KafkaStreams streams) {
        long[] sent = {0, 0};
        streams.metrics().forEach((name, metric) -> {
            String topic = name.tags().get("topic");
            if (!"producer-topic-metrics".equals(name.group()) || topic == null
                    || !topic.endsWith("-" + MixstreamTopology.STORE + "-changelog")
                    && !topic.endsWith("-" + MixstreamTopology.WARMUP_BLOCKS_STORE + "-changelog")
                    && !topic.endsWith("-" + MixstreamTopology.ANOMALY_REFERENCES_STORE + "-changelog")) {
                return;
            }
            if (name.name().equals("record-send-total")) {
                sent[0] += (long) ((Number) metric.metricValue()).doubleValue();
            } else if (name.name().equals("byte-total")) {
                sent[1] += (long) ((Number) metric.metricValue()).doubleValue();
            }
        });
        return sent;
    }

    /**
     * The unmeasured first phase of {@code --past-warmup}: W points for every key (round-robin, so each key gets
     * exactly W and every model initialises), processed and committed by the application, which is then closed; the
     * measured phase restarts it on the same state directory and application id, so it continues from these models.
     *
     * @return the points of this phase
     */
    private long warmUpEveryKey(App app, String guarantee, String input, String output, String prefix, Path stateDir,
                                int n, BenchWorkload workload, int keys, long deadline) throws Exception {
        long warm = (long) warmupPoints() * keys;
        long points = preload(input, workload, warm);
        try (Handle handle = start(app, guarantee, input, output, prefix, stateDir, n)) {
            while (!committedAll(n, input, points)) {
                checkAlive(handle, deadline, "warming up " + keys + " models (" + handle.processed() + " of " + points
                        + " points processed)");
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
            }
        }
        say("%s, %,d keys: every model past its %,d-point warm-up (%,d points, not measured)", app.label(), keys,
                warmupPoints(), points);
        return points;
    }

    /** W, the estimator's warm-up points per model for these settings. */
    private int warmupPoints() {
        Map<String, String> p = new LinkedHashMap<>(options.overrides());
        p.put(MixstreamConfig.COMPONENTS_CONFIG, Integer.toString(options.components()));
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return MixstreamSettings.from(p).mixture().warmupFor(options.dimension());
    }

    /**
     * Produces N points into the input topic, re-sends any whose send failed, and returns how many the topic
     * gained (at least N; more only if a send reported as failed had arrived after all).
     */
    private long preload(String input, BenchWorkload workload, long points) throws Exception {
        long before = countEnd(input);
        ConcurrentLinkedQueue<ProducerRecord<String, byte[]>> failed = new ConcurrentLinkedQueue<>();
        AtomicReference<Exception> firstError = new AtomicReference<>();
        try (KafkaProducer<String, byte[]> producer = producer(true)) {
            for (long i = 0; i < points; i++) {
                long now = System.currentTimeMillis();
                ProducerRecord<String, byte[]> r = new ProducerRecord<>(input, null, now, workload.nextKey(),
                        workload.nextValue(now));
                producer.send(r, (meta, e) -> {
                    if (e != null) {
                        firstError.compareAndSet(null, e);
                        failed.add(r);
                    }
                });
            }
            producer.flush();
            for (int attempt = 1; !failed.isEmpty(); attempt++) {
                if (attempt > 5) {
                    throw new IllegalStateException("cannot pre-load " + input + ": " + failed.size()
                            + " sends keep failing", firstError.get());
                }
                say("re-sending %,d pre-load records that failed (%s)", failed.size(), firstError.get());
                List<ProducerRecord<String, byte[]>> again = new ArrayList<>(failed);
                failed.clear();
                for (ProducerRecord<String, byte[]> r : again) {
                    producer.send(r, (meta, e) -> {
                        if (e != null) {
                            failed.add(r);
                        }
                    });
                }
                producer.flush();
            }
        }
        long stored = countEnd(input) - before;
        if (stored < points) {
            throw new IllegalStateException(input + " gained " + stored + " records from pre-loading " + points);
        }
        if (stored > points) {
            say("%s gained %,d records: %,d re-sent ones had arrived after all; measuring over all of them", input,
                    stored, stored - points);
        }
        return stored;
    }

    /** Total JIT compilation time of this JVM so far, in ms (0 if the JVM does not report it). */
    private static long compileMs() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
    }

    /** CPU time of this process so far, in ns (0 if the JVM does not report it). */
    private static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? Math.max(os.getProcessCpuTime(), 0) : 0;
    }

    /** Sum of a topic's end offsets (its record count when written without transactions). */
    private long countEnd(String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
            return consumer.endOffsets(partitions(consumer, topic), Duration.ofSeconds(30)).values().stream()
                    .mapToLong(Long::longValue).sum();
        }
    }

    /** Reads the output topic until {@code expected} records were seen, or nothing more came for 10 s. */
    private long drain(KafkaConsumer<byte[], byte[]> consumer, long expected, Handle handle, long deadline) {
        long seen = 0;
        long quietSince = System.nanoTime();
        while (seen < expected && System.nanoTime() - quietSince < TimeUnit.SECONDS.toNanos(10)) {
            checkAlive(handle, deadline, "reading the outputs (" + seen + " of " + expected + ")");
            int n = consumer.poll(Duration.ofMillis(100)).count();
            if (n > 0) {
                seen += n;
                quietSince = System.nanoTime();
            }
        }
        for (int i = 0; i < 3; i++) {
            seen += consumer.poll(Duration.ofMillis(100)).count();
        }
        return seen;
    }

    /** Points answered by the estimator after N points over {@code keys} round-robin keys: those of warm keys. */
    private long answeredAfterWarmup(long points, int keys) {
        int warmup = warmupPoints();
        long answered = 0;
        for (int k = 0; k < keys; k++) {
            long ofKey = points / keys + (k < points % keys ? 1 : 0);
            answered += ofKey >= warmup ? ofKey : 0;
        }
        return answered;
    }

    /** True when the application's consumer group has committed the end offset of every input partition. */
    private boolean committedAll(int n, String input, long points) {
        Map<String, Object> config = new HashMap<>();
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(config)) {
            long committed = admin.listConsumerGroupOffsets("mixstream-bench-" + n).partitionsToOffsetAndMetadata()
                    .get(10, TimeUnit.SECONDS).entrySet().stream()
                    .filter(e -> e.getKey().topic().equals(input) && e.getValue() != null)
                    .mapToLong(e -> e.getValue().offset()).sum();
            return committed >= points;
        } catch (Exception e) {
            return false;
        }
    }

    private void measureLatency(KafkaConsumer<byte[], byte[]> consumer, KafkaProducer<String, byte[]> producer,
                                String input, BenchWorkload workload, long count, Histogram append,
                                Histogram visible, Handle handle) throws Exception {
        long start = System.currentTimeMillis();
        Thread sender = new Thread(() -> {
            long interval = (long) (1e9 / options.latencyRate());
            long next = System.nanoTime();
            try (producer) {
                for (long i = 0; i < count; i++) {
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    next += interval;
                    long now = System.currentTimeMillis();
                    producer.send(new ProducerRecord<>(input, null, now, workload.nextKey(), workload.nextValue(now)));
                }
                producer.flush();
            }
        }, "mixstream-bench-sender");
        sender.setDaemon(true);
        sender.start();
        long deadline = System.nanoTime() + (long) (count / options.latencyRate() * 1e9) + TimeUnit.SECONDS.toNanos(60);
        long seen = 0;
        while (seen < count && System.nanoTime() < deadline) {
            checkAlive(handle, deadline, "measuring latency");
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(5))) {
                long now = System.currentTimeMillis();
                long sent = sentAt(r.value());
                if (sent >= start) {
                    append.recordValue(Math.max(0, r.timestamp() - sent) * 1000);
                    visible.recordValue(Math.max(0, now - sent) * 1000);
                    seen++;
                }
            }
        }
        sender.join(TimeUnit.SECONDS.toMillis(30));
    }

    /** The top-level {@code ts} of an output value (pass-through: the input itself; estimator: echoed). */
    static long sentAt(byte[] value) throws IOException {
        try (JsonParser p = JSON.createParser(value)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return -1;
            }
            for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (name.equals("ts") && v == JsonToken.VALUE_NUMBER_INT) {
                    return p.getLongValue();
                }
                p.skipChildren();
            }
            return -1;
        }
    }

    private void checkAlive(Handle handle, long deadline, String what) {
        KafkaStreams.State state = handle.streams().state();
        if (state == KafkaStreams.State.ERROR || state == KafkaStreams.State.NOT_RUNNING) {
            throw new IllegalStateException("the application stopped (" + state + ") while " + what);
        }
        if (System.nanoTime() > deadline) {
            throw new IllegalStateException("timed out while " + what);
        }
    }

    private Handle start(App app, String guarantee, String input, String output, String prefix, Path stateDir,
                         int n) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "mixstream-bench-" + n);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        if (app == App.PASS_THROUGH) {
            options.overrides().forEach((k, v) -> {
                if (!k.startsWith("mixstream.")) {
                    p.put(k, v);
                }
            });
            Properties props = new Properties();
            props.putAll(p);
            KafkaStreams streams = new KafkaStreams(PassThroughTopology.build(input, output), props);
            streams.start();
            return new Handle(streams, null, streamThreads());
        }
        p.put(MixstreamConfig.POINTS_TOPIC_CONFIG, input);
        p.put(MixstreamConfig.RESPONSIBILITIES_TOPIC_CONFIG, output);
        p.put(MixstreamConfig.SNAPSHOTS_TOPIC_CONFIG, prefix + ".snapshots");
        p.put(MixstreamConfig.DLQ_TOPIC_CONFIG, prefix + ".dlq");
        p.put(MixstreamConfig.TOPICS_CREATE_CONFIG, "false");
        p.put(MixstreamConfig.COMPONENTS_CONFIG, Integer.toString(options.components()));
        p.put(MixstreamConfig.HTTP_PORT_CONFIG, "0"); // the served app, as run serves it; no fixed port to collide on
        p.putAll(options.overrides());
        MixstreamApp mixstream = MixstreamApp.start(MixstreamSettings.from(p));
        return new Handle(mixstream.streams(), mixstream, streamThreads());
    }

    /** Stream threads per application: {@code num.stream.threads} from the overrides, else Kafka's default 1. */
    private int streamThreads() {
        return Integer.parseInt(options.overrides().getOrDefault(StreamsConfig.NUM_STREAM_THREADS_CONFIG, "1").trim());
    }

    /** A running application under test, with the meter of its points processed ({@link PointsProcessedMeter}). */
    private static final class Handle implements AutoCloseable {
        private final KafkaStreams streams;
        private final MixstreamApp app;
        private final PointsProcessedMeter meter;

        Handle(KafkaStreams streams, MixstreamApp app, int threads) {
            this.streams = streams;
            this.app = app;
            this.meter = new PointsProcessedMeter(streams, threads);
        }

        KafkaStreams streams() {
            return streams;
        }

        long processed() {
            return meter.read();
        }

        @Override
        public void close() {
            if (app != null) {
                app.close(Duration.ofSeconds(60));
            } else {
                streams.close(Duration.ofSeconds(60));
            }
        }
    }

    /** The estimator's four topics (the pass-through uses the first two); the output stamped at append time. */
    private void createTopics(String input, String output, String prefix) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(MixstreamConfig.POINTS_TOPIC_CONFIG, input);
        p.put(MixstreamConfig.RESPONSIBILITIES_TOPIC_CONFIG, output);
        p.put(MixstreamConfig.SNAPSHOTS_TOPIC_CONFIG, prefix + ".snapshots");
        p.put(MixstreamConfig.DLQ_TOPIC_CONFIG, prefix + ".dlq");
        p.put(MixstreamConfig.TOPICS_PARTITIONS_CONFIG, Integer.toString(options.partitions()));
        MixstreamApp.createTopics(MixstreamSettings.from(p), Map.of(output,
                Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime")));
    }

    /**
     * The benchmark's producer. For the pre-load: acks=1 and one request in flight per connection (order kept):
     * with acks=all, produce responses to a freshly created topic were seen to stall for tens of seconds now and
     * then on the in-JVM broker, right after a previous application had closed; the pre-load checks the stored
     * count anyway. For the latency phase: idempotent, acks=all, as a real pipeline would produce.
     */
    private KafkaProducer<String, byte[]> producer(boolean preload) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        if (options.crc32Partitioner()) { // like librdkafka's clients: most keys land on another partition
            p.put(ProducerConfig.PARTITIONER_CLASS_CONFIG, Crc32Partitioner.class.getName());
        }
        if (preload) {
            p.put(ProducerConfig.ACKS_CONFIG, "1");
            p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
            p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
            p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
            p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 * 1024));
            p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
            p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
        } else {
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
            p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        }
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return new KafkaProducer<>(p);
    }

    private KafkaConsumer<byte[], byte[]> consumer() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return new KafkaConsumer<>(p);
    }

    private static List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, String topic) {
        List<TopicPartition> out = new ArrayList<>();
        for (PartitionInfo pi : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
            out.add(new TopicPartition(topic, pi.partition()));
        }
        return out;
    }

    private void say(String format, Object... args) {
        log.println("bench: " + String.format(Locale.ROOT, format, args));
        log.flush();
    }
}
