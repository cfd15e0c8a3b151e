package dev.mixstream.http;

import java.util.LinkedHashMap;
import java.util.Map;

/** A refused request: its {@link ApiError}, a one-line message, and any further fields of the JSON answer. */
public final class ApiException extends RuntimeException {
    private final ApiError error;
    private final Map<String, Object> fields = new LinkedHashMap<>();

    public ApiException(ApiError error, String message) {
        super(message, null, false, false);
        this.error = error;
    }

    /**
     * The error another instance answered (its JSON answer relayed as it is), or UNAVAILABLE if the answer is
     * not one of the API's errors.
     */
    static ApiException fromAnswer(int status, byte[] body) {
        try {
            Map<String, Object> b = dev.mixstream.snapshot.SnapshotJson.mapper().readValue(body,
                    new com.fasterxml.jackson.core.type.TypeReference<LinkedHashMap<String, Object>>() { });
            ApiError error = ApiError.valueOf(String.valueOf(b.remove("error")).toUpperCase(java.util.Locale.ROOT));
            ApiException e = new ApiException(error, String.valueOf(b.remove("message")));
            e.fields.putAll(b);
            return e;
        } catch (java.io.IOException | IllegalArgumentException | NullPointerException e) {
            return new ApiException(ApiError.UNAVAILABLE, "answered HTTP " + status);
        }
    }

    /** The same error with one more field in its JSON answer. */
    public ApiException with(String field, Object value) {
        fields.put(field, value);
        return this;
    }

    public ApiError error() {
        return error;
    }

    /** The JSON answer: {@code {"error": …, "message": …, <fields>}}. */
    public Map<String, Object> body() {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("error", error.wireName());
        b.put("message", getMessage());
        b.putAll(fields);
        return b;
    }
}
