package dev.podswitch.scenarios.report;

import dev.podswitch.scenarios.model.MatrixSpec;
import dev.podswitch.scenarios.run.ProbeOutcome;
import dev.podswitch.scenarios.run.StepResult;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders a step's matrix as observed, in the layout of the scenario file so the two can be
 * compared side by side; a cell whose observation differs from the expectation is marked with
 * {@code !} (and red on a terminal).
 */
final class MatrixRenderer
{
    private MatrixRenderer()
    {
    }

    static String render(final StepResult step, final Style style, final String indent)
    {
        final MatrixSpec matrix = step.matrix();
        final Map<String, ProbeOutcome> outcomeByPair = new HashMap<>();
        for (final ProbeOutcome outcome : step.matrixProbes())
        {
            outcomeByPair.put(outcome.from() + "\u0000" + outcome.to(), outcome);
        }
        final List<String> columns = matrix.destinations();
        int firstWidth = "to:".length();
        for (final String source : matrix.sources())
        {
            firstWidth = Math.max(firstWidth, source.length());
        }
        final StringBuilder text = new StringBuilder(indent).append(Table.pad("to:", firstWidth + 2));
        for (final String column : columns)
        {
            text.append(Table.pad(column, column.length() + 1));
        }
        trimLine(text);
        for (final String source : matrix.sources())
        {
            text.append(indent).append(Table.pad(source, firstWidth + 2));
            for (final String column : columns)
            {
                final ProbeOutcome outcome = outcomeByPair.get(source + "\u0000" + column);
                final String cell;
                if (outcome == null)
                {
                    cell = "-";
                }
                else if (outcome.isMismatch())
                {
                    cell = style.bad((outcome.observed() ? "." : "X") + "!");
                }
                else
                {
                    cell = outcome.observed() ? style.good(".") : style.denied("X");
                }
                final int visible = outcome != null && outcome.isMismatch() ? 2 : 1;
                text.append(cell).append(" ".repeat(Math.max(1, column.length() + 1 - visible)));
            }
            trimLine(text);
        }
        return text.toString();
    }

    private static void trimLine(final StringBuilder text)
    {
        int end = text.length();
        while (end > 0 && text.charAt(end - 1) == ' ')
        {
            end--;
        }
        text.setLength(end);
        text.append('\n');
    }
}
