package dev.podswitch.scenarios.report;

import java.util.ArrayList;
import java.util.List;

/** A plain-text table with left-aligned columns sized to their widest cell. */
final class Table
{
    private final List<String[]> rows = new ArrayList<>();

    Table(final String... header)
    {
        rows.add(header);
    }

    Table row(final String... cells)
    {
        rows.add(cells);
        return this;
    }

    String render(final String indent)
    {
        final int columns = rows.getFirst().length;
        final int[] widths = new int[columns];
        for (final String[] row : rows)
        {
            for (int i = 0; i < columns; i++)
            {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        final StringBuilder text = new StringBuilder();
        for (final String[] row : rows)
        {
            final StringBuilder line = new StringBuilder(indent);
            for (int i = 0; i < columns; i++)
            {
                line.append(i + 1 < columns ? pad(row[i], widths[i] + 2) : row[i]);
            }
            text.append(line.toString().stripTrailing()).append('\n');
        }
        return text.toString();
    }

    static String pad(final String text, final int width)
    {
        return text.length() >= width ? text : text + " ".repeat(width - text.length());
    }
}
