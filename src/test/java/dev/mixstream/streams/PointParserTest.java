package dev.mixstream.streams;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PointParserTest {
    private final PointParser parser = new PointParser(1000, 4);

    private PointParser.ParsedPoint parse(String s) throws Rejection {
        return parser.parse(s.getBytes(StandardCharsets.UTF_8));
    }

    private RejectReason reason(String s) {
        return assertThrows(Rejection.class, () -> parse(s)).reason();
    }

    @Test
    void parsesArraysAndObjects() throws Rejection {
        assertArrayEquals(new double[]{1.5, -0.2, 3}, parse(" [1.5, -0.2, 3] ").x());
        PointParser.ParsedPoint p = parse("{\"ts\": 17, \"other\": {\"x\": 1}, \"x\": [1e-3, 2], \"id\": \"a\\\"b\"}");
        assertArrayEquals(new double[]{1e-3, 2}, p.x());
        assertEquals("a\"b", p.id());
        assertEquals(17L, p.ts());
        PointParser.ParsedPoint q = parse("{\"x\": [4], \"id\": null}");
        assertNull(q.id());
        assertNull(q.ts());
        assertEquals("12", parse("{\"x\": [4], \"id\": 12}").id());
    }

    @Test
    void keepsTheInputsNumberTextsAsACompactJsonArray() throws Exception {
        assertEquals("[1.5,-0.2,3]", new String(parse(" [1.5, -0.2,\n 3] ").xJson(), StandardCharsets.US_ASCII));
        PointParser.ParsedPoint p = parse("{\"x\": [ 1e-3 , -0.0, 1.25E+2, 0.1000000000000000055511151231257827 ], \"id\": 1}");
        String text = new String(p.xJson(), StandardCharsets.US_ASCII);
        assertEquals("[1e-3,-0.0,1.25E+2,0.1000000000000000055511151231257827]", text);
        // the same numbers: read back, the text gives exactly the parsed doubles
        com.fasterxml.jackson.databind.JsonNode back = new com.fasterxml.jackson.databind.ObjectMapper().readTree(text);
        for (int i = 0; i < p.x().length; i++) {
            assertEquals(Double.doubleToRawLongBits(p.x()[i]), Double.doubleToRawLongBits(back.get(i).asDouble()), text);
        }
        assertEquals("[7]", new String(parse("{\"x\": [1, 2], \"x\": [7]}").xJson(), StandardCharsets.US_ASCII),
                "the x that counts");
    }

    @Test
    void classifiesEveryUnusableValue() {
        assertEquals(RejectReason.MALFORMED_JSON, reason("[1, 2"));
        assertEquals(RejectReason.MALFORMED_JSON, reason("[1, 2] [3]"));
        assertEquals(RejectReason.NOT_A_VECTOR, reason("\"text\""));
        assertEquals(RejectReason.NOT_A_VECTOR, reason("{\"x\": 3}"));
        assertEquals(RejectReason.NOT_A_VECTOR, reason("{\"x\": [1], \"ts\": \"yesterday\"}"));
        assertEquals(RejectReason.NOT_A_VECTOR, reason("[null]"));
        assertEquals(RejectReason.NON_FINITE, reason("[Infinity]"));
        assertEquals(RejectReason.NON_FINITE, reason("[-1e999]"));
        assertEquals(RejectReason.OUT_OF_RANGE, reason("[-2e100]"));
        assertEquals(RejectReason.EMPTY, reason("{\"x\": []}"));
        assertEquals(RejectReason.TOO_LARGE, reason("[1, 2, 3, 4, 5]"));
        assertEquals(RejectReason.TOO_LARGE, reason("[" + "1,".repeat(600) + "1]"));
        assertEquals(RejectReason.NULL_VALUE, assertThrows(Rejection.class, () -> parser.parse(null)).reason());
    }

    @Test
    void validatesUtf8Strictly() {
        assertEquals(-1, Utf8.firstInvalid("héllo ✓ 𝄞".getBytes(StandardCharsets.UTF_8)));
        assertEquals(1, Utf8.firstInvalid(new byte[]{'a', (byte) 0xC0, (byte) 0x80})); // overlong
        assertEquals(0, Utf8.firstInvalid(new byte[]{(byte) 0xED, (byte) 0xA0, (byte) 0x80})); // surrogate
        assertEquals(0, Utf8.firstInvalid(new byte[]{(byte) 0xE2, (byte) 0x82})); // truncated
        assertEquals(0, Utf8.firstInvalid(new byte[]{(byte) 0xF5, (byte) 0x80, (byte) 0x80, (byte) 0x80}));
    }

    @Test
    void pointMetaRoundTrips() {
        for (PointMeta m : new PointMeta[]{new PointMeta("évt-1", 42L, 3, 99L), new PointMeta(null, null, 0, 0),
                new PointMeta("", null, -1, -1), new PointMeta(null, -5L, 7, Long.MAX_VALUE),
                new PointMeta("a", 1L, 2, 3L, 4L), new PointMeta(null, null, 2, 3L, -4L).asAnswered(),
                new PointMeta("é", 9L, 0, 0).arrivedAt(7).asAnswered()}) {
            assertEquals(m, PointMeta.decode(m.encode()));
            assertEquals(m.answered(), PointMeta.isAnswered(m.encode()));
        }
        // a tag written before arrivals were recorded (flags, partition, offset, ts, id) still decodes
        byte[] old = java.nio.ByteBuffer.allocate(1 + 4 + 8 + 8 + 1).put((byte) 3).putInt(5).putLong(6).putLong(7)
                .put((byte) 'x').array();
        assertEquals(new PointMeta("x", 7L, 5, 6), PointMeta.decode(old));
    }

    private String detail(String s) {
        return assertThrows(Rejection.class, () -> parse(s)).detail();
    }

    @Test
    void theFieldRulesAreThoseOfTheDocumentation() {
        // id: a string, or an integer kept as its text; anything else is not a usable point
        assertEquals(RejectReason.NOT_A_VECTOR, reason("{\"x\": [1], \"id\": 1.5}"));
        assertEquals(RejectReason.NOT_A_VECTOR, reason("{\"x\": [1], \"id\": true}"));
        // ts: an integer within a long; beyond it, or with a fraction or exponent, not a usable point (not bad JSON)
        assertEquals(RejectReason.NOT_A_VECTOR, reason("{\"x\": [1], \"ts\": 1e23}"));
        assertEquals(RejectReason.NOT_A_VECTOR, reason("{\"x\": [1], \"ts\": 100000000000000000000000}"));
        assertEquals(RejectReason.NOT_A_VECTOR, reason("{\"x\": [1], \"ts\": 1.5}"));
        assertEquals("ts must be an integer (epoch ms) within ±9223372036854775807, got 1e23",
                detail("{\"x\": [1], \"ts\": 1e23}"));
    }

    @Test
    void badJsonIsDescribedWithoutTheParsersAdviceOnItsOwnSettings() {
        for (String bad : new String[]{"[+1, 2]", "{oops", "[1, 2", "[1, 2]]", "[01]", "[1,,2]", "{\"x\": [1], 'a': 2}"}) {
            String d = detail(bad);
            assertEquals(RejectReason.MALFORMED_JSON, reason(bad), bad);
            for (String internal : new String[]{"JsonReadFeature", "Source:", "REDACTED", "enable", "\n"}) {
                assertEquals(-1, d.indexOf(internal), bad + " -> " + d);
            }
            assertEquals(true, d.startsWith("not valid JSON") || d.startsWith("unexpected content"), bad + " -> " + d);
        }
        assertEquals("not valid JSON at character 2: Unexpected character ('+' (code 43)) in numeric value",
                detail("[+1, 2]"));
    }
}
