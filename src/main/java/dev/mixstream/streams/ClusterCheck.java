package dev.mixstream.streams;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What the application checks with an admin client before it starts Kafka Streams, so that a wrong
 * address or a misspelt topic ends in one clear line within seconds, not in half a minute of client
 * warnings: the cluster answers within {@value #TIMEOUT_SECONDS} s, the four topics exist (missing ones
 * are created when {@code mixstream.topics.create} allows), and how many partitions the points topic has
 * (the topology routes every point to its model's partition among them).
 */
final class ClusterCheck implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterCheck.class);
    static final int TIMEOUT_SECONDS = 10;

    private final MixstreamSettings settings;
    private final Admin admin;

    private ClusterCheck(MixstreamSettings settings, Admin admin) {
        this.settings = settings;
        this.admin = admin;
    }

    /** An admin client with the application's connection settings (security, bootstrap servers). */
    static Admin admin(MixstreamSettings s) {
        Map<String, Object> config = new HashMap<>();
        s.kafka().forEach((k, v) -> {
            if (AdminClientConfig.configNames().contains(k)) {
                config.put(k, v);
            }
        });
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, TIMEOUT_SECONDS * 1000);
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, TIMEOUT_SECONDS * 1000);
        try {
            return Admin.create(config);
        } catch (KafkaException e) {
            if (e.getCause() instanceof ConfigException c) {
                throw new StartupException("bootstrap.servers '" + s.bootstrapServers() + "': " + c.getMessage()
                        + " (check the host names and ports)", e);
            }
            throw new StartupException("cannot create a Kafka client: " + e.getMessage(), e);
        }
    }

    static ClusterCheck open(MixstreamSettings s) {
        return new ClusterCheck(s, admin(s));
    }

    /**
     * Checks the cluster and the topics (creating missing ones when allowed) and returns the points topic's
     * partition count.
     *
     * @throws StartupException with one line saying what is wrong and how to fix it
     */
    int prepare() {
        reachCluster();
        ensureTopics();
        return pointsPartitions();
    }

    private void reachCluster() {
        try {
            admin.describeCluster().nodes().get(TIMEOUT_SECONDS + 2, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            if (cause instanceof org.apache.kafka.common.errors.TimeoutException || cause instanceof TimeoutException) {
                throw new StartupException("cannot reach Kafka at " + settings.bootstrapServers() + ": no broker "
                        + "answered within " + TIMEOUT_SECONDS + " s. Check --bootstrap-servers (bootstrap.servers), "
                        + "that the brokers are up and reachable from here, and that security.protocol matches "
                        + "their listener", cause);
            }
            throw new StartupException("cannot connect to Kafka at " + settings.bootstrapServers() + ": "
                    + cause.getMessage(), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartupException("interrupted while connecting to Kafka", e);
        }
    }

    /** Creates whichever of the four topics are missing, or fails naming them when creation is off. */
    List<String> ensureTopics() {
        return ensureTopics(Map.of());
    }

    /**
     * As {@link #ensureTopics()}, with more configuration for some of the topics it creates; returns once every
     * partition of the created topics has a leader (so that the first sends do not stall).
     */
    List<String> ensureTopics(Map<String, Map<String, String>> extraConfigs) {
        Set<String> existing = call("list the topics", admin.listTopics().names());
        List<String> missing = new ArrayList<>();
        for (String t : topics()) {
            if (!existing.contains(t)) {
                missing.add(t);
            }
        }
        if (missing.isEmpty()) {
            return missing;
        }
        if (!settings.createTopics()) {
            throw new StartupException("topic" + (missing.size() > 1 ? "s " : " ") + String.join(", ", missing)
                    + (missing.size() > 1 ? " do" : " does") + " not exist on " + settings.bootstrapServers()
                    + " and mixstream.topics.create=false: create " + (missing.size() > 1 ? "them" : "it")
                    + " (the points topic with as many partitions as you want tasks), check the mixstream.topic.* "
                    + "names, or set mixstream.topics.create=true");
        }
        List<NewTopic> topics = new ArrayList<>();
        for (String t : missing) {
            Map<String, String> configs = new HashMap<>(extraConfigs.getOrDefault(t, Map.of()));
            if (t.equals(settings.snapshotsTopic())) {
                // the snapshot of a large model (K·D² covariance numbers) can exceed 1 MiB
                configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
                configs.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, settings.kafka().getOrDefault(
                        "topic.max.message.bytes", MixstreamSettings.MAX_RECORD_BYTES));
            }
            topics.add(new NewTopic(t, settings.topicPartitions(), settings.topicReplicationFactor()).configs(configs));
        }
        try {
            admin.createTopics(topics).all().get(TIMEOUT_SECONDS + 2, TimeUnit.SECONDS);
            LOG.info("created topics {}", missing);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) { // else another instance was quicker
                throw new StartupException("cannot create topics " + missing + ": " + e.getCause().getMessage(), e);
            }
        } catch (TimeoutException e) {
            throw new StartupException("cannot create topics " + missing + ": no answer within "
                    + TIMEOUT_SECONDS + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartupException("interrupted while creating topics", e);
        }
        awaitLeaders(missing);
        return missing;
    }

    /** Waits (up to {@value #TIMEOUT_SECONDS} s) until every partition of the topics has a leader. */
    private void awaitLeaders(List<String> names) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (true) {
            boolean ready;
            try {
                ready = admin.describeTopics(names).allTopicNames().get(TIMEOUT_SECONDS, TimeUnit.SECONDS).values()
                        .stream().allMatch(d -> d.partitions().stream().allMatch(pi -> pi.leader() != null));
            } catch (ExecutionException | TimeoutException e) {
                ready = false; // just created: not in the metadata yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StartupException("interrupted while waiting for the new topics", e);
            }
            if (ready) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new StartupException("created topics " + names + ", but their partitions have no leader after "
                        + TIMEOUT_SECONDS + " s: check the brokers' health");
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StartupException("interrupted while waiting for the new topics", e);
            }
        }
    }

    private int pointsPartitions() {
        Map<String, TopicDescription> d = call("describe the points topic",
                admin.describeTopics(List.of(settings.pointsTopic())).allTopicNames());
        return d.get(settings.pointsTopic()).partitions().size();
    }

    private List<String> topics() {
        return settings.topics();
    }

    private <T> T call(String what, org.apache.kafka.common.KafkaFuture<T> future) {
        try {
            return future.get(TIMEOUT_SECONDS + 2, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new StartupException("cannot " + what + " on " + settings.bootstrapServers() + ": "
                    + e.getCause().getMessage(), e);
        } catch (TimeoutException e) {
            throw new StartupException("cannot " + what + " on " + settings.bootstrapServers() + ": no answer "
                    + "within " + TIMEOUT_SECONDS + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartupException("interrupted while trying to " + what, e);
        }
    }

    @Override
    public void close() {
        admin.close(java.time.Duration.ofSeconds(2));
    }
}
