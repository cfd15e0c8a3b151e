package dev.mixstream.gmm;

/** Receives the scoring of each point, in input order. */
@FunctionalInterface
public interface ScoreSink {
    /** Called once per input point; {@code score} is reused after the call returns. */
    void accept(PointScore score);

    /** A sink that ignores every score. */
    ScoreSink IGNORE = s -> { };
}
