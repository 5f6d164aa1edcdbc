package dev.podswitch.scenarios.report;

import dev.podswitch.scenarios.model.HostSpec;
import dev.podswitch.scenarios.model.MatrixSpec;
import dev.podswitch.scenarios.model.PodSpec;
import dev.podswitch.scenarios.model.Scenario;
import dev.podswitch.scenarios.run.Lab;
import dev.podswitch.scenarios.run.ProbeOutcome;
import dev.podswitch.scenarios.run.RunListener;
import dev.podswitch.scenarios.run.ScenarioResult;
import dev.podswitch.scenarios.run.StepResult;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * {@code run --report FILE.html}: one self-contained page (no scripts, no network) per run, for
 * people who would rather look than read — each scenario's cluster, and per step the policies in
 * force and the connectivity matrix as a coloured grid, with every cell that differs from the
 * expectation outlined, and each probe's answer in its tooltip. It listens to the run like the
 * human report and renders at the end.
 */
public final class HtmlReport implements RunListener
{
    private final List<Section> sections = new ArrayList<>();
    private Section current;

    private static final class Section
    {
        final Scenario scenario;
        final StringBuilder cluster = new StringBuilder();
        final List<String> policiesByStep = new ArrayList<>();
        ScenarioResult result;

        Section(final Scenario scenario)
        {
            this.scenario = scenario;
        }
    }

    public void scenarioStarted(final Scenario scenario)
    {
        current = new Section(scenario);
        sections.add(current);
    }

    public void scenarioFinished(final ScenarioResult result)
    {
        current.result = result;
    }

    @Override
    public void clusterBuilt(final ScenarioResult.NodeInfo[] nodes, final Lab lab)
    {
        final StringBuilder html = current.cluster;
        html.append("<table class=list><tr><th>node</th><th>pod CIDR</th><th>gateway</th><th>VTEP</th></tr>");
        for (final ScenarioResult.NodeInfo node : nodes)
        {
            html.append("<tr><td>").append(escape(node.name())).append("</td><td>").append(node.podCidr())
                .append("</td><td>").append(node.gateway()).append("</td><td>").append(node.vtep()).append("</td></tr>");
        }
        html.append("</table><table class=list><tr><th>pod</th><th>node</th><th>IP</th><th>labels</th></tr>");
        for (final PodSpec pod : lab.pods().values())
        {
            html.append("<tr><td>").append(escape(pod.key())).append("</td><td>").append(escape(pod.node()))
                .append("</td><td>").append(pod.ip()).append("</td><td>").append(escape(labels(pod.labels())))
                .append("</td></tr>");
        }
        for (final HostSpec host : lab.hosts().values())
        {
            html.append("<tr><td>").append(escape(host.name())).append(" (host)</td><td>")
                .append(escape(lab.nodeOf(host.name()))).append("</td><td>").append(host.ip()).append("</td><td></td></tr>");
        }
        html.append("</table>");
    }

    @Override
    public void stepFinished(final int index, final StepResult step, final Lab lab)
    {
        current.policiesByStep.add(lab.policies().isEmpty() ? "none — every pod may talk to every pod"
            : String.join(", ", lab.policies().keySet()));
    }

    private static String labels(final Map<String, String> labels)
    {
        return labels.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", "));
    }

    public void write(final Path file) throws IOException
    {
        final StringBuilder html = new StringBuilder("""
            <!doctype html><html><head><meta charset="utf-8"><title>podswitch report</title><style>
            body{font:14px system-ui,sans-serif;margin:2em;color:#222;max-width:80em}
            h1{font-size:1.5em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}h3{font-size:1.05em}
            table{border-collapse:collapse;margin:.5em 0 1em}td,th{padding:.25em .6em;text-align:left}
            table.list td,table.list th{border-bottom:1px solid #eee}
            table.matrix td{width:2.2em;height:1.8em;text-align:center;border:1px solid #fff;font-weight:600}
            table.matrix th.col{writing-mode:vertical-rl;transform:rotate(180deg);font-weight:normal;padding:.3em}
            td.allow{background:#cfeccf;color:#1b5e20}td.deny{background:#f6c9c9;color:#8e1b1b}td.skip{background:#f3f3f3;color:#aaa}
            td.bad{outline:3px solid #d50000;outline-offset:-3px}
            .pass{color:#1b5e20;font-weight:600}.fail{color:#b71c1c;font-weight:600}.muted{color:#777}
            </style></head><body><h1>podswitch report</h1>
            <p class=muted>Cells: <b>.</b> allowed (green), <b>X</b> denied (red), <b>-</b> not probed; a red
            outline marks a cell that differs from the scenario's expectation. Hover a cell for the answer
            that came back and the source address the receiver saw.</p>
            """);
        for (final Section section : sections)
        {
            renderSection(html, section);
        }
        html.append("</body></html>\n");
        Files.writeString(file, html, StandardCharsets.UTF_8);
    }

    private static void renderSection(final StringBuilder html, final Section section)
    {
        final ScenarioResult result = section.result;
        html.append("<h2>").append(escape(section.scenario.name())).append("</h2><p class=muted>")
            .append(escape(section.scenario.file().toString())).append("</p>");
        if (section.scenario.description() != null)
        {
            html.append("<p>").append(escape(section.scenario.description().strip())).append("</p>");
        }
        html.append(section.cluster);
        if (result == null)
        {
            return;
        }
        for (int i = 0; i < result.steps().size(); i++)
        {
            final StepResult step = result.steps().get(i);
            html.append("<h3>Step ").append(i + 1).append(": ").append(escape(step.name())).append("</h3>")
                .append("<p class=muted>NetworkPolicies in force: ").append(escape(section.policiesByStep.get(i)))
                .append("</p>");
            renderExpectations(html, step);
            if (step.matrix() != null)
            {
                renderMatrix(html, step);
            }
        }
        final long mismatches = result.mismatches();
        html.append("<p><span class=").append(mismatches == 0 ? "pass>PASS" : "fail>FAIL").append("</span> ")
            .append(result.probeCount()).append(" probes, ").append(mismatches).append(" mismatches. Frames: ")
            .append(result.dataplane().received()).append(" received, ").append(result.dataplane().forwarded())
            .append(" forwarded, dropped ").append(escape(result.dataplane().drops().toString())).append("</p>");
    }

    private static void renderExpectations(final StringBuilder html, final StepResult step)
    {
        final List<ProbeOutcome> single = step.probes().subList(0, step.probes().size() - step.matrixProbes().size());
        if (single.isEmpty())
        {
            return;
        }
        html.append("<table class=list><tr><th></th><th>from</th><th>to</th><th>probe</th><th>observed</th>"
            + "<th>answer</th></tr>");
        for (final ProbeOutcome probe : single)
        {
            html.append("<tr><td class=").append(probe.isMismatch() ? "fail>✗" : "pass>✓").append("</td><td>")
                .append(escape(probe.from())).append("</td><td>").append(escape(probe.to())).append("</td><td>")
                .append(probe.probeLabel()).append("</td><td>").append(probe.observed() ? "allowed" : "denied")
                .append(probe.isMismatch() ? " (expected " + (probe.expected() ? "allowed" : "denied") + ")" : "")
                .append("</td><td>").append(escape(String.valueOf(probe.answer()))).append("</td></tr>");
        }
        html.append("</table>");
    }

    private static void renderMatrix(final StringBuilder html, final StepResult step)
    {
        final MatrixSpec matrix = step.matrix();
        final Map<String, ProbeOutcome> byPair = new HashMap<>();
        for (final ProbeOutcome probe : step.matrixProbes())
        {
            byPair.put(probe.from() + "\u0000" + probe.to(), probe);
        }
        html.append("<p>").append(matrix.protocol()).append(matrix.protocol().hasPorts() ? "/" + matrix.port() : "")
            .append(" — rows send, columns receive</p><table class=matrix><tr><th></th>");
        for (final String destination : matrix.destinations())
        {
            html.append("<th class=col>").append(escape(destination)).append("</th>");
        }
        html.append("</tr>");
        for (final String source : matrix.sources())
        {
            html.append("<tr><th>").append(escape(source)).append("</th>");
            for (final String destination : matrix.destinations())
            {
                final ProbeOutcome probe = byPair.get(source + "\u0000" + destination);
                if (probe == null)
                {
                    html.append("<td class=skip>-</td>");
                    continue;
                }
                html.append("<td class=\"").append(probe.observed() ? "allow" : "deny")
                    .append(probe.isMismatch() ? " bad" : "").append("\" title=\"")
                    .append(escape(source + " → " + destination + ": " + (probe.observed() ? "allowed" : "denied")
                        + (probe.isMismatch() ? ", expected " + (probe.expected() ? "allowed" : "denied") : "")
                        + "; answer " + probe.answer()
                        + (probe.sourceIpSeen() == null ? "" : "; receiver saw " + probe.sourceIpSeen())))
                    .append("\">").append(probe.observed() ? "." : "X").append("</td>");
            }
            html.append("</tr>");
        }
        html.append("</table>");
    }

    private static String escape(final String text)
    {
        return text == null ? "" : text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\"", "&quot;");
    }
}
