package dev.mixstream.streams;

/** A record that cannot be used: the reason and a human-readable detail. */
public final class Rejection extends Exception {
    private final RejectReason reason;

    public Rejection(RejectReason reason, String detail) {
        super(detail, null, false, false);
        this.reason = reason;
    }

    public RejectReason reason() {
        return reason;
    }

    public String detail() {
        return getMessage();
    }
}
