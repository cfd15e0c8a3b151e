package dev.mixstream.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DemoCommandTest {
    @Test
    void runsEndToEndOnItsOwnBrokerAndLearnsTheDriftedClusters() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = MixstreamCli.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            port = free.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        // while the demo runs, its dashboard answers at the printed URL and lists the demo's models
        java.util.concurrent.atomic.AtomicBoolean dashboard = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicBoolean listed = new java.util.concurrent.atomic.AtomicBoolean();
        Thread watcher = new Thread(() -> {
            java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
            while (!Thread.currentThread().isInterrupted() && !(dashboard.get() && listed.get())) {
                try {
                    String page = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                            "http://127.0.0.1:" + port + "/")).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                    dashboard.compareAndSet(false, page.contains("<title>mixstream</title>"));
                    String models = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                            "http://127.0.0.1:" + port + "/models?scope=all")).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                    listed.compareAndSet(false, models.contains("\"sensor-a\"") && models.contains("\"sensor-b\""));
                    Thread.sleep(100);
                } catch (java.io.IOException notYet) {
                    // not listening yet, or already stopped
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        watcher.setDaemon(true);
        watcher.start();
        int code = cl.execute("demo", "--points", "12000", "--keys", "2", "--rate", "0", "--plain",
                "--bad-records", "5", "--outliers", "4", "--half-life", "1000", "--http-port", Integer.toString(port));
        watcher.interrupt();
        String text = out.toString();
        assertEquals(0, code, text + err);
        assertTrue(text.contains("dashboard on http://localhost:" + port + "/"), text);
        assertTrue(dashboard.get(), "the dashboard answered while the demo ran");
        assertTrue(listed.get(), "it listed the demo's models");
        assertTrue(text.contains("12,000 points sent, 12,000 answered (exactly one each), 5 dead letters"), text);
        assertTrue(text.contains("learned models vs the true ones after the jump"), text);
        assertTrue(text.contains("answered 12,000 (0 behind)"), "the last frame shows nothing outstanding: " + text);
        Matcher m = Pattern.compile("worst \\|Δμ\\| ([0-9.]+), refits (\\d+)").matcher(text);
        int models = 0;
        while (m.find()) {
            models++;
            assertTrue(Double.parseDouble(m.group(1)) < 0.5, "learned means near the true ones: " + m.group());
            assertTrue(Integer.parseInt(m.group(2)) >= 1, "the jump triggered a re-fit: " + m.group());
        }
        assertEquals(2, models, text);
        // every injected outlier is flagged, and shown with its anomaly fields
        Matcher a = Pattern.compile("anomalies: ([0-9,]+) answers flagged \\(anomaly_score >= 0.999\\): (\\d+) of the "
                + "(\\d+) injected outliers, and ([0-9,]+) other points").matcher(text);
        assertTrue(a.find(), text);
        assertEquals("4", a.group(3));
        assertEquals("4", a.group(2), "all outliers flagged: " + a.group());
        assertTrue(text.contains("\"id\":\"outlier-1\""), text);
        assertTrue(Pattern.compile("\"id\":\"outlier-\\d\",.*\"anomaly\":true,\"anomaly_features\":\\[").matcher(text)
                .find(), text);
        assertTrue(text.contains("anomalies " + a.group(1) + "  DRIFTED"), "the live view counts them too: " + text);
    }

    @Test
    void foreverRefusesTheOptionsItCannotHonour() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = MixstreamCli.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("demo", "--forever", "--points", "1000");
        assertEquals(2, code, out.toString() + err);
        assertTrue(err.toString().startsWith("--points does not apply with --forever"), err.toString());
    }
}
