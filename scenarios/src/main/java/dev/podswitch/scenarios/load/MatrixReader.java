package dev.podswitch.scenarios.load;

import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.scenarios.model.MatrixSpec;
import dev.podswitch.scenarios.model.MatrixSpec.Cell;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;

import java.util.ArrayList;
import java.util.List;

/**
 * A step's {@code matrix:}: one probe, and a text table whose first row is {@code to:} and the
 * destinations, and whose every other row is a source and one cell per destination. Columns are
 * split on whitespace, so alignment helps the reader but is not required. Lines that are blank or
 * start with {@code #} are skipped. Errors point at the cell's own line and column in the scenario
 * file.
 */
final class MatrixReader
{
    private static final String HEADER = "to:";

    private MatrixReader()
    {
    }

    private record Token(String text, int line, int column)
    {
    }

    static MatrixSpec read(final Origin origin, final Node node, final String path, final Population population)
        throws ScenarioException
    {
        final YamlMap matrix = YamlMap.of(origin, node, path);
        matrix.allowOnly("protocol", "port", "expect");
        final IpProtocol protocol =
            Probes.protocol(origin, matrix.require("protocol"), matrix.pathOf("protocol"), true);
        final int port = Probes.port(origin, matrix, "port", protocol);
        final Node expectNode = matrix.require("expect");
        final String expectPath = matrix.pathOf("expect");
        if (!(expectNode instanceof ScalarNode block))
        {
            throw origin.error(expectNode, expectPath, "must be a text table, got " + Values.describe(expectNode) +
                "; write expect: | and the rows indented below it");
        }
        final Origin table = origin.embedded(block);
        final List<List<Token>> rows = tokenize(table);
        if (rows.isEmpty())
        {
            throw origin.error(expectNode, expectPath, "empty matrix: expected a row \"to: <destinations...>\" and " +
                "one row per source");
        }

        final List<Token> header = rows.getFirst();
        if (!HEADER.equals(header.getFirst().text()))
        {
            final Token first = header.getFirst();
            throw table.error(table.at(first.line(), first.column()), expectPath, "the first row must start with " +
                "\"to:\" and list the destinations, got \"" + first.text() + "\"");
        }
        if (header.size() == 1)
        {
            throw table.error(table.at(header.getFirst().line(), header.getFirst().column()), expectPath,
                "the to: row lists no destinations");
        }
        final List<String> destinations = new ArrayList<>();
        for (final Token destination : header.subList(1, header.size()))
        {
            if (destinations.contains(destination.text()))
            {
                throw table.error(table.at(destination.line(), destination.column()), expectPath, "destination \"" +
                    destination.text() + "\" is listed twice");
            }
            population.requireEndpoint(table, table.at(destination.line(), destination.column()), expectPath,
                destination.text());
            destinations.add(destination.text());
        }
        if (rows.size() == 1)
        {
            throw table.error(table.at(header.getFirst().line(), header.getFirst().column()), expectPath,
                "the matrix has no source rows");
        }

        final List<String> sources = new ArrayList<>();
        final List<List<Cell>> cells = new ArrayList<>();
        for (final List<Token> row : rows.subList(1, rows.size()))
        {
            final Token source = row.getFirst();
            if (sources.contains(source.text()))
            {
                throw table.error(table.at(source.line(), source.column()), expectPath, "source \"" + source.text() +
                    "\" is listed twice");
            }
            population.requireEndpoint(table, table.at(source.line(), source.column()), expectPath, source.text());
            if (row.size() - 1 != destinations.size())
            {
                throw table.error(table.at(source.line(), source.column()), expectPath, "row " + source.text() + " has " +
                    (row.size() - 1) + " cells but there are " + destinations.size() + " destinations " + destinations);
            }
            sources.add(source.text());
            cells.add(readCells(table, expectPath, population, row, destinations));
        }
        return new MatrixSpec(protocol, port, destinations, sources, cells, origin.location(node));
    }

    private static List<Cell> readCells(
        final Origin table,
        final String path,
        final Population population,
        final List<Token> row,
        final List<String> destinations) throws ScenarioException
    {
        final String source = row.getFirst().text();
        final List<Cell> cells = new ArrayList<>(destinations.size());
        for (int i = 1; i < row.size(); i++)
        {
            final Token token = row.get(i);
            final Cell cell = token.text().length() == 1 ? Cell.ofSymbol(token.text().charAt(0)) : null;
            if (cell == null)
            {
                throw table.error(table.at(token.line(), token.column()), path, "unknown cell \"" + token.text() +
                    "\" (from " + source + " to " + destinations.get(i - 1) + "); cells are . (allowed), X (denied), " +
                    "- (not probed)");
            }
            final String destination = destinations.get(i - 1);
            final boolean self = source.equals(destination);
            if (cell != Cell.NOT_PROBED && (self || population.isHost(source) && population.isHost(destination)))
            {
                throw table.error(table.at(token.line(), token.column()), path, "cell from " + source + " to " +
                    destination + " must be - (not probed): " + (self ?
                    "a source does not probe itself" : "host-to-host traffic never crosses the switch"));
            }
            cells.add(cell);
        }
        return cells;
    }

    /** Rows of whitespace-separated tokens with their 0-based line and column in the block. */
    private static List<List<Token>> tokenize(final Origin table)
    {
        final List<List<Token>> rows = new ArrayList<>();
        for (int line = 0; line < table.lines().size(); line++)
        {
            final String text = table.lines().get(line);
            if (text.isBlank() || text.strip().startsWith("#"))
            {
                continue;
            }
            final List<Token> row = new ArrayList<>();
            int i = 0;
            while (i < text.length())
            {
                if (Character.isWhitespace(text.charAt(i)))
                {
                    i++;
                    continue;
                }
                final int start = i;
                while (i < text.length() && !Character.isWhitespace(text.charAt(i)))
                {
                    i++;
                }
                row.add(new Token(text.substring(start, i), line, start));
            }
            rows.add(row);
        }
        return rows;
    }
}
