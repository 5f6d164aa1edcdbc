package dev.podswitch.scenarios.load;

import dev.podswitch.scenarios.model.SourceLocation;
import org.snakeyaml.engine.v2.common.ScalarStyle;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;

import java.nio.file.Path;
import java.util.List;

/**
 * Where a piece of YAML text came from, so that marks inside it become locations in a real file.
 * A file is its own origin; an inline block ({@code manifests: |}, a matrix) is text cut out of
 * the scenario file, so its line 0 sits on the line after the {@code |} and its columns are shifted
 * by the indentation the block scalar stripped. Folded and quoted scalars do not keep lines, so
 * everything inside them is reported at the scalar itself ({@code exact} is false).
 *
 * <p>{@code lines} are the text's own lines, kept for hints that look at what was written.
 * {@code document} names the manifest document being read, null for scenario fields.
 */
record Origin(Path file, List<String> lines, int lineOffset, int columnOffset, boolean exact, String document)
{
    static Origin ofFile(final Path file, final String text)
    {
        return new Origin(file, text.lines().toList(), 0, 0, true, null);
    }

    Origin withDocument(final String document)
    {
        return new Origin(file, lines, lineOffset, columnOffset, exact, document);
    }

    /** The origin of the text of {@code scalar}, a block written inside this origin's text. */
    Origin embedded(final ScalarNode scalar)
    {
        final List<String> innerLines = scalar.getValue().lines().toList();
        final Mark mark = scalar.getStartMark().orElseThrow();
        if (!exact || scalar.getScalarStyle() != ScalarStyle.LITERAL)
        {
            final SourceLocation at = location(mark);
            return new Origin(file, innerLines, at.line() - 1, at.column() - 1, false, document);
        }
        // Literal block: the content starts on the line after the indicator, one text line per line.
        final int firstLine = mark.getLine() + 1;
        int indent = 0;
        for (int i = 0; i < innerLines.size() && firstLine + i < lines.size(); i++)
        {
            final String inner = innerLines.get(i);
            if (!inner.isBlank())
            {
                indent = leadingSpaces(lines.get(firstLine + i)) - leadingSpaces(inner);
                break;
            }
        }
        return new Origin(file, innerLines, lineOffset + firstLine, columnOffset + indent, true, document);
    }

    SourceLocation location(final Mark mark)
    {
        return at(mark.getLine(), mark.getColumn());
    }

    SourceLocation location(final Node node)
    {
        return node.getStartMark().map(this::location).orElse(at(0, 0));
    }

    /** The location of 0-based {@code line} and {@code column} of this origin's text. */
    SourceLocation at(final int line, final int column)
    {
        return exact ?
            new SourceLocation(file, lineOffset + line + 1, columnOffset + column + 1) :
            new SourceLocation(file, lineOffset + 1, columnOffset + 1);
    }

    ScenarioException error(final Node node, final String fieldPath, final String problem)
    {
        return new ScenarioException(location(node), document, fieldPath, problem);
    }

    ScenarioException error(final SourceLocation where, final String fieldPath, final String problem)
    {
        return new ScenarioException(where, document, fieldPath, problem);
    }

    /** The text of 0-based {@code line}, or "" past the end. */
    String line(final int line)
    {
        return line >= 0 && line < lines.size() ? lines.get(line) : "";
    }

    private static int leadingSpaces(final String line)
    {
        int count = 0;
        while (count < line.length() && line.charAt(count) == ' ')
        {
            count++;
        }
        return count;
    }
}
