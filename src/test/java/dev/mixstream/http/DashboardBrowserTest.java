package dev.mixstream.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mixstream.broker.EmbeddedBroker;
import dev.mixstream.broker.KafkaTestClients;
import dev.mixstream.streams.MixstreamApp;
import dev.mixstream.streams.MixstreamSettings;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.logging.Level;

import static dev.mixstream.http.HttpClientSupport.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The dashboard in a real browser: headless Chromium (Debian's chromium and chromium-driver, which {@code .ci/run}
 * installs) driven by Selenium against {@code run}'s application on the in-JVM broker, its bearer token given in
 * the page's URL. The overview lists the keys and searches them; a model's view draws K components exactly where
 * the snapshot puts them (means, and 1σ ellipses on the snapshot's covariances), its recent points, and follows new
 * points and a drift live; an unknown model says so; K = 16, D = 64 draws in principal axes and in any coordinate
 * pair. Screenshots of the overview and of a drifting model go to {@code target/dashboard/} (README shows copies).
 */
@Timeout(300)
class DashboardBrowserTest {
    private static final String TOKEN = "dashboard-token";
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Path SHOTS = Path.of("target", "dashboard");
    private static final List<String> KEYS = List.of("fan-1", "pump-1", "pump-2");
    private static final double[][] CENTRES = {{-5, 0}, {5, 0}, {0, 6}};
    private static final double[] JUMP = {9, 9};
    private static EmbeddedBroker broker;
    private ChromeDriver browser;

    @BeforeAll
    static void startBroker() {
        broker = EmbeddedBroker.builder().port(0).start();
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @BeforeEach
    void startBrowser() {
        for (String exe : new String[]{"/usr/bin/chromium", "/usr/bin/chromedriver"}) {
            if (!Files.isExecutable(Path.of(exe))) {
                fail(exe + " is missing: apt-get install chromium chromium-driver (.ci/run does)");
            }
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,1300");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File("/usr/bin/chromedriver")).build();
        browser = new ChromeDriver(service, options);
    }

    @AfterEach
    void stopBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    private static MixstreamSettings settings(String prefix, Path stateDir, Map<String, String> overrides) {
        Map<String, String> p = new HashMap<>(Map.of("mixstream.topics.partitions", "2",
                "mixstream.snapshot.every.points", "50", "mixstream.snapshot.interval.ms", "300",
                "mixstream.http.auth.token", TOKEN));
        p.putAll(overrides);
        return MixstreamSettings.from(HttpApiTest.config(broker.bootstrapServers(), prefix, stateDir, 0, p));
    }

    @Test
    void overviewListsAndSearchesTheKeysAndAModelIsDrawnWhereItsSnapshotSaysAndFollowsADrift(@TempDir Path dir)
            throws Exception {
        MixstreamSettings s = settings("dash", dir, Map.of("mixstream.components", "3", "mixstream.warmup", "90",
                "mixstream.half.life", "150"));
        try (MixstreamApp app = MixstreamApp.start(s)) {
            assertTrue(app.awaitRunning(WAIT), "running");
            int port = app.httpPort();
            SplittableRandom rng = new SplittableRandom(7);
            produce(s.pointsTopic(), 600, new double[2], rng, 0);
            try (KafkaProducer<String, String> p = producer()) {
                for (String bad : List.of("{oops", "[1, \"two\"]", "[1, 2, 3]")) {
                    p.send(new ProducerRecord<>(s.pointsTopic(), "pump-2", bad));
                }
            }
            for (String k : KEYS) {
                awaitPointsSeen(port, k, 600);
            }

            // overview: every key, then a search
            browser.get("http://127.0.0.1:" + port + "/?access_token=" + TOKEN);
            waitFor("the model list shows the three keys", () -> rowKeys().equals(new TreeSet<>(KEYS)));
            waitFor("the instance cards show the records processed", () -> browser.findElement(
                    By.cssSelector("#card-processed .value")).getText().replace(",", "").equals("1803"));
            waitFor("the dead letters are listed by reason", () -> deadLetterRows().equals(
                    Map.of("malformed_json", "1", "not_a_vector", "1", "wrong_dimension", "1")));
            browser.findElement(By.id("search")).sendKeys("pump");
            waitFor("the search keeps the pumps", () -> rowKeys().equals(new TreeSet<>(List.of("pump-1", "pump-2"))));
            browser.findElement(By.id("search")).clear();
            browser.findElement(By.id("search")).sendKeys(" ");
            waitFor("an empty search lists all again", () -> rowKeys().size() == 3);

            // one model: drawn where its snapshot says
            browser.get("http://127.0.0.1:" + port + "/?access_token=" + TOKEN + "#/model/pump-1");
            waitFor("the model view draws pump-1 at 600 points", () -> drawnPointsSeen() == 600);
            JsonNode snapshot = get(port, "/models/pump-1", TOKEN).ok();
            assertDrawnAsSnapshot(snapshot, 0, 1);
            assertEquals(300, drawnPoints(), "the recent points held (mixstream.dashboard.recent.points)");
            long views = views();

            // live: new points arrive and every cluster jumps; the drawn model follows without a reload
            Thread producer = new Thread(() -> produce(s.pointsTopic(), 900, JUMP, new SplittableRandom(8), 6));
            producer.start();
            waitFor("new points drawn", () -> drawnPointsSeen() > 650);
            waitFor("the drift is drawn: the newest points lie around the jumped clusters",
                    () -> newestPointsNear(JUMP, 40));
            shoot("model-drift.png");
            producer.join();
            awaitPointsSeen(port, "pump-1", 1500);
            waitFor("the model view shows the last snapshot", () -> drawnPointsSeen() == 1500);
            assertTrue(views() > views + 3, "views streamed: " + views + " -> " + views());
            assertDrawnAsSnapshot(get(port, "/models/pump-1", TOKEN).ok(), 0, 1);
            for (JsonNode mean : drawnMeans()) {
                assertTrue(nearestCentre(mean.get(0).asDouble(), mean.get(1).asDouble(), JUMP) < 1.5,
                        "each drawn mean follows a jumped cluster: " + mean);
            }
            assertEquals(300, drawnPoints());
            assertTrue(browser.getCurrentUrl().endsWith("#/model/pump-1"), "no reload or navigation");

            // back to the overview, which now shows the points since, the throughput history and the re-fits
            browser.findElement(By.linkText("‹ all models")).click();
            waitFor("the overview shows every point", () -> browser.findElement(
                    By.cssSelector("#card-processed .value")).getText().replace(",", "").equals("4503"));
            waitFor("the model list shows the new points", () -> parse(script("return JSON.stringify("
                    + "window.mixstreamDashboard.page.models.map(function (m) { return m.points_seen; }))"))
                    .toString().equals("[1500,1500,1500]"));
            shoot("overview.png");

            // a model no instance has
            browser.get("http://127.0.0.1:" + port + "/?access_token=" + TOKEN + "#/model/no-such-model");
            waitFor("an unknown model is said to be unknown",
                    () -> browser.findElement(By.id("model-status")).getText().contains("no such model"));
            assertNoBrowserErrors();
        }
    }

    @Test
    void sixteenComponentsInSixtyFourDimensionsDrawInPrincipalAxesAndAnyCoordinatePair(@TempDir Path dir)
            throws Exception {
        int k = 16;
        int d = 64;
        MixstreamSettings s = settings("dash64", dir, Map.of("mixstream.components", Integer.toString(k),
                "mixstream.warmup", "400", "mixstream.covariance.type", "diag"));
        try (MixstreamApp app = MixstreamApp.start(s)) {
            assertTrue(app.awaitRunning(WAIT), "running");
            int port = app.httpPort();
            SplittableRandom rng = new SplittableRandom(3);
            double[][] centres = new double[k][d];
            for (double[] c : centres) {
                for (int i = 0; i < d; i++) {
                    c[i] = 8 * rng.nextGaussian();
                }
            }
            int n = 1600;
            try (KafkaProducer<String, String> p = producer()) {
                for (int j = 0; j < n; j++) {
                    double[] c = centres[j % k];
                    StringBuilder v = new StringBuilder("[");
                    for (int i = 0; i < d; i++) {
                        v.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.4f", c[i] + rng.nextGaussian()));
                    }
                    p.send(new ProducerRecord<>(s.pointsTopic(), "wide", v.append(']').toString()));
                }
            }
            awaitPointsSeen(port, "wide", n);
            browser.get("http://127.0.0.1:" + port + "/?access_token=" + TOKEN + "#/model/wide");
            waitFor("the 64-D model is drawn", () -> drawnPointsSeen() == n);
            JsonNode view = parse(script("return JSON.stringify(window.mixstreamDashboard.view)"));
            assertEquals("principal_axes", view.path("projection").path("kind").asText(), "the default for D > 2");
            assertTrue(view.path("projection").path("labels").get(0).asText().startsWith("PC1"));
            assertEquals(k, drawnMeans().size(), "K means drawn");
            assertEquals(2 * k, ellipseSeries().size(), "a 1σ and a 2σ ellipse per component");
            long before = views();
            waitFor("views keep streaming (the page is not frozen)", () -> views() >= before + 3);
            System.out.printf(Locale.ROOT, "dashboard, K=%d D=%d: last draw took %.1f ms in headless Chromium%n", k, d,
                    ((Number) script("return window.mixstreamDashboard.lastDrawMs")).doubleValue());

            // a coordinate pair chosen in the page: the drawn means are the snapshot's coordinates 3 and 7
            new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("plane"))).selectByValue("coordinates");
            new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("axis-x"))).selectByValue("3");
            new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("axis-y"))).selectByValue("7");
            waitFor("the view switches to x[3], x[7]", () -> {
                JsonNode v = parse(script("return JSON.stringify(window.mixstreamDashboard.view.projection)"));
                return v.path("kind").asText().equals("coordinates") && v.path("coordinates").get(0).asInt() == 3
                        && v.path("coordinates").get(1).asInt() == 7;
            });
            assertDrawnAsSnapshot(get(port, "/models/wide", TOKEN).ok(), 3, 7);
            assertNoBrowserErrors();
        }
    }

    // ------------------------------------------------------------------------------------------------ the page

    private Object script(String js) {
        return ((JavascriptExecutor) browser).executeScript(js);
    }

    private static JsonNode parse(Object text) {
        try {
            return HttpClientSupport.JSON.readTree((String) text);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    /** The scatter chart's series as ECharts holds them (what it draws). */
    private JsonNode drawnSeries() {
        return parse(script("var c = echarts.getInstanceByDom(document.getElementById('scatter'));"
                + "return c ? JSON.stringify(c.getOption().series.map(function (s) {"
                + "  return {id: s.id, data: s.data}; })) : '[]';"));
    }

    private List<JsonNode> drawnMeans() {
        for (JsonNode s : drawnSeries()) {
            if (s.path("id").asText().equals("means")) {
                List<JsonNode> means = new ArrayList<>();
                s.path("data").forEach(m -> means.add(m.path("value")));
                return means;
            }
        }
        return List.of();
    }

    private List<JsonNode> ellipseSeries() {
        List<JsonNode> e = new ArrayList<>();
        for (JsonNode s : drawnSeries()) {
            if (s.path("id").asText().startsWith("sigma")) {
                e.add(s);
            }
        }
        return e;
    }

    /** Points drawn: the component series and the flagged ones. */
    private int drawnPoints() {
        int n = 0;
        for (JsonNode s : drawnSeries()) {
            String id = s.path("id").asText();
            if (id.startsWith("points-") || id.equals("flagged")) {
                n += s.path("data").size();
            }
        }
        return n;
    }

    private long drawnPointsSeen() {
        Object v = script("var v = window.mixstreamDashboard && window.mixstreamDashboard.view;"
                + "return v ? v.points_seen : -1;");
        return ((Number) v).longValue();
    }

    private long views() {
        return ((Number) script("return window.mixstreamDashboard.views")).longValue();
    }

    /** Whether most of the newest {@code n} drawn points lie around the clusters moved by {@code shift}. */
    private boolean newestPointsNear(double[] shift, int n) {
        JsonNode points = parse(script("return JSON.stringify(window.mixstreamDashboard.view.recent.points.slice(-" + n
                + "))"));
        int near = 0;
        for (JsonNode p : points) {
            if (nearestCentre(p.get(0).asDouble(), p.get(1).asDouble(), shift) < 3) {
                near++;
            }
        }
        return points.size() == n && near >= 0.9 * n;
    }

    private static double nearestCentre(double x, double y, double[] shift) {
        double best = Double.MAX_VALUE;
        for (double[] c : CENTRES) {
            best = Math.min(best, Math.hypot(x - c[0] - shift[0], y - c[1] - shift[1]));
        }
        return best;
    }

    /** The dead-letters table: reason → count, as shown. */
    private Map<String, String> deadLetterRows() {
        Map<String, String> rows = new HashMap<>();
        parse(script("return JSON.stringify(Array.from(document.querySelectorAll('#dead-letters tbody tr'))"
                + ".map(function (r) { return Array.from(r.cells).map(function (c) { return c.textContent; }); }))"))
                .forEach(r -> rows.put(r.get(0).asText(), r.size() > 1 ? r.get(1).asText() : ""));
        return rows;
    }

    /** The keys of the model list's rows (read in one script: the rows are redrawn every refresh). */
    private TreeSet<String> rowKeys() {
        TreeSet<String> keys = new TreeSet<>();
        for (JsonNode k : parse(script("return JSON.stringify(Array.from(document.querySelectorAll("
                + "'#models tbody tr[data-key]')).map(function (r) { return r.dataset.key; }))"))) {
            keys.add(k.asText());
        }
        return keys;
    }

    /**
     * The drawn means are the snapshot's means in coordinates (i, j), and each component's 1σ ellipse lies on the
     * snapshot covariance's 1σ contour in that plane: (p − μ)ᵀ S⁻¹ (p − μ) = 1, S the 2×2 block (i, j).
     */
    private void assertDrawnAsSnapshot(JsonNode snapshot, int i, int j) {
        waitFor("the drawn model is the snapshot of " + snapshot.path("updated_at"), () ->
                snapshot.path("updated_at").asLong() == ((Number) script(
                        "return window.mixstreamDashboard.view.updated_at")).longValue());
        int k = snapshot.path("components").asInt();
        List<JsonNode> means = drawnMeans();
        assertEquals(k, means.size(), "K means drawn");
        List<JsonNode> ellipses = ellipseSeries();
        assertEquals(2 * k, ellipses.size(), "two ellipses per component");
        for (int c = 0; c < k; c++) {
            JsonNode mu = snapshot.path("means").get(c);
            assertEquals(mu.get(i).asDouble(), means.get(c).get(0).asDouble(), 1e-12, "mean " + c + " x");
            assertEquals(mu.get(j).asDouble(), means.get(c).get(1).asDouble(), 1e-12, "mean " + c + " y");
            JsonNode cov = snapshot.path("covariances").get(c);
            double a = cov.get(i).get(i).asDouble();
            double b = cov.get(i).get(j).asDouble();
            double d = cov.get(j).get(j).asDouble();
            JsonNode sigma1 = null;
            for (JsonNode e : ellipses) {
                if (e.path("id").asText().equals("sigma1-" + c)) {
                    sigma1 = e.path("data");
                }
            }
            assertTrue(sigma1 != null && sigma1.size() > 8, "1σ ellipse of component " + c);
            for (JsonNode p : sigma1) {
                double dx = p.get(0).asDouble() - mu.get(i).asDouble();
                double dy = p.get(1).asDouble() - mu.get(j).asDouble();
                // Cholesky of S = [[a, b], [b, d]]: solve L z = (dx, dy); z·z is the squared Mahalanobis distance
                double l11 = Math.sqrt(a);
                double l21 = b / l11;
                double l22 = Math.sqrt(d - l21 * l21);
                double z1 = dx / l11;
                double z2 = (dy - l21 * z1) / l22;
                assertEquals(1.0, z1 * z1 + z2 * z2, 1e-9, "1σ ellipse vertex of component " + c);
            }
        }
    }

    private void assertNoBrowserErrors() {
        List<String> errors = new ArrayList<>();
        for (LogEntry e : browser.manage().logs().get(LogType.BROWSER)) {
            if (e.getLevel().intValue() >= Level.SEVERE.intValue()) {
                errors.add(e.getMessage());
            }
        }
        assertEquals(List.of(), errors, "browser console errors");
    }

    private void shoot(String name) throws Exception {
        Files.createDirectories(SHOTS);
        Files.write(SHOTS.resolve(name), browser.getScreenshotAs(OutputType.BYTES));
    }

    private void waitFor(String what, java.util.function.BooleanSupplier condition) {
        try {
            new WebDriverWait(browser, WAIT, Duration.ofMillis(200)).until(b -> condition.getAsBoolean());
        } catch (org.openqa.selenium.TimeoutException e) {
            throw new AssertionError("timed out waiting: " + what);
        }
    }

    // ------------------------------------------------------------------------------------------------ the data

    /** {@code perKey} points to each key from the three clusters moved by {@code shift}, paced over {@code seconds}. */
    private static void produce(String topic, int perKey, double[] shift, SplittableRandom rng, int seconds) {
        try (KafkaProducer<String, String> p = producer()) {
            for (int n = 0; n < perKey; n++) {
                for (String key : KEYS) {
                    double[] c = CENTRES[rng.nextInt(CENTRES.length)];
                    p.send(new ProducerRecord<>(topic, key, String.format(Locale.ROOT, "[%.5f,%.5f]",
                            c[0] + shift[0] + 0.7 * rng.nextGaussian(), c[1] + shift[1] + 0.7 * rng.nextGaussian())));
                }
                if (seconds > 0 && n % 30 == 29) {
                    p.flush();
                    Thread.sleep(seconds * 1000L * 30 / perKey);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static KafkaProducer<String, String> producer() {
        return KafkaTestClients.producer(broker.bootstrapServers(), null);
    }

    private static void awaitPointsSeen(int port, String key, long n) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        long seen = -1;
        while (System.nanoTime() < deadline) {
            HttpClientSupport.Answer a = get(port, "/models/" + key, TOKEN);
            if (a.status() == 200 && (seen = a.json().path("points_seen").asLong()) == n) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("model " + key + " did not reach " + n + " points (last seen " + seen + ")");
    }
}
