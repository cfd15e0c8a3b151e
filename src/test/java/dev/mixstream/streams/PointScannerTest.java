package dev.mixstream.streams;

import dev.mixstream.bench.BenchWorkload;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The scanner gives Jackson's result on everything it accepts, and accepts what producers send. */
class PointScannerTest {
    private static final int MAX_BYTES = 4000;
    private static final int MAX_DIMENSION = 8;

    private final PointParser scanning = new PointParser(MAX_BYTES, MAX_DIMENSION);
    private final PointParser jacksonOnly = new PointParser(MAX_BYTES, MAX_DIMENSION, false);
    private final PointScanner scanner = new PointScanner(MAX_DIMENSION);

    /** What a parser made of a value, comparable across parsers: the point bit for bit, or the rejection. */
    private static String outcome(PointParser parser, byte[] value) {
        try {
            PointParser.ParsedPoint p = parser.parse(value);
            long[] bits = Arrays.stream(p.x()).mapToLong(Double::doubleToRawLongBits).toArray();
            return "point x=" + Arrays.toString(bits) + " id=" + p.id() + " ts=" + p.ts()
                    + " xJson=" + new String(p.xJson(), StandardCharsets.UTF_8);
        } catch (Rejection r) {
            return "rejected " + r.reason() + ": " + r.detail();
        }
    }

    @Test
    void givesJacksonsResultOnEveryGeneratedValue() {
        SplittableRandom random = new SplittableRandom(20261208);
        int scanned = 0;
        int points = 0;
        int n = 200_000;
        for (int i = 0; i < n; i++) {
            String text = Generator.value(random);
            byte[] value = random.nextInt(10) == 0 ? Generator.mutate(text.getBytes(StandardCharsets.UTF_8), random)
                    : text.getBytes(StandardCharsets.UTF_8);
            String expected = outcome(jacksonOnly, value);
            assertEquals(expected, outcome(scanning, value), () -> new String(value, StandardCharsets.UTF_8));
            if (Utf8.firstInvalid(value) < 0 && scanner.scan(value) != null) {
                scanned++;
            }
            if (expected.startsWith("point")) {
                points++;
            }
        }
        // the comparison means something only if both paths were exercised
        assertTrue(scanned > n / 4, "scanned " + scanned + " of " + n);
        assertTrue(points - scanned > n / 50, "points Jackson read: " + (points - scanned));
        assertTrue(n - points > n / 5, "rejections: " + (n - points));
    }

    @Test
    void convertsNumbersExactlyAsJavaDoes() {
        SplittableRandom random = new SplittableRandom(7);
        List<String> numbers = new ArrayList<>(List.of("0", "-0.0", "0.0", "1", "-1", "0.1", "1e5", "1E+5", "1e-5",
                "123456789012345678", "-123456789012345678", "9007199254740993", "9007199254740993.0",
                "2.2250738585072011e-308", "2.2250738585072012e-308", "4.9e-324", "1.7976931348623157e100",
                "0.30000000000000004", "1e22", "1e23", "1e-22", "1e-23", "8.41e21", "123.456e-20",
                "0.000000000000000000000000000001", "1000000000000000000000000000000e-30", "0e999999999"));
        for (int i = 0; i < 50_000; i++) {
            double d = Double.longBitsToDouble(random.nextLong());
            if (Double.isFinite(d) && Math.abs(d) <= 1e100) {
                numbers.add(Double.toString(d));
                numbers.add(new BigDecimal(d).round(new java.math.MathContext(1 + random.nextInt(17))).toString());
            }
            numbers.add(Float.toString((float) (random.nextGaussian() * Math.pow(10, random.nextInt(-8, 9)))));
            numbers.add(Generator.decimal(random));
        }
        for (String number : numbers) {
            PointParser.ParsedPoint p = scanner.scan(("[" + number + "]").getBytes(StandardCharsets.US_ASCII));
            if (p == null) {
                continue; // the ones Jackson must read: the test above
            }
            assertEquals(Double.doubleToRawLongBits(Double.parseDouble(number)), Double.doubleToRawLongBits(p.x()[0]),
                    number);
        }
    }

    @Test
    void readsWhatProducersSend() {
        BenchWorkload workload = new BenchWorkload(5, 8, 16, 1);
        for (int i = 0; i < 1000; i++) {
            byte[] value = workload.nextValue(1_700_000_000_000L + i);
            assertNotNull(scanner.scan(value), () -> new String(value, StandardCharsets.US_ASCII));
        }
        String[] typical = {
                "[0.5, -1.25, 3]",
                // Python's json.dumps of floats (17 significant digits) with an id and extra fields
                "{\"x\": [0.12345678901234566, -2.718281828459045, 1e-07], \"id\": \"evt-42\", \"ts\": 1732512345123,"
                        + " \"source\": \"sensor-7\", \"ok\": true, \"note\": null, \"weight\": 0.5}",
                "{\"id\":\"évt ✓\",\"x\":[1,2,3,4,5,6,7,8],\"ts\":-1}",
                "\n{ \"x\" : [ 1.0E10 , -0.0 , 2 ] }\r\n",
                // other fields' numbers are skipped unread, as Jackson skips them
                "{\"x\": [1, 2], \"serial\": 12345678901234567890123, \"gain\": 1e400}",
        };
        for (String t : typical) {
            byte[] value = t.getBytes(StandardCharsets.UTF_8);
            assertNotNull(scanner.scan(value), t);
            assertEquals(outcome(jacksonOnly, value), outcome(scanning, value), t);
        }
        // an integer is Jackson's int or long: -0 is 0, -0.0 is negative zero
        assertEquals(0L, Double.doubleToRawLongBits(scanner.scan("[-0]".getBytes(StandardCharsets.US_ASCII)).x()[0]));
        assertEquals(Double.doubleToRawLongBits(-0.0),
                Double.doubleToRawLongBits(scanner.scan("[-0.0]".getBytes(StandardCharsets.US_ASCII)).x()[0]));
    }

    @Test
    void declinesWhatOnlyJacksonReadsOrRejects() {
        String[] declined = {
                "{\"x\": [1], \"x\": [2]}", // duplicate: Jackson keeps the last
                "{\"x\": [1], \"id\": \"a\\\"b\"}", // an escape
                "{\"x\": [1], \"id\": 12}", // an integer id, kept as its text
                "{\"x\": [1], \"other\": {\"x\": 2}}", // nested
                "[1234567890123456789]", // beyond a long: Jackson's BigInteger
                "[NaN]", "[1e400]", "[2e100]", "[]", "[1,2,3,4,5,6,7,8,9]", "[01]", "[1.]", "[.5]", "[+1]",
                "[1,]", "[1] x", "{\"x\": [1]", "\uFEFF[1]", "{\"x\": [1], \"ts\": 1.5}", "{}", "{\"id\": \"a\"}",
        };
        for (String d : declined) {
            assertNull(scanner.scan(d.getBytes(StandardCharsets.UTF_8)), d);
        }
    }

    /** Random values: mostly points in the shapes producers send, with every kind of defect mixed in. */
    private static final class Generator {
        private static final String[] WHITESPACE = {"", "", "", " ", "  ", "\n", "\t", "\r\n"};
        private static final String[] BAD_NUMBERS = {"-0", "01", "1.", ".5", "+1", "1e", "-", "1e+", "NaN", "Infinity",
                "-Infinity", "1e400", "-1e-400", "2e100", "-1e101", "1" + "0".repeat(30), "0x10", "1_000", "1.5.2",
                "true", "null", "\"1\"", "[1]", "1" + "2".repeat(120)};

        static String value(SplittableRandom r) {
            return switch (r.nextInt(10)) {
                case 0, 1, 2 -> ws(r) + vector(r) + ws(r);
                case 3 -> BAD_NUMBERS[r.nextInt(BAD_NUMBERS.length)];
                default -> ws(r) + object(r) + ws(r);
            };
        }

        static String object(SplittableRandom r) {
            List<String> fields = new ArrayList<>();
            if (r.nextInt(12) != 0) {
                fields.add(field("x", vector(r), r));
            }
            if (r.nextInt(30) == 0) {
                fields.add(field("x", vector(r), r));
            }
            if (r.nextBoolean()) {
                fields.add(field("id", idValue(r), r));
            }
            if (r.nextBoolean()) {
                fields.add(field("ts", tsValue(r), r));
            }
            for (int i = r.nextInt(3); i > 0; i--) {
                fields.add(field(r.nextBoolean() ? "source" : "w\u00e9ight", otherValue(r), r));
            }
            java.util.Collections.shuffle(fields, new java.util.Random(r.nextLong()));
            return "{" + ws(r) + String.join("," + ws(r), fields) + ws(r) + "}";
        }

        static String field(String name, String value, SplittableRandom r) {
            String quoted = r.nextInt(50) == 0 // the first letter escaped: \\u0078 for x
                    ? "\"\\u00" + Integer.toHexString(name.charAt(0)) + name.substring(1) + "\"" : "\"" + name + "\"";
            return quoted + ws(r) + ":" + ws(r) + value;
        }

        static String vector(SplittableRandom r) {
            int n = r.nextInt(20) == 0 ? r.nextInt(12) : 1 + r.nextInt(MAX_DIMENSION);
            StringBuilder b = new StringBuilder("[");
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    b.append(ws(r)).append(',').append(ws(r));
                }
                b.append(r.nextInt(200) == 0 ? BAD_NUMBERS[r.nextInt(BAD_NUMBERS.length)] : number(r));
            }
            return b.append(']').toString();
        }

        static String number(SplittableRandom r) {
            int kind = r.nextInt(40);
            if (kind < 6) {
                return Long.toString(r.nextLong(-1_000_000, 1_000_000));
            } else if (kind < 16) {
                return Float.toString((float) (r.nextGaussian() * Math.pow(10, r.nextInt(-6, 7)))); // sensor-like
            } else if (kind < 23) {
                return Double.toString(r.nextGaussian() * Math.pow(10, r.nextInt(-30, 31))); // 17 digits
            } else if (kind == 23) {
                return Long.toString(r.nextLong()); // 19 digits: Jackson's
            }
            return decimal(r);
        }

        /** A decimal of 1–25 digits, a point somewhere, maybe an exponent. */
        static String decimal(SplittableRandom r) {
            StringBuilder b = new StringBuilder();
            if (r.nextBoolean()) {
                b.append('-');
            }
            int digits = 1 + r.nextInt(25);
            String ds = Long.toString(1 + r.nextInt(9)) + randomDigits(r, digits - 1);
            int point = r.nextInt(digits + 1);
            if (point == 0) {
                b.append("0.").append(r.nextBoolean() ? "000" : "").append(ds);
            } else if (point == digits) {
                b.append(ds);
            } else {
                b.append(ds, 0, point).append('.').append(ds, point, digits);
            }
            if (r.nextInt(3) == 0) {
                b.append(r.nextBoolean() ? 'e' : 'E').append(r.nextInt(3) == 0 ? "+" : r.nextBoolean() ? "-" : "")
                        .append(r.nextInt(40));
            }
            return b.toString();
        }

        static String randomDigits(SplittableRandom r, int n) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < n; i++) {
                b.append((char) ('0' + r.nextInt(10)));
            }
            return b.toString();
        }

        static String idValue(SplittableRandom r) {
            return switch (r.nextInt(24)) {
                case 0 -> "null";
                case 1 -> Long.toString(r.nextLong(0, 1000));
                case 2 -> "\"a\\\"b\\u00e9\"";
                case 3 -> "\"\u00e9v\u2713 \uD834\uDD1E\"";
                case 4 -> "\"tab\there\""; // a raw control character: bad JSON
                case 5 -> "1.5";
                default -> "\"evt-" + r.nextInt(100_000) + "\"";
            };
        }

        static String tsValue(SplittableRandom r) {
            return switch (r.nextInt(24)) {
                case 0 -> "null";
                case 1 -> "1.5";
                case 2 -> "\"yesterday\"";
                case 3 -> "100000000000000000000000";
                case 4 -> Long.toString(r.nextLong());
                case 5 -> "-0";
                default -> Long.toString(1_700_000_000_000L + r.nextInt(1_000_000));
            };
        }

        static String otherValue(SplittableRandom r) {
            return switch (r.nextInt(16)) {
                case 0, 8, 9, 10 -> "\"sensor-" + r.nextInt(10) + "\"";
                case 1 -> "true";
                case 2 -> "false";
                case 3 -> "null";
                case 4, 11, 12, 13 -> number(r);
                case 5 -> "{\"a\": [1, {\"b\": null}]}";
                case 6 -> "[1, \"two\"]";
                default -> "\"esc\\n\"";
            };
        }

        static String ws(SplittableRandom r) {
            return r.nextInt(1000) == 0 ? "\u000B" : WHITESPACE[r.nextInt(WHITESPACE.length)]; // VT: not JSON
        }

        /** The value with one byte deleted, replaced or inserted. */
        static byte[] mutate(byte[] value, SplittableRandom r) {
            if (value.length == 0) {
                return value;
            }
            int at = r.nextInt(value.length);
            String alphabet = "[]{}\",:.-+e0123456789 \\ntfa\u0001";
            byte b = (byte) alphabet.charAt(r.nextInt(alphabet.length()));
            return switch (r.nextInt(3)) {
                case 0 -> concat(Arrays.copyOfRange(value, 0, at), Arrays.copyOfRange(value, at + 1, value.length));
                case 1 -> {
                    byte[] v = value.clone();
                    v[at] = r.nextInt(20) == 0 ? (byte) 0xC3 : b;
                    yield v;
                }
                default -> concat(Arrays.copyOfRange(value, 0, at), concat(new byte[]{b},
                        Arrays.copyOfRange(value, at, value.length)));
            };
        }

        static byte[] concat(byte[] a, byte[] b) {
            byte[] c = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, c, a.length, b.length);
            return c;
        }
    }
}
