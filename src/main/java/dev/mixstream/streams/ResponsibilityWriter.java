package dev.mixstream.streams;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import dev.mixstream.gmm.PointScore;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Writes the responsibilities record of one scored point:
 * {@code {"model","id","ts","x","responsibilities","component","log_likelihood","model_version",
 * "partition","offset"}} ({@code id} and {@code ts} only when the input had them). Reuses its buffer;
 * one instance per stream task.
 */
final class ResponsibilityWriter {
    /** Schubfach double-to-text (shortest exact form), several times faster than Double.toString. */
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
            .build();
    private final ByteArrayBuilder buffer = new ByteArrayBuilder(512);

    byte[] write(String model, PointScore score) {
        PointMeta meta = PointMeta.decode(score.tag());
        buffer.reset();
        try (JsonGenerator g = JSON.createGenerator(buffer, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeStringField("model", model);
            if (meta.id() != null) {
                g.writeStringField("id", meta.id());
            }
            if (meta.ts() != null) {
                g.writeNumberField("ts", meta.ts());
            }
            double[] x = score.point();
            g.writeFieldName("x");
            g.writeArray(x, 0, x.length);
            double[] r = score.responsibilities();
            g.writeFieldName("responsibilities");
            g.writeArray(r, 0, r.length);
            g.writeNumberField("component", score.component());
            g.writeNumberField("log_likelihood", score.logLikelihood());
            g.writeNumberField("model_version", score.modelVersion());
            g.writeNumberField("partition", meta.partition());
            g.writeNumberField("offset", meta.offset());
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return buffer.toByteArray();
    }
}
