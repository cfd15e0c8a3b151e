package dev.mixstream.io;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which columns of a CSV file hold a point's coordinates: 1-based numbers and ranges ({@code 1-4},
 * {@code 1,3,5-7}) or header names ({@code sepal_length,petal_width}), in the order given.
 */
public final class ColumnSelection {
    private final List<Integer> numbers;
    private final List<String> names;

    private ColumnSelection(List<Integer> numbers, List<String> names) {
        this.numbers = numbers;
        this.names = names;
    }

    /**
     * Parses {@code --columns}: all numbers and ranges, or all names.
     *
     * @throws IllegalArgumentException for an empty, reversed or mixed selection
     */
    public static ColumnSelection parse(String text) {
        List<Integer> numbers = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            String p = part.trim();
            if (p.isEmpty()) {
                throw new IllegalArgumentException("empty column in '" + text + "'");
            }
            if (p.matches("\\d+")) {
                numbers.add(number(p));
            } else if (p.matches("\\d+\\s*-\\s*\\d+")) {
                String[] ends = p.split("-");
                int from = number(ends[0].trim());
                int to = number(ends[1].trim());
                if (to < from) {
                    throw new IllegalArgumentException("reversed range '" + p + "'");
                }
                for (int c = from; c <= to; c++) {
                    numbers.add(c);
                }
            } else {
                names.add(p);
            }
        }
        if (!numbers.isEmpty() && !names.isEmpty()) {
            throw new IllegalArgumentException("give column numbers or header names, not both: '" + text + "'");
        }
        return new ColumnSelection(List.copyOf(numbers), List.copyOf(names));
    }

    private static int number(String p) {
        int c;
        try {
            c = Integer.parseInt(p);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("column number too large: " + p);
        }
        if (c < 1) {
            throw new IllegalArgumentException("columns are numbered from 1, got " + c);
        }
        return c;
    }

    /** True when the selection names header fields. */
    public boolean byName() {
        return !names.isEmpty();
    }

    /** Number of coordinates selected. */
    public int size() {
        return byName() ? names.size() : numbers.size();
    }

    /**
     * The 0-based field indices, names looked up in the header (case-sensitive, then case-insensitive).
     *
     * @throws IllegalArgumentException naming a column that is not there
     */
    int[] indices(List<String> header, int fields) {
        int[] out = new int[size()];
        for (int i = 0; i < out.length; i++) {
            if (byName()) {
                if (header == null) {
                    throw new IllegalArgumentException("the file has no header line to find column names in; "
                            + "give column numbers instead (e.g. 1-" + fields + ")");
                }
                String name = names.get(i);
                int at = header.indexOf(name);
                if (at < 0) {
                    at = header.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList()
                            .indexOf(name.toLowerCase(Locale.ROOT));
                }
                if (at < 0) {
                    throw new IllegalArgumentException("no column named '" + name + "' (the header has "
                            + String.join(", ", header) + ")");
                }
                out[i] = at;
            } else {
                int c = numbers.get(i);
                if (c > fields) {
                    throw new IllegalArgumentException("column " + c + " does not exist (the rows have " + fields
                            + " columns)");
                }
                out[i] = c - 1;
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return byName() ? String.join(",", names) : numbers.toString();
    }
}
