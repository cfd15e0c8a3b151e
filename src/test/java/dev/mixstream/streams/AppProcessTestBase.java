package dev.mixstream.streams;

import dev.mixstream.broker.EmbeddedBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Base of the tests that run {@code mixstream run} as separate processes against one in-JVM broker with
 * Kafka's default settings: the broker for the class, and the processes and clients of each test, all
 * killed or closed after it.
 */
abstract class AppProcessTestBase {
    static EmbeddedBroker broker;
    final List<AppProcess> apps = new ArrayList<>();
    private final List<AutoCloseable> clients = new ArrayList<>();

    @BeforeAll
    static void startBroker() {
        broker = EmbeddedBroker.builder().port(0).start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @AfterEach
    void killEverything() throws Exception {
        apps.forEach(AppProcess::close);
        for (AutoCloseable c : clients) {
            c.close();
        }
    }

    /** Starts {@code mixstream run} with these settings, logging to {@code dir/app-N.log}. */
    AppProcess start(Path dir, Map<String, String> config) {
        AppProcess app = AppProcess.start(dir.resolve("app-" + (apps.size() + 1) + ".log"),
                CrashTestSupport.runArgs(config));
        apps.add(app);
        return app;
    }

    /** Closes {@code client} after the test. */
    <T extends AutoCloseable> T track(T client) {
        clients.add(client);
        return client;
    }
}
