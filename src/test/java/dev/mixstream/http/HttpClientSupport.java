package dev.mixstream.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** A small HTTP client for the API tests, and the Prometheus text parser they check {@code /metrics} with. */
final class HttpClientSupport {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private HttpClientSupport() {
    }

    /** One answer. */
    record Answer(int status, Map<String, List<String>> headers, byte[] body) {
        String header(String name) {
            for (Map.Entry<String, List<String>> e : headers.entrySet()) {
                if (e.getKey().equalsIgnoreCase(name)) {
                    return e.getValue().get(0);
                }
            }
            return null;
        }

        /** The body of a 200 answer, as JSON (fails on any other status). */
        JsonNode ok() {
            assertEquals(200, status, text());
            return json();
        }

        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + text(), e);
            }
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** Asserts a JSON refusal: the status, the error code, a message, and no stack trace. */
        JsonNode assertError(int expectedStatus, String error) {
            assertEquals(expectedStatus, status, text());
            assertTrue(header("Content-Type").startsWith("application/json"), header("Content-Type"));
            JsonNode n = json();
            assertEquals(error, n.path("error").asText(), text());
            assertTrue(n.path("message").asText().length() > 5, text());
            assertTrue(!text().contains("Exception") && !text().contains("\tat ") && !text().contains("at dev."),
                    "no stack trace: " + text());
            return n;
        }
    }

    /** A port free now. */
    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Answer get(int port, String path, String token) {
        return send(port, path, token, HttpRequest.newBuilder().GET());
    }

    static Answer post(int port, String path, String token, byte[] body) {
        return send(port, path, token, HttpRequest.newBuilder().POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .header("Content-Type", "application/json"));
    }

    static Answer post(int port, String path, String token, String body) {
        return post(port, path, token, body.getBytes(StandardCharsets.UTF_8));
    }

    static Answer send(int port, String path, String token, HttpRequest.Builder request) {
        request.uri(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        try {
            HttpResponse<byte[]> r = CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Answer(r.statusCode(), r.headers().map(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException("HTTP " + path + " on port " + port, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The first event of a server-sent event stream (or the refusal's status with no event). */
    record Event(int status, String name, String data) {
        JsonNode json() {
            try {
                return JSON.readTree(data);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + data, e);
            }
        }
    }

    /** Opens an event stream and reads its first event (within 10 s), then closes it. */
    static Event firstEvent(int port, String path, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Accept", "text/event-stream").timeout(Duration.ofSeconds(10)).GET();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        try {
            HttpResponse<java.util.stream.Stream<String>> r = CLIENT.send(b.build(),
                    HttpResponse.BodyHandlers.ofLines());
            try (java.util.stream.Stream<String> lines = r.body()) {
                if (r.statusCode() != 200) {
                    return new Event(r.statusCode(), null, null);
                }
                String name = null;
                java.util.Iterator<String> it = lines.iterator();
                while (it.hasNext()) {
                    String line = it.next();
                    if (line.startsWith("event:")) {
                        name = line.substring(6).trim();
                    } else if (line.startsWith("data:")) {
                        return new Event(200, name, line.substring(5).trim());
                    }
                }
                throw new AssertionError("the event stream " + path + " ended without an event");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("events " + path + " on port " + port, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** One sample of a Prometheus exposition, as the reference parser read it. */
    record Sample(String name, Map<String, String> labels, double value) {
    }

    private static final String PARSER = String.join("\n",
            "import sys, json",
            "from prometheus_client.parser import text_string_to_metric_families",
            "out = []",
            "for family in text_string_to_metric_families(sys.stdin.read()):",
            "    for s in family.samples:",
            "        out.append({'name': s.name, 'labels': s.labels, 'value': repr(float(s.value))})",
            "print(json.dumps(out))");

    /**
     * The samples of a Prometheus text exposition, parsed by the Prometheus project's own Python client
     * ({@code prometheus_client.parser}, Debian's python3-prometheus-client); an exposition it rejects fails the
     * test.
     */
    static List<Sample> parsePrometheus(String exposition, Path dir) throws Exception {
        Path in = Files.writeString(Files.createTempFile(dir, "metrics", ".txt"), exposition);
        Path script = Files.writeString(Files.createTempFile(dir, "parse", ".py"), PARSER);
        Process p;
        try {
            // Debian's python, where apt installs the parser (not a pyenv or venv python first on the PATH)
            String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
            p = new ProcessBuilder(python, script.toString()).redirectInput(in.toFile()).start();
        } catch (IOException e) {
            throw new AssertionError("python3 is needed to parse /metrics (apt-get install python3 "
                    + "python3-prometheus-client)", e);
        }
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        if (p.exitValue() != 0) {
            if (err.contains("No module named 'prometheus_client'")) {
                fail("the Prometheus parser is missing: apt-get install python3-prometheus-client");
            }
            fail("/metrics is not valid Prometheus text exposition: " + err);
        }
        List<Sample> samples = new ArrayList<>();
        for (JsonNode s : JSON.readTree(out)) {
            Map<String, String> labels = new java.util.TreeMap<>();
            s.get("labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
            samples.add(new Sample(s.get("name").asText(), labels, Double.parseDouble(
                    s.get("value").asText().replace("inf", "Infinity").replace("nan", "NaN"))));
        }
        return samples;
    }

    /** The sum of the samples named {@code name} whose labels include {@code labels}. */
    static double sum(List<Sample> samples, String name, Map<String, String> labels) {
        double total = 0;
        boolean found = false;
        for (Sample s : samples) {
            if (s.name().equals(name) && s.labels().entrySet().containsAll(labels.entrySet())) {
                total += s.value();
                found = true;
            }
        }
        assertTrue(found, "no sample " + name + labels);
        return total;
    }
}
