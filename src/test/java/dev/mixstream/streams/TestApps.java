package dev.mixstream.streams;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** The settings the real-broker tests start applications with: small models, fast commits, topics per test. */
public final class TestApps {
    private TestApps() {
    }

    /**
     * An application on {@code bootstrap} with topics {@code prefix.points} …, application id {@code prefix-app},
     * commits every 100 ms, K = 2, a warm-up of 30, a snapshot every 100 points, the HTTP API on any free port;
     * then {@code overrides}.
     */
    public static Map<String, String> config(String bootstrap, String prefix, Path stateDir,
                                             Map<String, String> overrides) {
        Map<String, String> p = new HashMap<>();
        p.put("bootstrap.servers", bootstrap);
        p.put("application.id", prefix + "-app");
        p.put("state.dir", stateDir.toString());
        p.put("commit.interval.ms", "100");
        p.put("mixstream.topic.points", prefix + ".points");
        p.put("mixstream.topic.responsibilities", prefix + ".responsibilities");
        p.put("mixstream.topic.snapshots", prefix + ".snapshots");
        p.put("mixstream.topic.dlq", prefix + ".dlq");
        p.put("mixstream.topics.partitions", "4");
        p.put("mixstream.components", "2");
        p.put("mixstream.warmup", "30");
        p.put("mixstream.snapshot.every.points", "100");
        p.put("mixstream.snapshot.interval.ms", "0");
        p.put("mixstream.http.port", "0"); // several instances in one JVM
        p.putAll(overrides);
        return p;
    }
}
