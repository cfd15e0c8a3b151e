package dev.mixstream.streams;

/** The application cannot start; the message is one line for the user: what is wrong and how to fix it. */
public final class StartupException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StartupException(String message) {
        super(message);
    }

    public StartupException(String message, Throwable cause) {
        super(message, cause);
    }
}
