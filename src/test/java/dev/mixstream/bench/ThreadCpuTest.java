package dev.mixstream.bench;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ThreadCpuTest {
    @Test
    void threadsAreGroupedByTheNamesKafkaAndTheJvmGiveThem() {
        assertEquals(ThreadCpu.Group.STREAM,
                ThreadCpu.ofJavaThread("mixstream-bench-3-ecda335e-2f1b-4c9e-9d52-2b5c1c7e0a11-StreamThread-1"));
        assertEquals(ThreadCpu.Group.PRODUCER_IO, ThreadCpu.ofJavaThread(
                "kafka-producer-network-thread | mixstream-bench-3-ecda335e-StreamThread-1-producer"));
        assertEquals(ThreadCpu.Group.BROKER, ThreadCpu.ofJavaThread("data-plane-kafka-request-handler-3"));
        assertEquals(ThreadCpu.Group.BROKER, ThreadCpu.ofJavaThread("data-plane-kafka-network-thread-1-PLAINTEXT-2"));
        assertEquals(ThreadCpu.Group.OTHER, ThreadCpu.ofJavaThread("main"));
        assertEquals(ThreadCpu.Group.GC, ThreadCpu.ofNativeThread("GC Thread#0"));
        assertEquals(ThreadCpu.Group.GC, ThreadCpu.ofNativeThread("G1 Refine#0"));
        assertEquals(ThreadCpu.Group.ROCKSDB, ThreadCpu.ofNativeThread("rocksdb:low"));
        assertEquals(ThreadCpu.Group.JIT, ThreadCpu.ofNativeThread("C2 CompilerThre"));
        assertNull(ThreadCpu.ofNativeThread("mixstream-bench"), "a Java thread's Linux name: counted by Java's name");
    }

    @Test
    void aBusyThreadsCpuIsCountedInItsGroupAndTheGroupsAddUpToTheProcess() throws Exception {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        ThreadCpu.Sample from = ThreadCpu.sample(os.getProcessCpuTime());
        long start = System.nanoTime();
        AtomicLong ownNanos = new AtomicLong();
        Thread busy = new Thread(() -> {
            long x = 1;
            long until = System.nanoTime() + 300_000_000L;
            while (System.nanoTime() < until) {
                x = x * 6364136223846793005L + 1442695040888963407L;
            }
            ownNanos.set(ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() + (x & 1));
            synchronized (ownNanos) {
                try {
                    ownNanos.wait(); // alive at the second sample, as a stream thread is
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, "test-1-StreamThread-1");
        busy.start();
        while (ownNanos.get() == 0) {
            Thread.sleep(10);
        }
        ThreadCpu.Sample to = ThreadCpu.sample(os.getProcessCpuTime());
        double seconds = (System.nanoTime() - start) / 1e9;
        synchronized (ownNanos) {
            ownNanos.notifyAll();
        }
        busy.join();
        Map<ThreadCpu.Group, Double> cores = ThreadCpu.cores(from, to, seconds);
        double streamSeconds = cores.get(ThreadCpu.Group.STREAM) * seconds;
        assertTrue(streamSeconds >= ownNanos.get() / 1e9 - 1e-3, cores + " against the thread's own "
                + ownNanos.get() / 1e9 + " s");
        double sum = cores.values().stream().mapToDouble(Double::doubleValue).sum();
        double process = (to.processNanos() - from.processNanos()) / 1e9 / seconds;
        assertTrue(sum >= process - 1e-9, "the groups and other make the process: " + cores + ", " + process);
        if (System.getProperty("os.name").startsWith("Linux")) { // the JVM's native threads, seen in /proc
            assertTrue(to.nativeGroups().containsValue(ThreadCpu.Group.GC), to.nativeGroups().toString());
            assertTrue(to.nativeGroups().containsValue(ThreadCpu.Group.JIT), to.nativeGroups().toString());
        }
    }
}
