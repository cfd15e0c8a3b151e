package dev.mixstream.streams;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mixstream.gmm.GaussianMixture;
import dev.mixstream.snapshot.MixtureSnapshot;
import dev.mixstream.snapshot.SnapshotJson;
import org.apache.kafka.common.header.Headers;

import java.util.Iterator;
import java.util.Locale;

/**
 * A command on the control topic for the model of its key (README "Model lifecycle"):
 * <pre>
 *   {"op": "load", "snapshot": {...}}   the model becomes the snapshot (as fit --model-out writes it)
 *   {"op": "reset"}                      the model starts over: its next point begins a warm-up
 *   {"op": "delete"}                     the model is removed
 * </pre>
 *
 * @param op         what to do
 * @param snapshot   for {@link Op#LOAD}, the snapshot to load; else null
 * @param parameters for {@link Op#LOAD}, the snapshot's parameters (validated); else null
 */
record ModelCommand(Op op, MixtureSnapshot snapshot, GaussianMixture parameters) {
    /** The header that marks a control-topic record on its way to the model's task. */
    static final String HEADER = "mixstream.control";

    /** The operations. */
    enum Op {
        LOAD, RESET, DELETE;

        String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Op of(String name) {
            for (Op o : values()) {
                if (o.wireName().equals(name)) {
                    return o;
                }
            }
            return null;
        }
    }

    /** Whether a record is a command (marked when read from the control topic). */
    static boolean isCommand(Headers headers) {
        return headers.lastHeader(HEADER) != null;
    }

    /**
     * Parses a control-topic value.
     *
     * @param maxDimension a snapshot of more dimensions is refused
     * @throws Rejection with the reason (null_value, too_large, not_utf8, malformed_json, invalid_command)
     */
    static ModelCommand parse(byte[] value, int maxValueBytes, int maxDimension) throws Rejection {
        if (value == null) {
            throw new Rejection(RejectReason.NULL_VALUE, "a command cannot be a tombstone (null value); "
                    + "to remove a model send {\"op\":\"delete\"}");
        }
        if (value.length > maxValueBytes) {
            throw new Rejection(RejectReason.TOO_LARGE, "command of " + value.length
                    + " bytes exceeds mixstream.max.value.bytes=" + maxValueBytes);
        }
        if (Utf8.firstInvalid(value) >= 0) {
            throw new Rejection(RejectReason.NOT_UTF8, "command is not valid UTF-8");
        }
        JsonNode n;
        try {
            n = SnapshotJson.mapper().readTree(value);
        } catch (java.io.IOException e) {
            throw new Rejection(RejectReason.MALFORMED_JSON, "command is not JSON: "
                    + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
        if (n == null || !n.isObject() || !n.path("op").isTextual()) {
            throw invalid("a command is a JSON object with \"op\": load, reset or delete");
        }
        Op op = Op.of(n.get("op").asText());
        if (op == null) {
            throw invalid("unknown op '" + n.get("op").asText() + "' (load, reset or delete)");
        }
        for (Iterator<String> f = n.fieldNames(); f.hasNext(); ) {
            String field = f.next();
            if (!field.equals("op") && !(op == Op.LOAD && field.equals("snapshot"))) {
                throw invalid("unknown field '" + field + "' in a " + op.wireName() + " command");
            }
        }
        if (op != Op.LOAD) {
            return new ModelCommand(op, null, null);
        }
        JsonNode s = n.get("snapshot");
        if (s == null || !s.isObject()) {
            throw invalid("a load command needs \"snapshot\": a model snapshot (as fit --model-out writes it)");
        }
        MixtureSnapshot snapshot;
        GaussianMixture parameters;
        try {
            snapshot = SnapshotJson.mapper().treeToValue(s, MixtureSnapshot.class);
            if (snapshot.formatVersion() > MixtureSnapshot.FORMAT_VERSION) {
                throw new IllegalArgumentException("format_version " + snapshot.formatVersion() + " is newer than "
                        + MixtureSnapshot.FORMAT_VERSION);
            }
            if (snapshot.dimension() > maxDimension) {
                throw new IllegalArgumentException("dimension " + snapshot.dimension()
                        + " exceeds mixstream.max.dimension=" + maxDimension);
            }
            if (snapshot.covarianceType() == null) {
                throw new IllegalArgumentException("covariance_type is missing");
            }
            if (!(snapshot.nEff() > 0) || !Double.isFinite(snapshot.avgLogLikelihood())) {
                throw new IllegalArgumentException("n_eff must be > 0 and avg_log_likelihood finite");
            }
            parameters = snapshot.toMixture();
            if (parameters.dimension() != snapshot.dimension()) {
                throw new IllegalArgumentException("dimension is " + snapshot.dimension() + " but the means have "
                        + parameters.dimension());
            }
        } catch (JsonProcessingException | IllegalArgumentException e) {
            String why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw invalid("snapshot cannot be loaded: " + why);
        }
        return new ModelCommand(op, snapshot, parameters);
    }

    private static Rejection invalid(String detail) {
        return new Rejection(RejectReason.INVALID_COMMAND, detail);
    }
}
