package dev.mixstream.cli;

import dev.mixstream.io.ColumnSelection;
import dev.mixstream.io.CsvFormatException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Base of every mixstream command: turns user errors into one line on stderr and exit code 1, lets picocli
 * report usage errors ({@link ParameterException}, exit 2), and offers the small helpers the commands share.
 */
abstract class MixstreamCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    /** The command's work; returns the exit code. */
    protected abstract int execute() throws Exception;

    /** How much of Kafka's logging the command shows; null for commands that do not use Kafka. */
    protected KafkaLogLevel kafkaLogLevel() {
        return null;
    }

    @Override
    public final Integer call() throws Exception {
        KafkaLogLevel level = kafkaLogLevel();
        Map<String, ch.qos.logback.classic.Level> previous = level == null ? Map.of() : level.apply();
        try {
            return execute();
        } catch (ParameterException e) {
            throw e;
        } catch (CliException e) {
            return fail(e.getMessage(), e.exitCode());
        } catch (CsvFormatException e) {
            return fail(e.getMessage(), CliException.DATA_ERROR);
        } catch (IOException e) {
            return fail(describe(e), CliException.DATA_ERROR);
        } catch (UncheckedIOException e) {
            return fail(describe(e.getCause()), CliException.DATA_ERROR);
        } finally {
            KafkaLogLevel.restore(previous);
        }
    }

    private int fail(String message, int code) {
        err().println(spec.qualifiedName() + ": error: " + message);
        err().flush();
        return code;
    }

    /** The command's stderr. */
    protected PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** The command's stdout. */
    protected PrintWriter out() {
        return spec.commandLine().getOut();
    }

    /** A usage error (exit 2, reported by picocli). */
    protected ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /**
     * One line for a bad row of {@code input}, with what to do about it: a column of labels or names (not
     * numbers) suggests {@code --columns}.
     */
    static String describe(Path input, CsvFormatException e, boolean columnsChosen) {
        String hint = "";
        if (e.problem() == CsvFormatException.Problem.NOT_A_NUMBER && !columnsChosen) {
            hint = " (if column " + e.column() + " holds labels, not coordinates, choose the point's columns with "
                    + "--columns, for example --columns 1-" + Math.max(1, e.column() - 1) + " or by header names)";
        }
        return input + ": " + e.getMessage() + hint;
    }

    /** {@code --columns}: 1-based numbers and ranges, or header names ({@link ColumnSelection#parse}). */
    static final class ColumnsConverter implements picocli.CommandLine.ITypeConverter<ColumnSelection> {
        @Override
        public ColumnSelection convert(String value) {
            try {
                return ColumnSelection.parse(value);
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** One line for an I/O error, without the exception class. */
    static String describe(IOException e) {
        if (e instanceof NoSuchFileException n) {
            return "no such file: " + n.getFile();
        }
        if (e instanceof AccessDeniedException a) {
            return "permission denied: " + a.getFile();
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getFile() + ": " + f.getReason();
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /** Checks that {@code file} is a readable regular file. */
    static void requireReadableFile(Path file, String what) {
        if (!Files.exists(file)) {
            throw new CliException(what + " not found: " + file);
        }
        if (!Files.isRegularFile(file)) {
            throw new CliException(what + " is not a regular file: " + file);
        }
        if (!Files.isReadable(file)) {
            throw new CliException(what + " is not readable: " + file);
        }
    }

    /** Checks that {@code file} can be created: its directory exists and is writable. */
    static void requireWritableTarget(Path file, String what) {
        Path dir = file.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new CliException("directory of the " + what + " does not exist: " + file);
        }
        if (Files.isDirectory(file)) {
            throw new CliException(what + " is a directory: " + file);
        }
        if (!Files.isWritable(dir) || (Files.exists(file) && !Files.isWritable(file))) {
            throw new CliException(what + " is not writable: " + file);
        }
    }

    /** "1 row", "2 rows". */
    static String plural(long n, String noun) {
        return plural(n, noun, noun + "s");
    }

    /** "1 anomaly", "2 anomalies". */
    static String plural(long n, String singular, String pluralForm) {
        return n + " " + (n == 1 ? singular : pluralForm);
    }

    /**
     * A number for a summary line: 6 significant digits ({@code %.6g} without the trailing zeros of its decimals), no
     * exponent for ordinary magnitudes. Written without java.util.Formatter, whose first use in a JVM loads the locale
     * data (≈ 30 ms of an offline command's start); the text is Formatter's to the character (SummaryNumbersTest),
     * which rounds the digits of Double.toString half up, as here.
     */
    static String format(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        if (!Double.isFinite(v)) {
            return Double.toString(v);
        }
        BigDecimal rounded = new BigDecimal(Double.toString(v)).round(new MathContext(6, RoundingMode.HALF_UP));
        BigDecimal magnitude = rounded.abs();
        if (magnitude.compareTo(SMALLEST_PLAIN) >= 0 && magnitude.compareTo(LARGEST_PLAIN) < 0) {
            return rounded.stripTrailingZeros().toPlainString();
        }
        // d.ddddde±XX, at least two exponent digits
        BigDecimal digits = rounded.stripTrailingZeros();
        String unscaled = digits.unscaledValue().abs().toString();
        int exponent = unscaled.length() - 1 - digits.scale();
        StringBuilder text = new StringBuilder(v < 0 ? "-" : "").append(unscaled.charAt(0));
        if (unscaled.length() > 1) {
            text.append('.').append(unscaled, 1, unscaled.length());
        }
        text.append(exponent < 0 ? "e-" : "e+");
        if (Math.abs(exponent) < 10) {
            text.append('0');
        }
        return text.append(Math.abs(exponent)).toString();
    }

    private static final BigDecimal SMALLEST_PLAIN = new BigDecimal("1e-4");
    private static final BigDecimal LARGEST_PLAIN = new BigDecimal("1e6");

    /** Seconds with two decimals, as {@code %.2f}. */
    static String seconds(double s) {
        return new BigDecimal(Double.toString(s)).setScale(2, RoundingMode.HALF_UP).toPlainString();
    }
}
