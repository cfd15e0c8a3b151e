package dev.mixstream.http;

import org.apache.kafka.streams.state.HostInfo;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Requests to another instance's HTTP API ({@code application.server}), carrying this instance's bearer token
 * and the {@value #FORWARDED} header that makes the other instance answer from its own stores only (so a
 * request is forwarded at most once).
 */
final class PeerClient {
    /** Header of a forwarded request: {@code active}, {@code standby} or {@code list}. */
    static final String FORWARDED = "Mixstream-Forwarded";
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private final String authToken;

    /** An answer: status, body, and the instance that served it. */
    record Answer(int status, byte[] body, String servedBy, String servedFrom) {
    }

    PeerClient(String authToken) {
        this.authToken = authToken;
    }

    /**
     * GET {@code path} (query included) on {@code host}.
     *
     * @throws IOException when the instance cannot be reached or does not answer in time
     */
    Answer get(HostInfo host, String path, String forwarded) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + host.host() + ":" + host.port() + path))
                .timeout(Duration.ofSeconds(10)).header(FORWARDED, forwarded).GET();
        if (authToken != null) {
            b.header("Authorization", "Bearer " + authToken);
        }
        try {
            HttpResponse<byte[]> r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Answer(r.statusCode(), r.body(), r.headers().firstValue(ApiServer.SERVED_BY).orElse(null),
                    r.headers().firstValue(ApiServer.SERVED_FROM).orElse(null));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** A path segment, percent-encoded. */
    static String segment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
