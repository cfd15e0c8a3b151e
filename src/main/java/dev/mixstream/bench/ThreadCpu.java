package dev.mixstream.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where the process's CPU goes, by kind of thread: the Java threads by name (the JVM's own CPU time of each), the
 * JVM's and RocksDB's native threads by their Linux name ({@code /proc/self/task}: garbage collection, JIT compilers,
 * RocksDB's flushes and compactions, none of which Java lists). Whatever the process spent beyond these groups (other
 * native threads, threads that ended between the samples) is {@link Group#OTHER}. Without {@code /proc} (not Linux),
 * the native groups are 0 and their CPU is counted as other.
 */
final class ThreadCpu {
    /** Kinds of threads. */
    enum Group {
        STREAM("stream threads"),
        PRODUCER_IO("producer I/O"),
        BROKER("broker"),
        GC("GC"),
        ROCKSDB("RocksDB"),
        JIT("JIT"),
        OTHER("other");

        final String label;

        Group(String label) {
            this.label = label;
        }
    }

    private static final Path TASKS = Path.of("/proc/self/task");
    /** Linux's clock ticks per second for {@code /proc} times ({@code USER_HZ}, 100 on every Linux architecture). */
    private static final double TICKS_PER_SECOND = 100.0;

    /** CPU nanoseconds of the Java threads by id, clock ticks of the native threads by Linux thread id. */
    record Sample(Map<Long, Long> javaNanos, Map<Long, String> javaNames, Map<String, Long> nativeTicks,
                  Map<String, Group> nativeGroups, long processNanos) {
    }

    private ThreadCpu() {
    }

    /** The group of a Java thread, by its name (Kafka's and Kafka Streams' own thread names). */
    static Group ofJavaThread(String name) {
        if (name.startsWith("kafka-producer-network-thread")) {
            return Group.PRODUCER_IO;
        }
        if (name.contains("-StreamThread-")) {
            return Group.STREAM;
        }
        if (name.startsWith("data-plane-kafka") || name.startsWith("kafka-1-raft")) {
            return Group.BROKER; // the in-JVM broker's network threads and request handlers, its Raft I/O
        }
        return Group.OTHER;
    }

    /** The group of a native thread by its Linux name (the first 15 bytes of it), or null for a Java thread's. */
    static Group ofNativeThread(String comm) {
        if (comm.startsWith("GC Thread#") || comm.startsWith("ParGC Thread#") || comm.startsWith("G1 ")
                || comm.equals("VM Thread")) {
            return Group.GC;
        }
        if (comm.startsWith("rocksdb:")) {
            return Group.ROCKSDB;
        }
        if (comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre")) {
            return Group.JIT;
        }
        return null;
    }

    /** The CPU time so far of every thread of this process. */
    static Sample sample(long processNanos) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Map<Long, Long> javaNanos = new HashMap<>();
        Map<Long, String> javaNames = new HashMap<>();
        if (threads.isThreadCpuTimeSupported() && threads.isThreadCpuTimeEnabled()) {
            for (var info : threads.getThreadInfo(threads.getAllThreadIds())) {
                if (info == null) {
                    continue; // ended meanwhile
                }
                long nanos = threads.getThreadCpuTime(info.getThreadId());
                if (nanos >= 0) {
                    javaNanos.put(info.getThreadId(), nanos);
                    javaNames.put(info.getThreadId(), info.getThreadName());
                }
            }
        }
        Map<String, Long> nativeTicks = new HashMap<>();
        Map<String, Group> nativeGroups = new HashMap<>();
        if (Files.isDirectory(TASKS)) {
            try (DirectoryStream<Path> tasks = Files.newDirectoryStream(TASKS)) {
                for (Path task : tasks) {
                    try {
                        Group g = ofNativeThread(Files.readString(task.resolve("comm")).strip());
                        if (g == null) {
                            continue;
                        }
                        String stat = Files.readString(task.resolve("stat"));
                        // after "pid (comm) ": state is field 3, utime and stime fields 14 and 15
                        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                        nativeTicks.put(task.getFileName().toString(), Long.parseLong(f[11]) + Long.parseLong(f[12]));
                        nativeGroups.put(task.getFileName().toString(), g);
                    } catch (IOException | RuntimeException ended) {
                        // the thread ended between the listing and the read
                    }
                }
            } catch (IOException e) {
                // no per-thread times: the native groups stay 0
            }
        }
        return new Sample(javaNanos, javaNames, nativeTicks, nativeGroups, processNanos);
    }

    /** Cores busy in each group between two samples {@code seconds} apart (a thread new in {@code to} counts whole). */
    static Map<Group, Double> cores(Sample from, Sample to, double seconds) {
        Map<Group, Double> cores = new EnumMap<>(Group.class);
        for (Group g : Group.values()) {
            cores.put(g, 0.0);
        }
        double counted = 0;
        for (var e : to.javaNanos().entrySet()) {
            double s = (e.getValue() - from.javaNanos().getOrDefault(e.getKey(), 0L)) / 1e9;
            cores.merge(ofJavaThread(to.javaNames().get(e.getKey())), s / seconds, Double::sum);
            counted += s;
        }
        for (var e : to.nativeTicks().entrySet()) {
            double s = (e.getValue() - from.nativeTicks().getOrDefault(e.getKey(), 0L)) / TICKS_PER_SECOND;
            cores.merge(to.nativeGroups().get(e.getKey()), s / seconds, Double::sum);
            counted += s;
        }
        double rest = (to.processNanos() - from.processNanos()) / 1e9 - counted;
        cores.merge(Group.OTHER, Math.max(rest, 0) / seconds, Double::sum);
        return cores;
    }

    /** The groups by label, in {@link Group} order, for reports. */
    static Map<String, Double> byLabel(Map<Group, Double> cores) {
        Map<String, Double> out = new LinkedHashMap<>();
        cores.forEach((g, c) -> out.put(g.label, c));
        return out;
    }
}
