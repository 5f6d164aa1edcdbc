package dev.podswitch.scenarios.model;

import dev.podswitch.dataplane.packet.IpProtocol;

import java.util.ArrayList;
import java.util.List;

/**
 * Every listed source against every listed destination for one probe. {@code cells.get(i).get(j)}
 * is the verdict expected from {@code sources.get(i)} to {@code destinations.get(j)}; {@code port}
 * is 0 for ICMP.
 */
public record MatrixSpec(
    IpProtocol protocol,
    int port,
    List<String> destinations,
    List<String> sources,
    List<List<Cell>> cells,
    SourceLocation where)
{
    public enum Cell
    {
        ALLOWED('.'),
        DENIED('X'),
        NOT_PROBED('-');

        private final char symbol;

        Cell(final char symbol)
        {
            this.symbol = symbol;
        }

        public char symbol()
        {
            return symbol;
        }

        /** The cell written as {@code symbol}, or null when the character means nothing. */
        public static Cell ofSymbol(final char symbol)
        {
            for (final Cell cell : values())
            {
                if (cell.symbol == symbol)
                {
                    return cell;
                }
            }
            return null;
        }
    }

    public MatrixSpec
    {
        destinations = List.copyOf(destinations);
        sources = List.copyOf(sources);
        final List<List<Cell>> rows = new ArrayList<>(cells.size());
        for (final List<Cell> row : cells)
        {
            if (row.size() != destinations.size())
            {
                throw new IllegalArgumentException("row has " + row.size() + " cells for " + destinations.size() +
                    " destinations");
            }
            rows.add(List.copyOf(row));
        }
        if (rows.size() != sources.size())
        {
            throw new IllegalArgumentException(rows.size() + " rows for " + sources.size() + " sources");
        }
        cells = List.copyOf(rows);
    }

    /** The expected verdict from {@code from} to {@code to}; NOT_PROBED when either is not in the matrix. */
    public Cell expected(final String from, final String to)
    {
        final int row = sources.indexOf(from);
        final int column = destinations.indexOf(to);
        return row < 0 || column < 0 ? Cell.NOT_PROBED : cells.get(row).get(column);
    }
}
