package dev.mixstream.streams;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Aborts the open transaction of an instance that died, as soon as the group has dropped it, instead of
 * leaving it to the broker's transaction timeout.
 *
 * <p>Under exactly_once_v2 each stream thread writes through one transactional producer,
 * {@code <application.id>-<process id>-<thread>}. When an instance is killed, its last transaction stays
 * open on the output, changelog and offset partitions until the broker times it out
 * ({@code transaction.timeout.ms}, checked every {@code transaction.abort.timed.out.transaction.cleanup.interval.ms},
 * 10 s each by default: up to 20 s). Until then the instance that takes the dead one's tasks over can
 * neither read its committed input offsets (they are unstable) nor restore its stores, and consumers
 * reading read_committed see nothing after it. At every rebalance this fencer lists the application's
 * ongoing transactions and fences ({@link Admin#fenceProducers}) those whose process is no member of the
 * group any more: the broker aborts them at once. A process that is still alive but was dropped from the
 * group (a GC pause longer than {@code session.timeout.ms}) is a zombie: fencing it is what exactly-once
 * needs anyway, and it rejoins as a new member. It works with the process ids Kafka Streams puts into its
 * client ids; where {@code client.id} is set by hand the members cannot be matched and it does nothing.
 */
final class ZombieFencer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ZombieFencer.class);
    private static final Pattern UUID = Pattern.compile(
            "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final long TIMEOUT_SECONDS = 10;
    /**
     * Only transactions open this long are fenced: a live instance commits every {@code commit.interval.ms}
     * (100 ms under exactly-once), a dead one's transaction is as old as the session timeout (6 s) when the
     * group drops it, so a member missing from the group for a moment (the coordinator reloading) is spared.
     */
    static final long MIN_AGE_MS = 3_000;

    private final Admin admin;
    private final String applicationId;
    private final Pattern transactionalId;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "mixstream-fencer");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean pending = new AtomicBoolean();

    ZombieFencer(Admin admin, String applicationId) {
        this.admin = admin;
        this.applicationId = applicationId;
        this.transactionalId = Pattern.compile(Pattern.quote(applicationId) + "-(" + UUID.pattern() + ")-\\d+");
    }

    /** Schedules one check (several requests while one waits make one check). */
    void check() {
        if (pending.compareAndSet(false, true)) {
            thread.execute(() -> {
                pending.set(false);
                try {
                    fenceDeparted();
                } catch (Exception e) {
                    LOG.warn("cannot check for open transactions of departed instances: {}", e.toString());
                }
            });
        }
    }

    /** Fences the ongoing transactions of processes that are no member of the group; returns their ids. */
    Set<String> fenceDeparted() throws Exception {
        ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(applicationId)).all()
                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS).get(applicationId);
        Set<String> live = new TreeSet<>();
        for (MemberDescription m : group.members()) {
            Matcher id = UUID.matcher(m.clientId());
            if (!id.find()) {
                return Set.of(); // client ids without Kafka Streams' process id: members cannot be matched
            }
            live.add(id.group());
        }
        if (live.isEmpty()) {
            return Set.of(); // no members (yet): nothing tells the dead from the starting
        }
        Set<String> departed = new TreeSet<>();
        for (TransactionListing t : admin.listTransactions(new ListTransactionsOptions()
                        .filterStates(List.of(TransactionState.ONGOING))
                        .filterOnDuration(MIN_AGE_MS)
                        .filterOnTransactionalIdPattern(transactionalId.pattern()))
                .all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            Matcher m = transactionalId.matcher(t.transactionalId());
            if (m.matches() && !live.contains(m.group(1))) {
                departed.add(t.transactionalId());
            }
        }
        LOG.debug("group members' processes {}; open transactions of departed ones {}", live, departed);
        if (!departed.isEmpty()) {
            admin.fenceProducers(departed).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            LOG.info("aborted the open transactions of departed instances: {}", departed);
        }
        return departed;
    }

    @Override
    public void close() {
        thread.shutdownNow();
        admin.close(java.time.Duration.ofSeconds(5));
    }
}
