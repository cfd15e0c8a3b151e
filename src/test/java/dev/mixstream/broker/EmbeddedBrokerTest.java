package dev.mixstream.broker;

import static dev.mixstream.broker.KafkaTestClients.admin;
import static dev.mixstream.broker.KafkaTestClients.consume;
import static dev.mixstream.broker.KafkaTestClients.createTopic;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A real in-JVM broker: topics, consumer groups, transactions, big records, restarts. */
@Timeout(120)
class EmbeddedBrokerTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private static EmbeddedBroker broker;

    @BeforeAll
    static void startBroker() {
        long start = System.nanoTime();
        broker = EmbeddedBroker.builder().port(0).start();
        System.out.printf("EmbeddedBroker started in %d ms on %s%n",
                (System.nanoTime() - start) / 1_000_000, broker.bootstrapServers());
    }

    @AfterAll
    static void stopBroker() {
        Path dir = broker.dataDir();
        assertTrue(broker.isTemporary());
        assertTrue(Files.isDirectory(dir));
        long start = System.nanoTime();
        broker.close();
        System.out.printf("EmbeddedBroker closed in %d ms%n", (System.nanoTime() - start) / 1_000_000);
        broker.close(); // idempotent
        assertFalse(Files.exists(dir), "temporary data directory is deleted on close");
    }

    @Test
    void bootstrapAddressIsLocalhostWithChosenPort() {
        assertTrue(broker.port() > 0);
        assertTrue(broker.controllerPort() > 0);
        assertEquals("localhost:" + broker.port(), broker.bootstrapServers());
        assertTrue(broker.formattedOnStart());
    }

    @Test
    void producesAndConsumesWithAConsumerGroup() throws Exception {
        String topic = "points-group";
        createTopic(broker.bootstrapServers(), topic, 3);
        try (KafkaProducer<String, String> producer = KafkaTestClients.producer(broker.bootstrapServers(), null)) {
            for (int i = 0; i < 30; i++) {
                producer.send(new ProducerRecord<>(topic, "k" + (i % 7), "v" + i)).get();
            }
        }
        try (KafkaConsumer<String, String> consumer =
                     KafkaTestClients.consumer(broker.bootstrapServers(), "group-a", false)) {
            List<ConsumerRecord<String, String>> records = consume(consumer, topic, 30, WAIT);
            assertEquals(30, records.size());
            Set<String> values = records.stream().map(ConsumerRecord::value).collect(Collectors.toSet());
            assertEquals(30, values.size());
            consumer.commitSync();
        }
        try (Admin admin = admin(broker.bootstrapServers())) {
            Map<TopicPartition, OffsetAndMetadata> offsets =
                    admin.listConsumerGroupOffsets("group-a").partitionsToOffsetAndMetadata().get();
            long committed = offsets.values().stream().mapToLong(OffsetAndMetadata::offset).sum();
            assertEquals(30, committed, "the group's committed offsets cover all records");
        }
    }

    @Test
    void topicsAreNotAutoCreatedAndDefaultPartitionCountApplies() throws Exception {
        try (Admin admin = admin(broker.bootstrapServers())) {
            admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(
                    "default-partitions", java.util.Optional.empty(), java.util.Optional.empty()))).all().get();
            TopicDescription description = admin.describeTopics(List.of("default-partitions"))
                    .allTopicNames().get().get("default-partitions");
            assertEquals(EmbeddedBroker.DEFAULT_PARTITIONS, description.partitions().size());
            assertEquals(1, description.partitions().get(0).replicas().size());
        }
        try (KafkaProducer<String, String> producer = KafkaTestClients.producerWithMaxBlock(
                broker.bootstrapServers(), Duration.ofSeconds(2))) {
            var failure = assertThrows(Exception.class,
                    () -> producer.send(new ProducerRecord<>("never-created", "k", "v")).get());
            assertTrue(String.valueOf(failure.getMessage()).contains("never-created"), failure.toString());
        }
        try (Admin admin = admin(broker.bootstrapServers())) {
            assertFalse(admin.listTopics().names().get().contains("never-created"));
        }
    }

    @Test
    void transactionalProducerCommits() throws Exception {
        String topic = "points-tx";
        createTopic(broker.bootstrapServers(), topic, 2);
        try (KafkaProducer<String, String> producer =
                     KafkaTestClients.producer(broker.bootstrapServers(), "tx-test")) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, "k" + i, "committed-" + i));
            }
            producer.commitTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "aborted"));
            producer.flush();
            producer.abortTransaction();
        }
        try (KafkaConsumer<String, String> consumer =
                     KafkaTestClients.consumer(broker.bootstrapServers(), null, true)) {
            List<ConsumerRecord<String, String>> records = consume(consumer, topic, 10, WAIT);
            // read_committed: the 10 committed records, never the aborted one
            consumer.poll(Duration.ofMillis(500)).forEach(records::add);
            assertEquals(10, records.size());
            assertTrue(records.stream().allMatch(r -> r.value().startsWith("committed-")));
        }
    }

    @Test
    void tenMegabyteRecordRoundTrips() throws Exception {
        String topic = "big-values";
        createTopic(broker.bootstrapServers(), topic, 1);
        byte[] value = new byte[10 * 1024 * 1024];
        new Random(42).nextBytes(value);
        try (KafkaProducer<String, byte[]> producer =
                     KafkaTestClients.bytesProducer(broker.bootstrapServers(), EmbeddedBroker.DEFAULT_MAX_MESSAGE_BYTES)) {
            producer.send(new ProducerRecord<>(topic, "big", value)).get();
        }
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestClients.bytesConsumer(broker.bootstrapServers())) {
            List<ConsumerRecord<String, byte[]>> records = consume(consumer, topic, 1, WAIT);
            assertEquals(1, records.size());
            assertArrayEquals(value, records.get(0).value());
        }
    }

    @Test
    void restartOnTheSameDataDirectoryKeepsTopicsAndRecords(@TempDir Path tmp) throws Exception {
        Path dataDir = tmp.resolve("data");
        String clusterId;
        try (EmbeddedBroker first = EmbeddedBroker.builder().dataDir(dataDir).start()) {
            assertTrue(first.formattedOnStart());
            assertFalse(first.isTemporary());
            createTopic(first.bootstrapServers(), "kept", 2);
            try (KafkaProducer<String, String> producer = KafkaTestClients.producer(first.bootstrapServers(), null)) {
                for (int i = 0; i < 20; i++) {
                    producer.send(new ProducerRecord<>("kept", "k" + i, "v" + i)).get();
                }
            }
            try (Admin admin = admin(first.bootstrapServers())) {
                clusterId = admin.describeCluster().clusterId().get();
            }
            IllegalStateException inUse = assertThrows(IllegalStateException.class,
                    () -> EmbeddedBroker.builder().dataDir(dataDir).start());
            assertTrue(inUse.getMessage().contains("in use by another broker"), inUse.getMessage());
        }
        assertTrue(Files.exists(dataDir.resolve("meta.properties")), "a given data directory is kept");

        long start = System.nanoTime();
        try (EmbeddedBroker second = EmbeddedBroker.builder().dataDir(dataDir).start()) {
            System.out.printf("EmbeddedBroker restarted in %d ms%n", (System.nanoTime() - start) / 1_000_000);
            assertFalse(second.formattedOnStart(), "an already formatted directory is not formatted again");
            try (Admin admin = admin(second.bootstrapServers())) {
                assertEquals(clusterId, admin.describeCluster().clusterId().get());
                assertTrue(admin.listTopics().names().get().contains("kept"));
            }
            try (KafkaConsumer<String, String> consumer =
                         KafkaTestClients.consumer(second.bootstrapServers(), null, false)) {
                List<ConsumerRecord<String, String>> records = consume(consumer, "kept", 20, WAIT);
                assertEquals(20, records.size());
                assertEquals(20, records.stream().map(ConsumerRecord::value).distinct().count());
            }
        }
        assertTrue(Files.exists(dataDir.resolve("meta.properties")));
    }

    @Test
    void occupiedPortFailsWithAClearError(@TempDir Path tmp) throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("localhost"))) {
            var builder = EmbeddedBroker.builder().port(taken.getLocalPort()).dataDir(tmp.resolve("data"));
            IllegalStateException e = assertThrows(IllegalStateException.class, builder::start);
            assertTrue(e.getMessage().contains("failed to start"), e.getMessage());
        }
    }
}
