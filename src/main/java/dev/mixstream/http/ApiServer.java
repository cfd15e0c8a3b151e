package dev.mixstream.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.mixstream.dashboard.ModelViews;
import dev.mixstream.dashboard.Projection;
import dev.mixstream.dashboard.RecentActivity;
import dev.mixstream.snapshot.SnapshotJson;
import dev.mixstream.streams.HttpSettings;
import dev.mixstream.streams.MixstreamMetrics;
import dev.mixstream.streams.MixstreamSettings;
import dev.mixstream.streams.RejectReason;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.sse.SseClient;
import io.javalin.http.staticfiles.Location;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP API of a running instance (README "HTTP API"), on Javalin (Jetty):
 * <pre>
 *   GET  /models                 models held here (paginated: ?after=&lt;key&gt;&amp;limit=N); ?scope=all: every instance's
 *   GET  /models/{key}           the model's latest snapshot, from whichever instance holds it
 *   POST /models/{key}/score     points scored by the model without learning
 *   GET  /models/{key}/view      what the dashboard draws of the model (?projection=coordinates&amp;x=i&amp;y=j, or
 *                                principal_axes), from whichever instance holds it
 *   GET  /models/{key}/events    the same view once a second, as server-sent events ({@code view}, or
 *                                {@code problem} with an error body while it cannot be drawn)
 *   GET  /instance               this instance's state, throughput, dead letters by reason, models, lag, members
 *   GET  /                       the dashboard (static files under /assets and /webjars, no token needed)
 *   GET  /metrics                Prometheus text exposition
 *   GET  /health/live            200 unless Kafka Streams is dead (503 and a JSON reason)
 *   GET  /health/ready           200 when RUNNING with its state restored (else 503 and a JSON reason)
 * </pre>
 * The server starts before Kafka Streams (so that its port, possibly a free one, is known for
 * {@code application.server}) and answers 503 until {@link #serve} hands it the running application. Every
 * refusal is a JSON {@code {"error": …, "message": …}} ({@link ApiError}); no request can reach or stop the
 * stream threads: queries read the stores through Kafka Streams' interactive queries. With a bearer token set,
 * a request may also carry it as the {@code access_token} query parameter (RFC 6750 §2.3): a browser's page and
 * its event stream cannot send headers.
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
    /** How often the dashboard's event streams get a new view, and the throughput a sample. */
    static final long TICK_MS = 1000;
    private static final String DASHBOARD = "/dashboard/index.html";

    private final HttpSettings settings;
    private final PrometheusMeterRegistry registry;
    private final Javalin server;
    private final byte[] dashboard;
    /** Ticks the event streams and the throughput samples. */
    private final ScheduledExecutorService ticker = Executors.newScheduledThreadPool(2, r -> {
        Thread t = new Thread(r, "mixstream-dashboard");
        t.setDaemon(true);
        return t;
    });
    private volatile Serving serving;

    /** What the API answers from once Kafka Streams exists. */
    private record Serving(KafkaStreams streams, RestoreTracker restoring, ModelQueries queries, ScoringService scoring,
                           ModelViews views, MixstreamMetrics metrics, Throughput throughput, MixstreamSettings app,
                           HostInfo self) {
    }

    private ApiServer(HttpSettings settings, PrometheusMeterRegistry registry) {
        this.settings = settings;
        this.registry = registry;
        this.dashboard = dashboardPage();
        this.server = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.http.maxRequestSize = settings.maxBodyBytes();
            config.http.prefer405over404 = true;
            config.jetty.host = settings.host();
            config.jetty.port = settings.port();
            config.staticFiles.enableWebjars();
            config.staticFiles.add(files -> {
                files.hostedPath = "/assets";
                files.directory = "/dashboard/assets";
                files.location = Location.CLASSPATH;
            });
            config.routes.before(this::authenticate);
            config.routes.get("/", ctx -> ctx.status(200).contentType("text/html; charset=utf-8").result(dashboard));
            config.routes.get("/models", this::listModels);
            config.routes.get("/models/{key}", this::getModel);
            config.routes.post("/models/{key}/score", this::score);
            config.routes.get("/models/{key}/view", this::view);
            config.routes.sse("/models/{key}/events", this::events);
            config.routes.get("/instance", this::instance);
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
                      MixstreamSettings app, MixstreamMetrics metrics, RecentActivity activity) {
        ModelQueries queries = new ModelQueries(streams, self, partitions, new PeerClient(settings.authToken()));
        Throughput throughput = new Throughput(metrics::recordsProcessed);
        serving = new Serving(streams, restoring, queries,
                new ScoringService(queries, app.maxValueBytes(), app.maxDimension()), new ModelViews(activity),
                metrics, throughput, app, self);
        ticker.scheduleAtFixedRate(() -> throughput.sample(System.currentTimeMillis()), 0, TICK_MS,
                TimeUnit.MILLISECONDS);
    }

    /** The dashboard's page, naming the ECharts files of the WebJar on the class path. */
    private static byte[] dashboardPage() {
        try (InputStream page = ApiServer.class.getResourceAsStream(DASHBOARD);
             InputStream pom = ApiServer.class.getResourceAsStream(
                     "/META-INF/maven/org.webjars.npm/echarts/pom.properties")) {
            if (page == null || pom == null) {
                throw new IllegalStateException("the dashboard's files are missing from the class path");
            }
            Properties p = new Properties();
            p.load(pom);
            return new String(page.readAllBytes(), StandardCharsets.UTF_8)
                    .replace("{{echarts.version}}", p.getProperty("version")).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the dashboard's files: " + e.getMessage(), e);
        }
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
        String path = ctx.path();
        if (token == null || path.startsWith("/health/") || path.equals("/") || path.startsWith("/assets/")
                || path.startsWith("/webjars/")) {
            return; // probes, and the dashboard's static files (they hold no data)
        }
        String given = ctx.header("Authorization");
        String inQuery = ctx.queryParam("access_token");
        if (given == null && inQuery != null) {
            given = "Bearer " + inQuery;
        }
        byte[] expected = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
        if (given == null || !MessageDigest.isEqual(expected, given.getBytes(StandardCharsets.UTF_8))) {
            ctx.header("WWW-Authenticate", "Bearer");
            throw new ApiException(ApiError.UNAUTHORIZED, given == null
                    ? "this API requires Authorization: Bearer <token>, or ?access_token=<token> "
                    + "(mixstream.http.auth.token)"
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
        String search = ctx.queryParam("q");
        if (search != null && search.isBlank()) {
            search = null;
        }
        Serving s = serving();
        boolean forwarded = ctx.header(PeerClient.FORWARDED) != null;
        ModelPage page = all && !forwarded ? s.queries().allPages(after, limit, search)
                : s.queries().localPage(after, limit, search);
        json(ctx, 200, SnapshotJson.mapper().writeValueAsBytes(page));
    }

    private void getModel(Context ctx) {
        String key = ctx.pathParam("key");
        Serving s = serving();
        ModelQueries.Located m = s.queries().answer(key, ctx.header(PeerClient.FORWARDED),
                "/models/" + PeerClient.segment(key), s.queries()::localSnapshot);
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

    private void view(Context ctx) {
        ModelQueries.Located v = locateView(ctx.pathParam("key"), plane(ctx), ctx.header(PeerClient.FORWARDED));
        ctx.header(SERVED_BY, v.servedBy()).header(SERVED_FROM, v.standby() ? "standby" : "active");
        json(ctx, 200, v.json());
    }

    /** The model's view from whichever instance holds it ({@code forwarded}: a peer asks for this instance's). */
    private ModelQueries.Located locateView(String key, ModelViews.PlaneRequest plane, String forwarded) {
        Serving s = serving();
        String path = "/models/" + PeerClient.segment(key) + "/view" + planeQuery(plane);
        return s.queries().answer(key, forwarded, path, (model, partition, standby) -> {
            byte[] snapshot = s.queries().localSnapshot(model, partition, standby);
            try {
                return SnapshotJson.mapper().writeValueAsBytes(s.views().view(model, SnapshotJson.fromBytes(snapshot),
                        plane, System.currentTimeMillis()));
            } catch (IllegalArgumentException e) {
                throw new ApiException(ApiError.INVALID_PARAMETER, e.getMessage());
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** The plane asked for: ?projection=coordinates&amp;x=i&amp;y=j, ?projection=principal_axes, or the default. */
    private static ModelViews.PlaneRequest plane(Context ctx) {
        String p = ctx.queryParam("projection");
        if (p == null || p.isBlank()) {
            return ModelViews.PlaneRequest.DEFAULT;
        }
        Projection.Kind kind = Projection.Kind.of(p.trim());
        if (kind == null) {
            throw new ApiException(ApiError.INVALID_PARAMETER, "projection must be coordinates or principal_axes, got '"
                    + p + "'");
        }
        return new ModelViews.PlaneRequest(kind, index(ctx, "x", 0), index(ctx, "y", 1));
    }

    private static int index(Context ctx, String name, int byDefault) {
        String v = ctx.queryParam(name);
        if (v == null) {
            return byDefault;
        }
        try {
            int i = Integer.parseInt(v.trim());
            if (i >= 0) {
                return i;
            }
        } catch (NumberFormatException ignored) {
            // said below
        }
        throw new ApiException(ApiError.INVALID_PARAMETER, name + " must be a coordinate index >= 0, got '" + v + "'");
    }

    private static String planeQuery(ModelViews.PlaneRequest r) {
        if (r.kind() == null) {
            return "";
        }
        return "?projection=" + r.kind().wireName()
                + (r.kind() == Projection.Kind.COORDINATES ? "&x=" + r.x() + "&y=" + r.y() : "");
    }

    /** A model's view once a second as server-sent events, until the client leaves or the server stops. */
    private void events(SseClient client) {
        String key = client.ctx().pathParam("key");
        ModelViews.PlaneRequest plane;
        try {
            plane = plane(client.ctx());
        } catch (ApiException e) {
            problem(client, e);
            client.close();
            return;
        }
        client.keepAlive();
        ScheduledFuture<?>[] task = new ScheduledFuture<?>[1];
        task[0] = ticker.scheduleWithFixedDelay(() -> {
            if (client.terminated()) {
                task[0].cancel(false);
                return;
            }
            try {
                client.sendEvent("view", new String(locateView(key, plane, null).json(), StandardCharsets.UTF_8));
            } catch (ApiException e) {
                problem(client, e);
            } catch (RuntimeException e) {
                LOG.warn("dashboard events of model {} failed", key, e);
                problem(client, new ApiException(ApiError.INTERNAL, "internal error: " + e.getClass().getSimpleName()));
            }
        }, 0, TICK_MS, TimeUnit.MILLISECONDS);
        client.onClose(() -> task[0].cancel(false));
    }

    private static void problem(SseClient client, ApiException e) {
        try {
            client.sendEvent("problem", SnapshotJson.mapper().writeValueAsString(e.body()));
        } catch (JsonProcessingException impossible) {
            client.sendEvent("problem", "{\"error\":\"" + e.error().wireName() + "\"}");
        }
    }

    private void instance(Context ctx) throws JsonProcessingException {
        Serving s = serving();
        KafkaStreams.State state = s.streams().state();
        Health h = Health.of(state, s.restoring().restoring());
        Map<String, Long> deadLetters = new LinkedHashMap<>();
        for (Map.Entry<RejectReason, Long> e : s.metrics().deadLettersByReason().entrySet()) {
            deadLetters.put(e.getKey().wireName(), e.getValue());
        }
        List<InstanceStatus.Member> members = new ArrayList<>();
        try {
            for (StreamsMetadata m : s.streams().metadataForAllStreamsClients()) {
                members.add(new InstanceStatus.Member(ModelQueries.name(m.hostInfo()),
                        partitions(m.topicPartitions(), s.app().pointsTopic()),
                        partitions(m.standbyTopicPartitions(), s.app().pointsTopic())));
            }
        } catch (IllegalStateException e) {
            // not running: no members to name
        }
        members.sort(java.util.Comparator.comparing(InstanceStatus.Member::instance));
        InstanceStatus status = new InstanceStatus(s.app().kafka().get("application.id"), ModelQueries.name(s.self()),
                h.state(), h.ready(), h.reason(), s.metrics().recordsProcessed(), s.throughput().rate(),
                s.throughput().history(), deadLetters, s.metrics().anomalies(), s.metrics().models(false),
                s.metrics().models(true), s.metrics().pointsLag(), members);
        json(ctx, 200, SnapshotJson.mapper().writeValueAsBytes(status));
    }

    private static List<Integer> partitions(Set<TopicPartition> tps, String topic) {
        List<Integer> p = new ArrayList<>();
        for (TopicPartition tp : tps) {
            if (tp.topic().equals(topic)) {
                p.add(tp.partition());
            }
        }
        p.sort(null);
        return p;
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
        ticker.shutdownNow();
        server.stop();
    }
}
