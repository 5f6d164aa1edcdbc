package dev.podswitch.scenarios.load;

import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;

import java.util.List;

/**
 * Explains a YAML syntax error in manifest text the way it usually happens: YAML pasted from notes
 * or chat that lost its indentation. Two things help there. A line indented deeper than the key
 * above it ({@code - protocol: TCP} then {@code     port: 3306}) reads as more of that key's value,
 * which snakeyaml reports only as "mapping values are not allowed here"; the hint says which line
 * to re-indent. And the parse stops at the error, hiding NetworkPolicy mistakes written above it, so
 * the text before the error is checked on its own: a problem found there comes first (it is first
 * in the file), with the syntax error on the next line.
 */
final class PastedYaml
{
    private static final String MAPPING_NOT_ALLOWED = "mapping values are not allowed here";

    private PastedYaml()
    {
    }

    static ScenarioException explain(
        final ScenarioException yamlError,
        final String text,
        final Origin origin,
        final String prefix,
        final String suffix)
    {
        final int errorLine = yamlError.line() - 1 - origin.lineOffset();
        if (!origin.exact() || errorLine <= 0 || errorLine >= origin.lines().size())
        {
            return yamlError;
        }
        final String problem = yamlError.problem() + indentationHint(origin, errorLine, yamlError.problem());
        final ScenarioException explained =
            new ScenarioException(yamlError.where(), yamlError.document(), yamlError.fieldPath(), problem);
        final ScenarioException earlier = earlierPolicyProblem(text, origin, errorLine, prefix, suffix);
        if (earlier == null)
        {
            return explained;
        }
        return new ScenarioException(earlier.where(), earlier.document(), earlier.fieldPath(), earlier.problem() +
            "\n  and further down the YAML itself breaks: " + explained.getMessage());
    }

    private static String indentationHint(final Origin origin, final int errorLine, final String problem)
    {
        if (!problem.contains(MAPPING_NOT_ALLOWED))
        {
            return "";
        }
        final String line = origin.line(errorLine);
        int above = errorLine - 1;
        while (above >= 0 && origin.line(above).isBlank())
        {
            above--;
        }
        if (above < 0)
        {
            return "";
        }
        final String previous = origin.line(above);
        final int keyColumn = keyColumn(previous);
        final int indent = leadingSpaces(line);
        final int colon = line.indexOf(':');
        final int previousColon = previous.indexOf(':', keyColumn);
        if (colon < 0 || previousColon < 0 || indent <= keyColumn || previous.substring(previousColon + 1).isBlank())
        {
            return "";
        }
        final String key = line.substring(indent, colon).trim();
        final String previousKey = previous.substring(keyColumn, previousColon).trim();
        return "; \"" + key + ":\" is indented deeper than \"" + previousKey + ":\" on the line above, so YAML reads " +
            "it as more of that value: indent it exactly like \"" + previousKey + ":\" (" + keyColumn + " spaces)";
    }

    /** The first NetworkPolicy structure problem in the text above the syntax error, or null. */
    private static ScenarioException earlierPolicyProblem(
        final String text,
        final Origin origin,
        final int errorLine,
        final String prefix,
        final String suffix)
    {
        final List<String> lines = text.lines().toList();
        final String before = String.join("\n", lines.subList(0, Math.min(errorLine, lines.size()))) + "\n";
        try
        {
            final List<Node> documents = YamlDocuments.composeAll(before, origin);
            if (documents.isEmpty() || !(documents.getLast() instanceof MappingNode document))
            {
                return null;
            }
            final Origin documentOrigin = origin.withDocument(prefix + "document " + documents.size() + suffix);
            final Node kind = YamlMap.of(documentOrigin, document, "").value("kind");
            if (kind != null && "NetworkPolicy".equals(Values.text(documentOrigin, kind, "kind")))
            {
                NetworkPolicyShape.check(documentOrigin, document);
            }
            return null;
        }
        catch (final ScenarioException problem)
        {
            // Only a problem above the error counts: the cut text may break anywhere.
            return problem.line() > 0 && problem.line() - 1 - origin.lineOffset() < errorLine &&
                problem.document() != null ? problem : null;
        }
    }

    /** Where the key of a line starts: after its indentation and any "- " list markers. */
    private static int keyColumn(final String line)
    {
        int column = leadingSpaces(line);
        while (line.startsWith("- ", column))
        {
            column = column + 2 + leadingSpaces(line.substring(column + 2));
        }
        return column;
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
