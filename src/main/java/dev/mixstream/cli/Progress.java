package dev.mixstream.cli;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A byte-driven progress bar on the process's stderr, or nothing. In automatic mode it is shown only
 * when stderr is a terminal and the work is at least {@link #AUTO_MIN_BYTES}: small inputs finish
 * before a bar is useful, and a bar in a log file is noise.
 */
final class Progress implements AutoCloseable {
    /** Inputs below this many bytes get no bar in automatic mode. */
    static final long AUTO_MIN_BYTES = 4L << 20;
    private static final Progress NONE = new Progress(null);

    private final ProgressBar bar;

    private Progress(ProgressBar bar) {
        this.bar = bar;
    }

    /**
     * @param task   label shown before the bar
     * @param bytes  total bytes the bar counts up to
     * @param forced true/false to force the bar on/off, null for automatic
     */
    static Progress start(String task, long bytes, Boolean forced) {
        boolean terminal = stderrIsTerminal();
        boolean show = forced != null ? forced : bytes >= AUTO_MIN_BYTES && terminal;
        if (!show) {
            return NONE;
        }
        ProgressBar bar = new ProgressBarBuilder()
                .setTaskName(task)
                .setStyle(terminal ? ProgressBarStyle.COLORFUL_UNICODE_BLOCK : ProgressBarStyle.ASCII)
                .setInitialMax(Math.max(1, bytes))
                .setUnit("MiB", 1L << 20)
                .showSpeed()
                .setUpdateIntervalMillis(200)
                .setConsumer(new ConsoleProgressBarConsumer(System.err, 100))
                .clearDisplayOnFinish()
                .build();
        return new Progress(bar);
    }

    /** Moves the bar to {@code done} bytes. */
    void update(long done) {
        if (bar != null) {
            bar.stepTo(done);
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.stepTo(bar.getMax());
            bar.close();
        }
    }

    /** True when file descriptor 2 is a terminal (Linux /proc; elsewhere: a console is attached). */
    static boolean stderrIsTerminal() {
        try {
            Path target = Files.readSymbolicLink(Path.of("/proc/self/fd/2"));
            String t = target.toString();
            return t.startsWith("/dev/pts/") || t.startsWith("/dev/tty") || t.equals("/dev/console");
        } catch (Exception | LinkageError e) {
            return System.console() != null;
        }
    }
}
