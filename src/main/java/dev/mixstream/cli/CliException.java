package dev.mixstream.cli;

/**
 * A user error (bad data, unreadable file, unusable model) that ends a command with a one-line
 * message on stderr and exit code {@link #exitCode()}, without a stack trace.
 */
public final class CliException extends RuntimeException {
    /** Exit code of data and I/O errors. */
    public static final int DATA_ERROR = 1;

    private final int exitCode;

    public CliException(String message) {
        this(message, DATA_ERROR);
    }

    public CliException(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
