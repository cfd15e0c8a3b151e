package dev.mixstream.streams;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Wall-clock snapshots: each model has a tenth of the interval, by its key's hash, and is snapshotted at its next tick
 * after a change: within one interval, at most once per interval, spread evenly.
 */
class SnapshotScheduleTest {
    /** A key of the given slot. */
    private static String inSlot(int slot, String prefix) {
        for (int i = 0; ; i++) {
            if (SnapshotSchedule.slotOf(prefix + i) == slot) {
                return prefix + i;
            }
        }
    }

    @Test
    void aChangedModelIsSnapshottedAtTheNextTickOfItsOwnSlot() {
        SnapshotSchedule s = new SnapshotSchedule(10_000);
        assertEquals(1_000, s.tickMs());
        s.start(100_000); // tick 100, slot 0
        String three = inSlot(3, "a");
        String seven = inSlot(7, "b");
        s.changed(three);
        s.changed(seven);
        s.changed(three); // changed again: still one snapshot due
        assertEquals(List.of(), take(s, 102_999), "ticks 101, 102 (slots 1, 2)");
        assertEquals(List.of(three), take(s, 103_000));
        assertEquals(List.of(), take(s, 103_500), "tick 103 was taken");
        s.changed(three); // changed after its snapshot: at its next slot, one interval later
        assertEquals(List.of(seven), take(s, 107_000), "ticks 104 to 107");
        assertEquals(List.of(), take(s, 112_999));
        assertEquals(List.of(three), take(s, 113_000));
        s.changed(seven);
        s.forget(seven); // snapshotted every N points, reset or removed: nothing due
        assertEquals(List.of(), take(s, 140_000));
        assertEquals(0, s.waiting());
    }

    /** A punctuation late by more than an interval takes every slot once; the clock going back takes nothing twice. */
    @Test
    void aLatePunctuationTakesTheTicksItMissedOnce() {
        SnapshotSchedule s = new SnapshotSchedule(1_000);
        s.start(0);
        List<String> all = new ArrayList<>();
        for (int slot = 0; slot < SnapshotSchedule.SLOTS; slot++) {
            all.add(inSlot(slot, "k"));
        }
        all.forEach(s::changed);
        List<String> taken = take(s, 5_000);
        assertEquals(SnapshotSchedule.SLOTS, taken.size());
        assertTrue(taken.containsAll(all));
        all.forEach(s::changed);
        assertEquals(List.of(), take(s, 4_000), "the clock went back: ticks already taken");
        assertEquals(2, take(s, 5_200).size(), "ticks 51 and 52");
    }

    @Test
    void modelsAreSpreadEvenlyOverTheSlotsAndTheIntervalIsPositive() {
        int[] perSlot = new int[SnapshotSchedule.SLOTS];
        for (int i = 0; i < 100_000; i++) {
            perSlot[SnapshotSchedule.slotOf("key-" + i)]++;
        }
        for (int n : perSlot) {
            assertTrue(n > 9_000 && n < 11_000, java.util.Arrays.toString(perSlot));
        }
        assertEquals(100, new SnapshotSchedule(1_000).tickMs());
        assertEquals(1, new SnapshotSchedule(5).tickMs());
        assertThrows(IllegalArgumentException.class, () -> new SnapshotSchedule(0));
    }

    private static List<String> take(SnapshotSchedule s, long now) {
        List<String> due = new ArrayList<>();
        s.takeDue(now, due::add);
        return due;
    }
}
