package dev.mixstream.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.mixstream.snapshot.SnapshotJson;
import dev.mixstream.streams.HttpSettings;
import dev.mixstream.streams.MixstreamSettings;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;

/**
 * The HTTP API of a running instance (README "HTTP API"), on Javalin (Jetty):
 * <pre>
 *   GET  /models                 models held here (paginated: ?after=&lt;key&gt;&amp;limit=N); ?scope=all: every instance's
 *   GET  /models/{key}           the model's latest snapshot, from whichever instance holds it
 *   POST /models/{key}/score     points scored by the model without learning
 *   GET  /metrics                Prometheus text exposition
 *   GET  /health/live            200 unless Kafka Streams is dead (503 and a JSON reason)
 *   GET  /health/ready           200 when RUNNING with its state restored (else 503 and a JSON reason)
 * </pre>
 * The server starts before Kafka Streams (so that its port, possibly a free one, is known for
 * {@code application.server}) and answers 503 until {@link #serve} hands it the running application. Every
 * refusal is a JSON {@code {"error": …, "message": …}} ({@link ApiError}); no request can reach or stop the
 * stream threads: queries read the stores through Kafka Streams' interactive queries.
 */
public final class ApiServer implements AutoCloseable {
    /** Response header: the instance ({@code application.server}) whose store answered. */
    public static final String SERVED_BY = "Mixstream-Served-By";
    /** Response header: {@code active}, or {@code standby} when the answer comes from a standby copy. */
    public static final String SERVED_FROM = "Mixstream-Served-From";
    /** Response header of a score: the {@code updated_at} of the snapshot that scored the points. */
    public static final String MODEL_UPDATED_AT = "Mixstream-Model-Updated-At";
    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    private static final int DEFAULT_PAGE = 100;
    private static final int MAX_PAGE = 10_000;
    private static final String JSON = "application/json";
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpSettings settings;
    private final PrometheusMeterRegistry registry;
    private final Javalin server;
    private volatile Serving serving;

    /** What the API answers from once Kafka Streams exists. */
    private record Serving(KafkaStreams streams, RestoreTracker restoring, ModelQueries queries, ScoringService scoring) {
    }

    private ApiServer(HttpSettings settings, PrometheusMeterRegistry registry) {
        this.settings = settings;
        this.registry = registry;
        this.server = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.http.maxRequestSize = settings.maxBodyBytes();
            config.http.prefer405over404 = true;
            config.jetty.host = settings.host();
            config.jetty.port = settings.port();
            config.routes.before(this::authenticate);
            config.routes.get("/models", this::listModels);
            config.routes.get("/models/{key}", this::getModel);
            config.routes.post("/models/{key}/score", this::score);
            config.routes.get("/metrics", this::metrics);
            config.routes.get("/health/live", ctx -> health(ctx, false));
            config.routes.get("/health/ready", ctx -> health(ctx, true));
            config.routes.exception(ApiException.class, (e, ctx) -> refuse(ctx, e));
            config.routes.exception(HttpResponseException.class, (e, ctx) -> refuse(ctx, translate(e)));
            config.routes.exception(Exception.class, (e, ctx) -> {
                LOG.warn("HTTP {} {} failed", ctx.method(), ctx.path(), e);
                refuse(ctx, new ApiException(ApiError.INTERNAL, "internal error: " + e.getClass().getSimpleName()));
            });
            config.routes.error(404, ctx -> {
                if (ctx.result() == null) {
                    refuse(ctx, new ApiException(ApiError.NOT_FOUND, "no such path: " + ctx.path()));
                }
            });
            config.routes.error(405, ctx -> refuse(ctx, new ApiException(ApiError.METHOD_NOT_ALLOWED,
                    ctx.method() + " is not allowed on " + ctx.path())));
        });
    }

    /**
     * Starts the server on the configured address and port (0: any free one).
     *
     * @throws IllegalStateException when the port cannot be bound (one line saying which and how to fix it)
     */
    public static ApiServer start(HttpSettings settings, PrometheusMeterRegistry registry) {
        ApiServer api = new ApiServer(settings, registry);
        try {
            api.server.start();
        } catch (RuntimeException e) {
            Throwable cause = e;
            while (cause.getCause() != null) {
                cause = cause.getCause();
            }
            throw new IllegalStateException("cannot listen on " + settings.host() + ":" + settings.port() + " ("
                    + cause.getMessage() + "); set mixstream.http.port to a free port, or none to run without "
                    + "the HTTP API", e);
        }
        return api;
    }

    /** The port listened on. */
    public int port() {
        return server.port();
    }

    /**
     * Serves the application from now on.
     *
     * @param self       this instance's {@code application.server}
     * @param partitions the points topic's partitions
     */
    public void serve(KafkaStreams streams, RestoreTracker restoring, HostInfo self, int partitions,
                      MixstreamSettings app) {
        ModelQueries queries = new ModelQueries(streams, self, partitions, new PeerClient(settings.authToken()));
        serving = new Serving(streams, restoring, queries,
                new ScoringService(queries, app.maxValueBytes(), app.maxDimension()));
    }

    private Serving serving() {
        Serving s = serving;
        if (s == null) {
            throw new ApiException(ApiError.UNAVAILABLE, "starting; retry");
        }
        return s;
    }

    private void authenticate(Context ctx) {
        String token = settings.authToken();
        if (token == null || ctx.path().startsWith("/health/")) {
            return;
        }
        String given = ctx.header("Authorization");
        byte[] expected = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
        if (given == null || !MessageDigest.isEqual(expected, given.getBytes(StandardCharsets.UTF_8))) {
            ctx.header("WWW-Authenticate", "Bearer");
            throw new ApiException(ApiError.UNAUTHORIZED, given == null
                    ? "this API requires Authorization: Bearer <token> (mixstream.http.auth.token)"
                    : "wrong bearer token");
        }
    }

    private void listModels(Context ctx) throws JsonProcessingException {
        String after = ctx.queryParam("after");
        if (after != null && after.isEmpty()) {
            after = null;
        }
        int limit = DEFAULT_PAGE;
        String l = ctx.queryParam("limit");
        if (l != null) {
            try {
                limit = Integer.parseInt(l.trim());
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > MAX_PAGE) {
                throw new ApiException(ApiError.INVALID_PARAMETER, "limit must be an integer in [1, " + MAX_PAGE
                        + "], got '" + l + "'");
            }
        }
        String scope = ctx.queryParam("scope");
        boolean all;
        if (scope == null || scope.equals("local")) {
            all = false;
        } else if (scope.equals("all")) {
            all = true;
        } else {
            throw new ApiException(ApiError.INVALID_PARAMETER, "scope must be local or all, got '" + scope + "'");
        }
        Serving s = serving();
        boolean forwarded = ctx.header(PeerClient.FORWARDED) != null;
        ModelPage page = all && !forwarded ? s.queries().allPages(after, limit) : s.queries().localPage(after, limit);
        json(ctx, 200, SnapshotJson.mapper().writeValueAsBytes(page));
    }

    private void getModel(Context ctx) {
        String key = ctx.pathParam("key");
        Serving s = serving();
        String forwarded = ctx.header(PeerClient.FORWARDED);
        ModelQueries.Located m = forwarded == null ? s.queries().snapshot(key)
                : s.queries().local(key, s.queries().partitionOf(key), "standby".equals(forwarded));
        ctx.header(SERVED_BY, m.servedBy()).header(SERVED_FROM, m.standby() ? "standby" : "active");
        json(ctx, 200, m.json());
    }

    private void score(Context ctx) throws JsonProcessingException {
        String key = ctx.pathParam("key");
        if (ctx.contentLength() > settings.maxBodyBytes()) {
            throw tooLarge(ctx.contentLength());
        }
        byte[] body = ctx.bodyAsBytes();
        if (body.length > settings.maxBodyBytes()) {
            throw tooLarge(body.length);
        }
        ScoringService.Scored scored = serving().scoring().score(key, body);
        ctx.header(SERVED_BY, scored.model().servedBy())
                .header(SERVED_FROM, scored.model().standby() ? "standby" : "active");
        if (scored.updatedAt() != null) {
            ctx.header(MODEL_UPDATED_AT, Long.toString(scored.updatedAt()));
        }
        json(ctx, 200, SnapshotJson.mapper().writeValueAsBytes(scored.body()));
    }

    private ApiException tooLarge(long size) {
        return new ApiException(ApiError.BODY_TOO_LARGE, "request body " + (size >= 0 ? "of " + size + " bytes " : "")
                + "exceeds mixstream.http.max.body.bytes=" + settings.maxBodyBytes());
    }

    private void metrics(Context ctx) {
        ctx.status(200).contentType(PROMETHEUS_TEXT).result(registry.scrape());
    }

    private void health(Context ctx, boolean readiness) throws JsonProcessingException {
        Serving s = serving;
        Health h = s == null ? Health.of(null, 0) : Health.of(s.streams().state(), s.restoring().restoring());
        boolean up = readiness ? h.ready() : h.live();
        json(ctx, up ? 200 : 503, SnapshotJson.mapper().writeValueAsBytes(h.body(up)));
    }

    private ApiException translate(HttpResponseException e) {
        return switch (e.getStatus()) {
            case 413 -> tooLarge(-1);
            case 404 -> new ApiException(ApiError.NOT_FOUND, e.getMessage());
            case 405 -> new ApiException(ApiError.METHOD_NOT_ALLOWED, e.getMessage());
            case 401 -> new ApiException(ApiError.UNAUTHORIZED, e.getMessage());
            default -> e.getStatus() >= 500 ? new ApiException(ApiError.INTERNAL, e.getMessage())
                    : new ApiException(ApiError.INVALID_PARAMETER, e.getMessage());
        };
    }

    private static void refuse(Context ctx, ApiException e) {
        Map<String, Object> body = e.body();
        byte[] bytes;
        try {
            bytes = SnapshotJson.mapper().writeValueAsBytes(body);
        } catch (JsonProcessingException impossible) {
            bytes = ("{\"error\":\"" + e.error().wireName() + "\"}").getBytes(StandardCharsets.UTF_8);
        }
        json(ctx, e.error().status(), bytes);
    }

    private static void json(Context ctx, int status, byte[] body) {
        ctx.status(status).contentType(JSON).result(body);
    }

    /** Stops the server (after Kafka Streams has stopped, so probes see the shutdown). */
    @Override
    public void close() {
        server.stop();
    }
}
