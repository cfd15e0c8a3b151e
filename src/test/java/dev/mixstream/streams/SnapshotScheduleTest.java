package dev.mixstream.streams;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Wall-clock snapshots are due one interval after a model's first change since its last snapshot, oldest first. */
class SnapshotScheduleTest {
    @Test
    void aModelIsDueBetweenIntervalMinusATickAndTheIntervalAfterItsFirstChange() {
        SnapshotSchedule s = new SnapshotSchedule(10_000);
        assertEquals(1_000, s.tickMs());
        s.changed("a", 0);
        s.changed("b", 500);
        s.changed("a", 700); // a later change of a model already waiting does not move it
        s.changed("c", 2_000);
        assertEquals(List.of(), take(s, 8_999));
        assertEquals(List.of("a", "b"), take(s, 9_500), "due 9 000 ms after their first change, oldest first");
        assertEquals(1, s.waiting());
        assertEquals(List.of(), take(s, 10_500));
        s.changed("a", 10_600); // changed again after its snapshot: a new interval
        assertEquals(List.of("c"), take(s, 11_000));
        s.forget("a"); // snapshotted every N points, reset or removed: nothing due
        assertEquals(List.of(), take(s, 30_000));
        assertEquals(0, s.waiting());
    }

    @Test
    void theTickIsATenthOfTheIntervalAndTheIntervalPositive() {
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
