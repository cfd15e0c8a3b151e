package dev.mixstream.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mixstream.streams.HttpSettings;
import dev.mixstream.streams.MixstreamSettings;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static dev.mixstream.http.HttpClientSupport.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HTTP server on its own (no Kafka): before it serves an application, refusals, the port, the probes' rules. */
class ApiServerTest {
    private static HttpSettings settings(int port, String token) {
        return new HttpSettings(port, "127.0.0.1", "127.0.0.1", token, 1024, 0, 0);
    }

    @Test
    void beforeKafkaStreamsExistsItIsAliveButNotReady() {
        try (ApiServer api = ApiServer.start(settings(0, null), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))) {
            int port = api.port();
            assertTrue(port > 0);
            assertEquals(200, get(port, "/health/live", null).status());
            HttpClientSupport.Answer ready = get(port, "/health/ready", null);
            assertEquals(503, ready.status());
            JsonNode body = ready.json();
            assertEquals("DOWN", body.get("status").asText());
            assertEquals("STARTING", body.get("state").asText());
            assertEquals("starting", body.get("reason").asText());
            get(port, "/models", null).assertError(503, "unavailable");
            get(port, "/models/k", null).assertError(503, "unavailable");
            HttpClientSupport.post(port, "/models/k/score", null, "[1, 2]").assertError(503, "unavailable");
            assertEquals(200, get(port, "/metrics", null).status());
            get(port, "/models/k/view", null).assertError(503, "unavailable");
            get(port, "/instance", null).assertError(503, "unavailable");
            HttpClientSupport.Event e = HttpClientSupport.firstEvent(port, "/models/k/events", null);
            assertEquals("problem", e.name(), "the event stream says why it cannot draw yet");
            assertEquals("unavailable", e.json().get("error").asText());
            get(port, "/nope", null).assertError(404, "not_found");
        }
    }

    @Test
    void theDashboardShipsInTheJarWithItsChartLibrary() {
        try (ApiServer api = ApiServer.start(settings(0, null), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))) {
            int port = api.port();
            HttpClientSupport.Answer page = get(port, "/", null);
            assertEquals(200, page.status());
            assertTrue(page.header("Content-Type").startsWith("text/html"), page.header("Content-Type"));
            java.util.regex.Matcher script = java.util.regex.Pattern.compile("src=\"(/webjars/echarts/[^\"]+)\"")
                    .matcher(page.text());
            assertTrue(script.find(), "the page loads ECharts from its WebJar: " + page.text());
            assertFalse(script.group(1).contains("{{"), "the WebJar's version is filled in: " + script.group(1));
            HttpClientSupport.Answer echarts = get(port, script.group(1), null);
            assertEquals(200, echarts.status(), script.group(1));
            assertTrue(echarts.body().length > 500_000, "the whole library: " + echarts.body().length + " bytes");
            assertFalse(page.text().contains("http://") || page.text().contains("https://"),
                    "nothing from the internet");
            for (String asset : List.of("/assets/dashboard.js", "/assets/dashboard.css", "/assets/favicon.svg")) {
                assertEquals(200, get(port, asset, null).status(), asset);
            }
        }
    }

    @Test
    void aBusyPortIsOneLineSayingWhatToDo() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> ApiServer.start(
                    settings(taken.getLocalPort(), null), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)));
            assertTrue(e.getMessage().startsWith("cannot listen on 127.0.0.1:" + taken.getLocalPort()), e.getMessage());
            assertTrue(e.getMessage().contains("mixstream.http.port"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
    }

    @Test
    void theTokenGuardsAllButTheProbesAndNeverAppearsInSettingsText() {
        HttpSettings s = settings(0, "  t0ken  ");
        assertEquals("t0ken", s.authToken());
        assertFalse(s.toString().contains("t0ken"), s.toString());
        assertNull(settings(0, " ").authToken(), "a blank token is no token");
        MixstreamSettings app = MixstreamSettings.from(Map.of("mixstream.http.auth.token", "s3cr3t-value"));
        assertEquals("s3cr3t-value", app.http().authToken());
        assertFalse(app.toString().contains("s3cr3t"), "the settings' text hides it");
        assertFalse(app.streamsProperties().toString().contains("s3cr3t"), "Kafka (which logs its config) never sees it");
        try (ApiServer api = ApiServer.start(s, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))) {
            int port = api.port();
            get(port, "/metrics", null).assertError(401, "unauthorized");
            get(port, "/metrics", "t0ke").assertError(401, "unauthorized");
            assertEquals(200, get(port, "/metrics", "t0ken").status());
            get(port, "/models", null).assertError(401, "unauthorized");
            // a browser cannot set headers on a page or an event stream: the token may come as ?access_token=
            assertEquals(200, get(port, "/metrics?access_token=t0ken", null).status());
            get(port, "/metrics?access_token=wrong", null).assertError(401, "unauthorized");
            assertEquals(401, HttpClientSupport.firstEvent(port, "/models/k/events", null).status());
            // the dashboard's static files hold no data: served without the token
            assertEquals(200, get(port, "/", null).status());
            assertEquals(200, get(port, "/assets/dashboard.js", null).status());
            assertEquals(200, get(port, "/health/live", null).status());
            assertEquals(503, get(port, "/health/ready", null).status());
        }
    }

    @Test
    void portsAreNumbersOrNone() {
        assertEquals(8080, HttpSettings.port("8080"));
        assertEquals(0, HttpSettings.port(" 0 "));
        assertEquals(HttpSettings.OFF, HttpSettings.port("none"));
        assertEquals(HttpSettings.OFF, HttpSettings.port("NONE"));
        for (String bad : List.of("-1", "65536", "http", "")) {
            assertThrows(IllegalArgumentException.class, () -> HttpSettings.port(bad), bad);
        }
        assertFalse(settings(HttpSettings.OFF, null).enabled());
    }

    @Test
    void healthFollowsTheStreamsState() {
        for (KafkaStreams.State state : KafkaStreams.State.values()) {
            Health h = Health.of(state, 0);
            assertEquals(state.name(), h.state());
            boolean dead = state == KafkaStreams.State.ERROR || state == KafkaStreams.State.PENDING_ERROR
                    || state == KafkaStreams.State.NOT_RUNNING;
            assertEquals(!dead, h.live(), state.name());
            assertEquals(state == KafkaStreams.State.RUNNING, h.ready(), state.name());
            assertEquals(h.ready(), h.reason() == null, state.name());
        }
        Health restoring = Health.of(KafkaStreams.State.RUNNING, 3);
        assertTrue(restoring.live());
        assertFalse(restoring.ready());
        assertEquals("restoring state of 3 partitions", restoring.reason());
        assertEquals("DOWN", restoring.body(false).get("status"));
        assertEquals("UP", Health.of(KafkaStreams.State.RUNNING, 0).body(true).get("status"));
        assertFalse(Health.of(KafkaStreams.State.RUNNING, 0).body(true).containsKey("reason"));
    }

    @Test
    void aBodyIsOnePointOrAnArrayOfPoints() {
        assertNull(ScoringService.split(bytes("[1, 2]")), "a bare vector is one point");
        assertNull(ScoringService.split(bytes("{\"x\": [1, 2]}")), "an object is one point");
        assertNull(ScoringService.split(bytes("  [ ]")), "[] is one (empty) point: the parser says why");
        List<byte[]> points = ScoringService.split(bytes(" [ [1, 2], {\"x\": [3, 4], \"id\": \"a,b\"} ,[5,6]] "));
        assertEquals(3, points.size());
        assertEquals("[1, 2]", new String(points.get(0), StandardCharsets.UTF_8));
        assertEquals("{\"x\": [3, 4], \"id\": \"a,b\"}", new String(points.get(1), StandardCharsets.UTF_8));
        assertEquals("[5,6]", new String(points.get(2), StandardCharsets.UTF_8));
        for (String bad : List.of("[[1, 2], [3, 4]", "[[1, 2]] x", "[[1, 2],, [3]]")) {
            ApiException e = assertThrows(ApiException.class, () -> ScoringService.split(bytes(bad)), bad);
            assertEquals(ApiError.INVALID_POINT, e.error());
            assertEquals("malformed_json", e.body().get("reason"), bad);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
