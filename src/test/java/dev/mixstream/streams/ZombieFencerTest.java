package dev.mixstream.streams;

import dev.mixstream.broker.EmbeddedBroker;
import dev.mixstream.broker.KafkaTestClients;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fencer against a real broker (default transaction timeouts): of two open transactions named like Kafka
 * Streams' exactly-once producers, it aborts the one whose process is no member of the group, at once, once it
 * is older than {@link ZombieFencer#MIN_AGE_MS}, and leaves the live member's alone; with client ids it cannot
 * match it fences nothing.
 */
@Timeout(120)
class ZombieFencerTest {
    private static EmbeddedBroker broker;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = EmbeddedBroker.builder().port(0).start();
        KafkaTestClients.createTopic(broker.bootstrapServers(), "fence.out", 1);
        KafkaTestClients.createTopic(broker.bootstrapServers(), "fence.dead", 1);
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void abortsTheOpenTransactionOfADepartedProcessOnly() throws Exception {
        String app = "fence-app";
        String live = UUID.randomUUID().toString();
        String dead = UUID.randomUUID().toString();
        try (KafkaConsumer<String, String> member = member(app, app + "-" + live + "-StreamThread-1-consumer");
             KafkaProducer<String, String> liveProducer = openTransaction(app + "-" + live + "-1", "fence.out");
             KafkaProducer<String, String> deadProducer = openTransaction(app + "-" + dead + "-1", "fence.dead");
             ZombieFencer fencer = new ZombieFencer(KafkaTestClients.admin(broker.bootstrapServers()), app);
             Admin admin = KafkaTestClients.admin(broker.bootstrapServers())) {
            assertEquals(Map.of(app + "-" + live + "-1", TransactionState.ONGOING,
                    app + "-" + dead + "-1", TransactionState.ONGOING), states(admin, app));

            // a young transaction is spared (its member may be missing from the group only for a moment)
            assertEquals(Set.of(), fencer.fenceDeparted());
            Thread.sleep(ZombieFencer.MIN_AGE_MS + 200);
            long t0 = System.nanoTime();
            assertEquals(Set.of(app + "-" + dead + "-1"), fencer.fenceDeparted());
            // aborted at once, not after transaction.timeout.ms: read_committed readers of its partition move on
            TopicPartition deadPartition = new TopicPartition("fence.dead", 0);
            while (lastStable(admin, deadPartition) < end(admin, deadPartition)
                    || states(admin, app).get(app + "-" + dead + "-1") == TransactionState.ONGOING) {
                assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "aborted within 5 s: " + states(admin, app));
                Thread.sleep(50);
            }
            System.out.printf("departed process's transaction aborted %.2f s after the fence%n",
                    (System.nanoTime() - t0) / 1e9);
            assertEquals(TransactionState.ONGOING, states(admin, app).get(app + "-" + live + "-1"));
            liveProducer.commitTransaction(); // the live producer was not fenced
            assertThrows(KafkaException.class, deadProducer::commitTransaction, "the departed one was");
            member.unsubscribe();
        }
    }

    @Test
    void fencesNothingWhenMembersCannotBeMatched() throws Exception {
        String app = "fence-app-2";
        String other = UUID.randomUUID().toString();
        try (KafkaConsumer<String, String> member = member(app, "my-own-client-id");
             KafkaProducer<String, String> producer = openTransaction(app + "-" + other + "-1", "fence.out");
             ZombieFencer fencer = new ZombieFencer(KafkaTestClients.admin(broker.bootstrapServers()), app)) {
            Thread.sleep(ZombieFencer.MIN_AGE_MS + 200);
            assertEquals(Set.of(), fencer.fenceDeparted());
            producer.commitTransaction();
            member.unsubscribe();
        }
    }

    private static long lastStable(Admin admin, TopicPartition tp) throws Exception {
        return admin.listOffsets(Map.of(tp, OffsetSpec.latest()), new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                .all().get().get(tp).offset();
    }

    private static long end(Admin admin, TopicPartition tp) throws Exception {
        return admin.listOffsets(Map.of(tp, OffsetSpec.latest())).all().get().get(tp).offset();
    }

    private static Map<String, TransactionState> states(Admin admin, String app) throws Exception {
        return admin.listTransactions().all().get().stream()
                .filter(t -> t.transactionalId().matches(java.util.regex.Pattern.quote(app) + "-[0-9a-f]{8}-.*"))
                .collect(Collectors.toMap(TransactionListing::transactionalId, TransactionListing::state));
    }

    /** A member of the consumer group {@code group}, joined (it has its assignment). */
    private static KafkaConsumer<String, String> member(String group, String clientId) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        KafkaConsumer<String, String> c = new KafkaConsumer<>(p);
        c.subscribe(List.of("fence.out"));
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (c.assignment().isEmpty()) {
            assertTrue(System.nanoTime() < deadline, "consumer joined its group");
            c.poll(Duration.ofMillis(100));
        }
        return c;
    }

    /** A transactional producer with one record sent (and on the broker) in a transaction left open. */
    private static KafkaProducer<String, String> openTransaction(String transactionalId, String topic) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        KafkaProducer<String, String> producer = new KafkaProducer<>(p);
        producer.initTransactions();
        producer.beginTransaction();
        producer.send(new ProducerRecord<>(topic, "k", transactionalId));
        producer.flush();
        return producer;
    }
}
