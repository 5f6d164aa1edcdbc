package dev.podswitch.scenarios.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.podswitch.control.explain.Explanation;
import dev.podswitch.control.report.Report;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The report as one self-contained HTML file (its style and its one small script inline; no
 * network, no fonts, no CDN): per section the topology picture, and per step the matrix and the
 * probes, whose cells explain themselves — on hover as a tooltip, on click beside the matrix with
 * the deciding rule highlighted in the policies of that step — then the flows of the step.
 * Element ids: a step is {@code sS-tT}; its matrix cells {@code sS-tT-rR-cC}, its probes
 * {@code sS-tT-pI}; a policy {@code sS-tT-NS_NAME}, a rule of it {@code …-ingress-0}.
 */
public final class TeachingPage
{
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Columns beyond which a matrix takes the whole width. */
    private static final int WIDE_MATRIX = 8;

    private TeachingPage()
    {
    }

    public static String render(final Report report)
    {
        final StringBuilder html = new StringBuilder(64 * 1024);
        html.append("<!doctype html><html lang=en><head><meta charset=utf-8>")
            .append("<meta name=viewport content=\"width=device-width, initial-scale=1\"><title>")
            .append(Html.escape(report.title())).append("</title><style>").append(resource("report.css"))
            .append("</style></head><body><h1>").append(Html.escape(report.title())).append("</h1>")
            .append("<p class=muted>Matrices: rows send, columns receive. <b>✓</b> allowed (green), <b>✗</b> denied (red), ")
            .append("<b>–</b> not probed; a red outline marks a cell that differs from the expectation. ")
            .append("Hover a cell for its explanation; click it to see it beside the matrix, with the rule that ")
            .append("allowed it highlighted in the policies — or, when no rule did, the policies that isolate the pod outlined in red.</p>");
        for (int s = 0; s < report.sections().size(); s++)
        {
            section(html, report.sections().get(s), s);
        }
        html.append("<script>").append(resource("report.js")).append("</script></body></html>\n");
        return html.toString();
    }

    private static void section(final StringBuilder html, final Report.Section section, final int index)
    {
        html.append("<section class=scenario id=s").append(index).append("><h2>").append(Html.escape(section.name()))
            .append("</h2>");
        if (section.source() != null)
        {
            html.append("<p class=muted>").append(Html.escape(section.source())).append("</p>");
        }
        if (section.description() != null && !section.description().isBlank())
        {
            html.append("<p>").append(Html.escape(section.description().strip())).append("</p>");
        }
        html.append("<figure class=topology>").append(TopologySvg.render(section.topology())).append("</figure>");
        for (int t = 0; t < section.steps().size(); t++)
        {
            step(html, section.steps().get(t), "s" + index + "-t" + t, section.steps().size() > 1 ? t + 1 : 0);
        }
        if (section.summary() != null)
        {
            html.append("<p class=summary><span class=").append(section.passed() ? "pass>PASS" : "fail>FAIL")
                .append("</span> ").append(Html.escape(section.summary())).append("</p>");
        }
        html.append("</section>");
    }

    private static void step(final StringBuilder html, final Report.Step step, final String prefix, final int number)
    {
        html.append("<div class=step id=").append(prefix).append(" data-prefix=").append(prefix).append("><h3>")
            .append(number > 0 ? "Step " + number + ": " : "").append(Html.escape(step.name())).append("</h3>")
            .append("<div class=\"stepgrid").append(isWide(step) ? " wide" : "").append("\"><div class=grids>");
        probes(html, step.probes(), prefix);
        if (step.matrix() != null)
        {
            matrix(html, step.matrix(), prefix);
        }
        html.append("</div><aside><div class=explain aria-live=polite><p class=muted>Click a cell or a probe to see why.</p>")
            .append("</div><h4>NetworkPolicies in force</h4>");
        if (step.policies().isEmpty())
        {
            html.append("<p class=muted>None: no pod is isolated, every pod may talk to every pod.</p>");
        }
        for (final Report.Policy policy : step.policies())
        {
            final String id = prefix + "-" + Html.idPart(policy.key());
            html.append("<div class=policy id=").append(id).append("><div class=policyname>").append(Html.escape(policy.key()))
                .append("</div><pre>").append(PolicyYaml.render(policy.manifest(), id)).append("</pre></div>");
        }
        html.append("</aside></div>");
        flows(html, step);
        html.append("</div>");
    }

    /** A matrix too wide to share the width with the policies: then they go below it. */
    private static boolean isWide(final Report.Step step)
    {
        return step.matrix() != null && step.matrix().destinations().size() > WIDE_MATRIX;
    }

    private static void probes(final StringBuilder html, final List<Report.Cell> probes, final String prefix)
    {
        if (probes.isEmpty())
        {
            return;
        }
        html.append("<table class=list><tr><th></th><th>from</th><th>to</th><th>probe</th><th>observed</th><th>answer</th></tr>");
        for (int i = 0; i < probes.size(); i++)
        {
            final Report.Cell probe = probes.get(i);
            html.append("<tr class=probe tabindex=0 id=").append(prefix).append("-p").append(i).append(cellAttributes(probe))
                .append("><td class=").append(probe.isMismatch() ? "fail>✗" : "pass>✓").append("</td><td>")
                .append(Html.escape(probe.from())).append("</td><td>").append(Html.escape(probe.to())).append("</td><td>")
                .append(Html.escape(probe.probe())).append("</td><td>").append(probe.allowed() ? "allowed" : "denied")
                .append(probe.isMismatch() ? " (expected " + (probe.expected() ? "allowed" : "denied") + ")" : "")
                .append("</td><td>").append(Html.escape(String.valueOf(probe.answer()))).append("</td></tr>");
        }
        html.append("</table>");
    }

    private static void matrix(final StringBuilder html, final Report.Matrix matrix, final String prefix)
    {
        final Map<String, Report.Cell> byPair = new HashMap<>();
        matrix.cells().forEach(cell -> byPair.put(cell.from() + "\u0000" + cell.to(), cell));
        final boolean probed = matrix.cells().stream().anyMatch(Report.Cell::probed);
        html.append("<p><b>").append(Html.escape(matrix.probe())).append("</b> — rows send, columns receive")
            .append(probed ? "" : "; verdicts of the policies in force (nothing was probed)")
            .append("</p><table class=matrix><tr><th></th>");
        for (final String destination : matrix.destinations())
        {
            html.append("<th class=col>").append(Html.escape(destination)).append("</th>");
        }
        html.append("</tr>");
        for (int r = 0; r < matrix.sources().size(); r++)
        {
            final String source = matrix.sources().get(r);
            html.append("<tr><th>").append(Html.escape(source)).append("</th>");
            for (int c = 0; c < matrix.destinations().size(); c++)
            {
                final Report.Cell cell = byPair.get(source + "\u0000" + matrix.destinations().get(c));
                if (cell == null)
                {
                    html.append("<td class=skip>–</td>");
                    continue;
                }
                html.append("<td tabindex=0 id=").append(prefix).append("-r").append(r).append("-c").append(c)
                    .append(" class=\"").append(cell.allowed() ? "allow" : "deny").append(cell.isMismatch() ? " bad" : "")
                    .append('"').append(cellAttributes(cell)).append('>').append(cell.allowed() ? "✓" : "✗").append("</td>");
            }
            html.append("</tr>");
        }
        html.append("</table>");
    }

    /** The tooltip (the explanation as text) and the data the script shows on click. */
    private static String cellAttributes(final Report.Cell cell)
    {
        final StringBuilder title = new StringBuilder();
        final Explanation explanation = cell.explanation();
        if (cell.probed())
        {
            title.append("probe: ").append(cell.allowed() ? "allowed" : "denied")
                .append(cell.isMismatch() ? " (expected " + (cell.expected() ? "allowed" : "denied") + ")" : "")
                .append("; answer ").append(cell.answer())
                .append(cell.sourceIpSeen() == null ? "; nothing reached the receiver" : "; receiver saw " + cell.sourceIpSeen())
                .append('\n');
        }
        if (explanation != null)
        {
            title.append(String.join("\n", explanation.lines()));
        }
        try
        {
            return " title=\"" + Html.escape(title.toString().strip()) + "\" data-cell=\"" + Html.escape(JSON.writeValueAsString(cell))
                + "\"";
        }
        catch (final JsonProcessingException impossible)
        {
            throw new IllegalStateException("a report cell did not serialize: " + impossible.getMessage(), impossible);
        }
    }

    private static void flows(final StringBuilder html, final Report.Step step)
    {
        if (step.flows().isEmpty())
        {
            html.append("<p class=muted>No flows were recorded during this step.</p>");
            return;
        }
        html.append("<details class=flows").append(step.flows().size() <= 12 ? " open" : "").append("><summary>Flows recorded during this step: ")
            .append(step.flows().size()).append(step.flowsLeftOut() > 0 ? " (the last ones; " + step.flowsLeftOut()
                + " earlier left out)" : "").append("</summary><pre>");
        for (final String line : step.flows())
        {
            html.append("<span class=").append(line.contains(" DROPPED") ? "flow-dropped" : "flow-forwarded").append('>')
                .append(Html.escape(line)).append("</span>\n");
        }
        html.append("</pre></details>");
    }

    private static String resource(final String name)
    {
        try (InputStream in = TeachingPage.class.getResourceAsStream(name))
        {
            if (in == null)
            {
                throw new IllegalStateException("the report's " + name + " is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        catch (final IOException failed)
        {
            throw new UncheckedIOException(failed);
        }
    }
}
