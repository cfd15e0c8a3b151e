package dev.mixstream.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixstream.gmm.MixtureConfig;
import dev.mixstream.gmm.OnlineMixture;
import dev.mixstream.gmm.PointScore;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The hand-assembled responsibilities JSON: valid, complete, exact. */
class ResponsibilityWriterTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Scores of a few hundred points of a 3-component 2-D model (past its warm-up). */
    private static List<byte[]> written(String model, PointMeta meta, boolean withXText, List<double[]> points,
                                        List<double[]> responsibilities, List<double[]> logLikelihoods) {
        ResponsibilityWriter writer = new ResponsibilityWriter();
        OnlineMixture m = new OnlineMixture(MixtureConfig.defaults(3).withWarmup(60));
        Random r = new Random(3);
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            double[] x = {r.nextGaussian() + 8 * (i % 3), r.nextGaussian() * 1e-7 - 1e5 * (i % 2)};
            if (i % 50 == 25) {
                x[0] += 40; // an outlier now and then: flagged records carry anomaly_features
            }
            byte[] xText = ("[" + x[0] + "," + x[1] + "]").getBytes(StandardCharsets.US_ASCII);
            m.learn(x, (PointScore s) -> {
                // the text is the current point's: warm-up points answered at initialisation have none
                boolean current = java.util.Arrays.equals(s.point(), x);
                out.add(writer.write(model, s, meta, withXText && current ? xText : null));
                points.add(s.point().clone());
                responsibilities.add(s.responsibilities().clone());
                double[] rest = new double[7];
                rest[0] = s.logLikelihood();
                rest[1] = s.component();
                rest[2] = s.modelVersion();
                rest[3] = s.anomalyScore();
                rest[4] = s.anomaly() ? 1 : 0;
                rest[5] = s.anomalyFeatureCount();
                rest[6] = s.anomalyFeatureCount() > 0 ? s.anomalyFeature(0) : -1;
                logLikelihoods.add(rest);
            });
        }
        return out;
    }

    /** A model with automatic K: its ids beside the responsibilities, and the most likely one's id as component. */
    @Test
    void componentIdsStandBesideTheResponsibilitiesAndComponentIsAnId() throws Exception {
        dev.mixstream.gmm.GaussianMixture two = dev.mixstream.gmm.GaussianMixture.of(
                dev.mixstream.gmm.CovarianceType.FULL, new double[]{0.5, 0.5}, new double[][]{{0, 0}, {10, 0}},
                new double[][][]{{{1, 0}, {0, 1}}, {{1, 0}, {0, 1}}});
        OnlineMixture m = OnlineMixture.loaded(MixtureConfig.defaults(1).withAutomaticComponents(5), two,
                new int[]{4, 9}, 1000, -3);
        ResponsibilityWriter writer = new ResponsibilityWriter();
        List<JsonNode> records = new ArrayList<>();
        for (double[] x : new double[][]{{0.1, 0}, {9.9, 0.2}}) {
            m.learn(x, s -> {
                try {
                    records.add(JSON.readTree(writer.writeOffline("m", s)));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        }
        assertEquals("[4,9]", records.get(0).get("component_ids").toString());
        assertEquals(4, records.get(0).get("component").asInt());
        assertEquals(9, records.get(1).get("component").asInt());
    }

    @Test
    void everyFieldIsThereWithTheExactValues() throws Exception {
        int flaggedSeen = 0;
        for (boolean withXText : new boolean[]{false, true}) {
            List<double[]> points = new ArrayList<>();
            List<double[]> gammas = new ArrayList<>();
            List<double[]> rest = new ArrayList<>();
            PointMeta meta = new PointMeta("evt-\"7\"\n\u00e9", 1732512345123L, 3, 4_000_000_000L);
            List<byte[]> out = written("sensor/\u00fc\"1\"", meta, withXText, points, gammas, rest);

            assertEquals(300, out.size());
            for (int i = 0; i < out.size(); i++) {
                JsonNode n = JSON.readTree(out.get(i));
                assertEquals("sensor/\u00fc\"1\"", n.get("model").asText());
                assertEquals("evt-\"7\"\n\u00e9", n.get("id").asText());
                assertEquals(1732512345123L, n.get("ts").asLong());
                for (int j = 0; j < 2; j++) {
                    assertEquals(points.get(i)[j], n.get("x").get(j).asDouble(), 0.0);
                }
                assertEquals(3, n.get("responsibilities").size());
                for (int k = 0; k < 3; k++) {
                    assertEquals(gammas.get(i)[k], n.get("responsibilities").get(k).asDouble(), 0.0, "exact");
                }
                assertEquals(rest.get(i)[0], n.get("log_likelihood").asDouble(), 0.0);
                assertEquals((int) rest.get(i)[1], n.get("component").asInt(), "a fixed K's ids are its indices");
                assertEquals(3, n.get("component_ids").size());
                for (int k = 0; k < 3; k++) {
                    assertEquals(k, n.get("component_ids").get(k).asInt());
                }
                assertEquals((long) rest.get(i)[2], n.get("model_version").asLong());
                assertEquals(rest.get(i)[3], n.get("anomaly_score").asDouble(), 0.0);
                assertEquals(rest.get(i)[4] == 1, n.get("anomaly").asBoolean());
                assertTrue(n.get("anomaly").isBoolean());
                boolean flagged = rest.get(i)[4] == 1;
                if (flagged) {
                    flaggedSeen++;
                    assertEquals((int) rest.get(i)[5], n.get("anomaly_features").size());
                    assertEquals((int) rest.get(i)[6], n.get("anomaly_features").get(0).asInt());
                } else {
                    assertFalse(n.has("anomaly_features"));
                }
                assertEquals(3, n.get("partition").asInt());
                assertEquals(4_000_000_000L, n.get("offset").asLong());
                assertEquals(flagged ? 14 : 13, n.size());
            }
        }
        assertTrue(flaggedSeen > 0, "some of the outliers are flagged");
    }

    /**
     * Responsibilities are written as Jackson's shortest round-trip text (Schubfach), the exact 0 and 1 that most of
     * them are included (written without it).
     */
    @Test
    void responsibilitiesAreWrittenAsTheirShortestText() throws Exception {
        ObjectMapper shortest = com.fasterxml.jackson.databind.json.JsonMapper.builder()
                .enable(com.fasterxml.jackson.core.StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build();
        List<double[]> gammas = new ArrayList<>();
        List<byte[]> out = written("m", new PointMeta(null, null, 0, 1), false, new ArrayList<>(), gammas,
                new ArrayList<>());
        int zeros = 0;
        int ones = 0;
        int others = 0;
        for (int i = 0; i < out.size(); i++) {
            String text = new String(out.get(i), StandardCharsets.UTF_8);
            String expected = "\"responsibilities\":" + shortest.writeValueAsString(gammas.get(i)) + ",";
            assertTrue(text.contains(expected), text + " should hold " + expected);
            for (double g : gammas.get(i)) {
                zeros += Double.doubleToRawLongBits(g) == 0 ? 1 : 0;
                ones += g == 1.0 ? 1 : 0;
                others += g != 0 && g != 1 ? 1 : 0;
            }
        }
        assertTrue(zeros > 100 && ones > 50 && others > 0, zeros + " zeros, " + ones + " ones, " + others + " others");
    }

    @Test
    void absentIdAndTsAreLeftOut() throws Exception {
        List<byte[]> out = written("m", new PointMeta(null, null, 0, 7), false, new ArrayList<>(), new ArrayList<>(),
                new ArrayList<>());
        JsonNode n = JSON.readTree(out.get(out.size() - 1));
        assertFalse(n.has("id"));
        assertFalse(n.has("ts"));
        assertFalse(n.get("anomaly").asBoolean(), "the last point is an inlier");
        assertEquals(11, n.size());
        String text = new String(out.get(0), StandardCharsets.UTF_8);
        assertTrue(text.startsWith("{\"model\":\"m\",\"x\":["), text);
        assertFalse(text.contains(" "), "compact: " + text);
    }

    @Test
    void theGivenXTextIsCopiedVerbatim() throws Exception {
        ResponsibilityWriter writer = new ResponsibilityWriter();
        OnlineMixture m = new OnlineMixture(MixtureConfig.defaults(1).withWarmup(2));
        List<String> out = new ArrayList<>();
        byte[] text = "[1e0,2.50]".getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < 3; i++) {
            m.learn(new double[]{1, 2.5}, s -> out.add(new String(writer.write("m", s, new PointMeta(null, null, 0, 0),
                    text), StandardCharsets.UTF_8)));
        }
        assertTrue(out.get(out.size() - 1).contains("\"x\":[1e0,2.50],"), out.get(out.size() - 1));
    }

    /**
     * mixstream.output.responsibility.digits: each responsibility is the exact value rounded to that many
     * significant digits (against BigDecimal's rounding, for values over some 300 decades), in at most that many
     * digits; 1 stays 1.0; log-likelihood and x are unchanged.
     */
    @Test
    void roundedResponsibilitiesAreTheExactValuesToThatManySignificantDigits() throws Exception {
        dev.mixstream.gmm.FrozenMixture frozen = new dev.mixstream.gmm.FrozenMixture(
                dev.mixstream.gmm.GaussianMixture.of(dev.mixstream.gmm.CovarianceType.FULL, new double[]{0.5, 0.5},
                        new double[][]{{0}, {40}}, new double[][][]{{{1}}, {{1}}}),
                dev.mixstream.gmm.AnomalyPolicy.DEFAULT);
        ResponsibilityWriter full = new ResponsibilityWriter();
        int checked = 0;
        for (int digits = 1; digits <= OutputFormat.MAX_DIGITS; digits++) {
            ResponsibilityWriter w = new ResponsibilityWriter(new OutputFormat(true, digits));
            for (double x = -5; x <= 45; x += 0.0731) {
                PointScore s = frozen.score(new double[]{x});
                JsonNode a = JSON.readTree(full.writeOffline("m", s));
                JsonNode b = JSON.readTree(w.writeOffline("m", s));
                assertEquals(a.get("log_likelihood"), b.get("log_likelihood"));
                assertEquals(a.get("x"), b.get("x"));
                for (int c = 0; c < 2; c++) {
                    double v = s.responsibilities()[c];
                    String text = b.get("responsibilities").get(c).asText();
                    double got = Double.parseDouble(text);
                    double expected = v == 0 ? 0 : new java.math.BigDecimal(v)
                            .round(new java.math.MathContext(digits, java.math.RoundingMode.HALF_UP)).doubleValue();
                    // a value within Math.pow's last-bit error of a halfway point may round either way: one unit
                    // in the last kept digit, plus the two decimals' own representation error as doubles
                    double unit = v == 0 ? 0 : Math.pow(10, Math.floor(Math.log10(v)) - digits + 1);
                    assertTrue(Math.abs(got - expected) <= unit + 2 * Math.ulp(Math.max(got, expected)),
                            digits + " digits of " + v + ": " + text + ", expected " + expected);
                    String mantissa = text.contains("E") ? text.substring(0, text.indexOf('E')) : text;
                    assertTrue(mantissa.replace(".", "").replaceFirst("^0+", "").replaceFirst("0$", "").length() <= digits,
                            text + " has more than " + digits + " significant digits");
                    checked++;
                }
            }
        }
        assertTrue(checked > 20_000, "values checked: " + checked);
    }

    /** mixstream.output.x=false: no "x"; everything else as the full record has it. */
    @Test
    void recordsWithoutXAreTheFullRecordsLessX() throws Exception {
        PointMeta meta = new PointMeta("id-7", 12L, 3, 99L);
        List<double[]> points = new ArrayList<>();
        List<double[]> resp = new ArrayList<>();
        List<double[]> rest = new ArrayList<>();
        List<byte[]> full = written("m", meta, true, points, resp, rest);
        ResponsibilityWriter noX = new ResponsibilityWriter(new OutputFormat(false, OutputFormat.ALL_DIGITS));
        ResponsibilityWriter fullWriter = new ResponsibilityWriter();
        OnlineMixture m = new OnlineMixture(MixtureConfig.defaults(3).withWarmup(60));
        int[] n = {0};
        for (double[] x : points.subList(0, 120)) {
            m.learn(x, (PointScore s) -> {
                com.fasterxml.jackson.databind.node.ObjectNode a = (com.fasterxml.jackson.databind.node.ObjectNode)
                        readTree(fullWriter.write("m", s, meta));
                JsonNode b = readTree(noX.write("m", s, meta));
                assertTrue(a.has("x"));
                assertFalse(b.has("x"));
                a.remove("x");
                assertEquals(a, b);
                n[0]++;
            });
        }
        assertEquals(120, n[0]);
        assertFalse(full.isEmpty());
    }

    private static JsonNode readTree(byte[] bytes) {
        try {
            return JSON.readTree(bytes);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
