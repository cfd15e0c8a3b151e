package dev.mixstream.broker;

import static dev.mixstream.broker.KafkaTestClients.admin;
import static dev.mixstream.broker.KafkaTestClients.consume;
import static dev.mixstream.broker.KafkaTestClients.createTopic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The broker as a separate OS process survives SIGKILL: committed data is there after a restart. */
@Timeout(180)
class BrokerProcessTest {

    @Test
    void killAndRestartKeepsCommittedRecordsAndOffsets(@TempDir Path tmp) throws Exception {
        long start = System.nanoTime();
        try (BrokerProcess broker = BrokerProcess.start(tmp.resolve("data"))) {
            System.out.printf("broker process ready in %d ms%n", (System.nanoTime() - start) / 1_000_000);
            String bootstrap = broker.bootstrapServers();
            createTopic(bootstrap, "crash", 2);
            try (KafkaProducer<String, String> producer = KafkaTestClients.producer(bootstrap, "crash-tx")) {
                producer.initTransactions();
                producer.beginTransaction();
                for (int i = 0; i < 50; i++) {
                    producer.send(new ProducerRecord<>("crash", "k" + (i % 5), "v" + i));
                }
                producer.commitTransaction();
            }
            try (KafkaConsumer<String, String> consumer = KafkaTestClients.consumer(bootstrap, "crash-group", true)) {
                assertEquals(50, consume(consumer, "crash", 50, Duration.ofSeconds(30)).size());
                consumer.commitSync();
            }

            broker.kill();
            assertFalse(broker.isAlive());
            long restart = System.nanoTime();
            broker.restart();
            System.out.printf("broker process restarted after SIGKILL in %d ms%n",
                    (System.nanoTime() - restart) / 1_000_000);
            assertTrue(broker.isAlive());
            assertEquals(bootstrap, broker.bootstrapServers(), "same port after restart");

            try (KafkaConsumer<String, String> consumer = KafkaTestClients.consumer(bootstrap, null, true)) {
                List<ConsumerRecord<String, String>> records = consume(consumer, "crash", 50, Duration.ofSeconds(30));
                assertEquals(50, records.size());
                assertEquals(50, records.stream().map(ConsumerRecord::value).distinct().count());
            }
            try (Admin admin = admin(bootstrap)) {
                Map<TopicPartition, OffsetAndMetadata> offsets =
                        admin.listConsumerGroupOffsets("crash-group").partitionsToOffsetAndMetadata().get();
                // 50 records + one commit marker per partition
                long committed = offsets.values().stream().mapToLong(OffsetAndMetadata::offset).sum();
                assertEquals(52, committed, "committed group offsets survive the crash");
            }
            assertEquals(143, broker.stop(), "SIGTERM ends the process (exit 128 + 15)");
            assertTrue(Files.readString(broker.logFile()).contains("mixstream broker stopped"),
                    "the shutdown hook closed the broker cleanly");
        }
    }
}
