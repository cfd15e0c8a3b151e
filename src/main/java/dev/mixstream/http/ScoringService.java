package dev.mixstream.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.mixstream.gmm.FrozenMixture;
import dev.mixstream.gmm.PointProblem;
import dev.mixstream.gmm.PointScore;
import dev.mixstream.snapshot.SnapshotJson;
import dev.mixstream.streams.PointParser;
import dev.mixstream.streams.RejectReason;
import dev.mixstream.streams.Rejection;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /models/{key}/score}: points scored by the model's latest snapshot without learning, by the
 * engine's {@link FrozenMixture} exactly as {@code mixstream score} scores them (the same snapshot gives the
 * same numbers, bit for bit). The body is one point or a JSON array of points, in the points topic's formats
 * ({@link PointParser}). A snapshot's frozen mixture is kept (per model, while the snapshot is the latest) so
 * that repeated requests do not rebuild its Cholesky factors.
 */
final class ScoringService {
    private static final int CACHED_MODELS = 256;
    private final ModelQueries queries;
    private final int maxValueBytes;
    private final int maxDimension;
    private final Map<String, Frozen> cache = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Frozen> eldest) {
            return size() > CACHED_MODELS;
        }
    };

    /** A snapshot's bytes and its frozen mixture (used by one request at a time). */
    private record Frozen(byte[] snapshot, FrozenMixture mixture) {
    }

    /** The scores, and the snapshot they were computed with. */
    record Scored(Object body, ModelQueries.Located model, Long updatedAt) {
    }

    ScoringService(ModelQueries queries, int maxValueBytes, int maxDimension) {
        this.queries = queries;
        this.maxValueBytes = maxValueBytes;
        this.maxDimension = maxDimension;
    }

    /**
     * Scores the body's points by the model's latest snapshot.
     *
     * @return one score object for one point, an array of them for an array of points
     * @throws ApiException INVALID_POINT (with the point's index in an array), or as {@link ModelQueries#snapshot}
     */
    Scored score(String model, byte[] body) {
        List<byte[]> points = split(body);
        ModelQueries.Located located = queries.snapshot(model);
        FrozenMixture frozen = frozen(model, located.json());
        PointParser parser = new PointParser(maxValueBytes, maxDimension);
        List<Map<String, Object>> scores = new ArrayList<>(points == null ? 1 : points.size());
        synchronized (frozen) {
            if (points == null) {
                scores.add(score(frozen, parser, body, -1));
            } else {
                for (int i = 0; i < points.size(); i++) {
                    scores.add(score(frozen, parser, points.get(i), i));
                }
            }
        }
        return new Scored(points == null ? scores.get(0) : scores, located, ModelQueries.updatedAt(located.json()));
    }

    private FrozenMixture frozen(String model, byte[] snapshot) {
        synchronized (cache) {
            Frozen f = cache.get(model);
            if (f != null && Arrays.equals(f.snapshot(), snapshot)) {
                return f.mixture();
            }
        }
        FrozenMixture m;
        try {
            m = SnapshotJson.fromBytes(snapshot).frozen(null);
        } catch (IllegalArgumentException e) {
            throw new ApiException(ApiError.INTERNAL, "the snapshot of model '" + model + "' cannot be used: "
                    + e.getMessage());
        }
        synchronized (cache) {
            cache.put(model, new Frozen(snapshot, m));
        }
        return m;
    }

    private static Map<String, Object> score(FrozenMixture frozen, PointParser parser, byte[] value, int index) {
        PointParser.ParsedPoint p;
        try {
            p = parser.parse(value);
        } catch (Rejection r) {
            throw invalid(r.reason(), r.getMessage(), index);
        }
        double[] x = p.x();
        PointProblem problem = frozen.check(x);
        if (problem != null) {
            throw invalid(RejectReason.of(problem), problem.describe(x, frozen.parameters().dimension()), index);
        }
        PointScore s = frozen.score(x);
        Map<String, Object> out = new LinkedHashMap<>();
        if (p.id() != null) {
            out.put("id", p.id());
        }
        int k = frozen.parameters().components();
        int[] ids = new int[k];
        for (int c = 0; c < k; c++) {
            ids[c] = frozen.componentId(c);
        }
        out.put("component", s.componentIdOfAssignment());
        out.put("log_likelihood", s.logLikelihood());
        out.put("responsibilities", Arrays.copyOf(s.responsibilities(), k));
        out.put("component_ids", ids);
        out.put("anomaly_score", s.anomalyScore());
        out.put("anomaly", s.anomaly());
        int[] features = new int[s.anomalyFeatureCount()];
        for (int i = 0; i < features.length; i++) {
            features[i] = s.anomalyFeature(i);
        }
        out.put("anomaly_features", features);
        return out;
    }

    private static ApiException invalid(RejectReason reason, String message, int index) {
        ApiException e = new ApiException(ApiError.INVALID_POINT, (index >= 0 ? "point " + index + ": " : "") + message)
                .with("reason", reason.wireName());
        return index >= 0 ? e.with("index", index) : e;
    }

    /**
     * The elements of an array of points (each as its own bytes), or null if the body is one point: a top-level
     * array whose first element is an array or an object is an array of points; {@code [1, 2]} is one point.
     */
    static List<byte[]> split(byte[] body) {
        int i = skipSpace(body, 0);
        if (i >= body.length || body[i] != '[') {
            return null;
        }
        int j = skipSpace(body, i + 1);
        if (j >= body.length || body[j] != '[' && body[j] != '{') {
            return null;
        }
        List<byte[]> points = new ArrayList<>();
        try (JsonParser p = SnapshotJson.mapper().getFactory().createParser(body)) {
            p.nextToken(); // the outer array
            JsonToken t;
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                if (t == null) {
                    throw invalid(RejectReason.MALFORMED_JSON, "unexpected end of input", -1);
                }
                int start = (int) p.currentTokenLocation().getByteOffset();
                p.skipChildren();
                int end = (int) p.currentLocation().getByteOffset();
                points.add(Arrays.copyOfRange(body, start, end));
            }
            if (p.nextToken() != null) {
                throw invalid(RejectReason.MALFORMED_JSON, "trailing characters after the array of points", -1);
            }
        } catch (IOException e) {
            throw invalid(RejectReason.MALFORMED_JSON, "malformed JSON: " + firstLine(e.getMessage()), -1);
        }
        if (points.isEmpty()) {
            throw invalid(RejectReason.EMPTY, "empty array of points", -1);
        }
        return points;
    }

    private static int skipSpace(byte[] b, int i) {
        while (i < b.length && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) {
            i++;
        }
        return i;
    }

    private static String firstLine(String s) {
        int nl = s == null ? -1 : s.indexOf('\n');
        return s == null ? "" : nl < 0 ? s : s.substring(0, nl);
    }
}
