package dev.mixstream.http;

import java.util.Locale;

/** Why the HTTP API refused a request: the {@code error} field of its JSON answer, with the HTTP status. */
public enum ApiError {
    /** The body is not a point, nor an array of points, in the input topic's formats (see {@code reason}). */
    INVALID_POINT(400),
    /** A query parameter is not valid. */
    INVALID_PARAMETER(400),
    /** Authentication is required ({@code mixstream.http.auth.token}) and the bearer token is missing or wrong. */
    UNAUTHORIZED(401),
    /** No such path. */
    NOT_FOUND(404),
    /** No model has this key (no point with this key has been processed). */
    UNKNOWN_MODEL(404),
    /** The model exists but is still buffering its first points: it has no parameters yet. */
    WARMING_UP(404),
    /** The path exists, not with this method. */
    METHOD_NOT_ALLOWED(405),
    /** The request body is larger than {@code mixstream.http.max.body.bytes}. */
    BODY_TOO_LARGE(413),
    /** This instance cannot answer now (starting, rebalancing, the owning instance unreachable); retry. */
    UNAVAILABLE(503),
    /** Anything unexpected (logged; the answer carries no stack trace). */
    INTERNAL(500);

    private final int status;

    ApiError(int status) {
        this.status = status;
    }

    public int status() {
        return status;
    }

    /** The lower-case name in the JSON answer. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
