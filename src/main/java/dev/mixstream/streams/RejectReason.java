package dev.mixstream.streams;

import dev.mixstream.gmm.PointProblem;

import java.util.Locale;

/** Why a record went to the dead-letter topic (the {@code mixstream.reason} header). */
public enum RejectReason {
    /** The value is not valid JSON (or has trailing garbage). */
    MALFORMED_JSON,
    /** Valid JSON but not a flat array of numbers, nor an object with one in {@code x}. */
    NOT_A_VECTOR,
    /** The vector's length differs from the model's dimension (fixed by its first valid point). */
    WRONG_DIMENSION,
    /** NaN, Infinity, or a number that overflows to infinity. */
    NON_FINITE,
    /** A coordinate beyond ±1e100, whose square could overflow. */
    OUT_OF_RANGE,
    /** An empty value or an empty array. */
    EMPTY,
    /** A null value (a tombstone). */
    NULL_VALUE,
    /** Key or value bytes that are not valid UTF-8. */
    NOT_UTF8,
    /** A value larger than mixstream.max.value.bytes, or a vector longer than mixstream.max.dimension. */
    TOO_LARGE,
    /** A control-topic record that is not a valid command (unknown op, no key, a snapshot that cannot be loaded). */
    INVALID_COMMAND,
    /** Anything unexpected while processing the record. */
    PROCESSING_ERROR;

    /** The reason for a point the model cannot learn. */
    public static RejectReason of(PointProblem problem) {
        return switch (problem) {
            case EMPTY -> EMPTY;
            case WRONG_DIMENSION -> WRONG_DIMENSION;
            case NON_FINITE -> NON_FINITE;
            case OUT_OF_RANGE -> OUT_OF_RANGE;
        };
    }

    /** The lower-case name written in the header. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
