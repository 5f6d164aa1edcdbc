package dev.podswitch.scenarios.report;

import dev.podswitch.control.ClusterOptions;
import dev.podswitch.scenarios.load.ScenarioLoader;
import dev.podswitch.scenarios.model.MatrixSpec;
import dev.podswitch.scenarios.model.Scenario;
import dev.podswitch.scenarios.run.ScenarioRunner;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The teaching report as a browser shows it: the demo and the external-hosts scenarios run, their
 * report is opened in headless Chromium, and the DOM the page's script leaves is checked — the
 * topology picture, every cell's explanation, and, with a cell selected, the deciding rule
 * highlighted (or the isolating policy outlined). A screenshot is kept in
 * {@code target/report-artifacts/} for people to look at.
 */
class TeachingReportChromiumTest
{
    private static final Path ARTIFACTS = Path.of("target", "report-artifacts");

    @TempDir
    static Path work;

    private static Path page;
    private static Scenario demo;
    private static HeadlessChromium chromium;

    @BeforeAll
    static void runTheScenariosAndWriteTheReport() throws Exception
    {
        chromium = HeadlessChromium.find(work);
        demo = ScenarioLoader.load(Path.of("library", "demo.yaml"));
        final Scenario hosts = ScenarioLoader.load(Path.of("library", "external-hosts.yaml"));
        final HtmlReport report = new HtmlReport();
        for (final Scenario scenario : List.of(demo, hosts))
        {
            report.scenarioStarted(scenario);
            report.scenarioFinished(new ScenarioRunner(ClusterOptions.Underlay.MEMORY, report).run(scenario));
        }
        Files.createDirectories(ARTIFACTS);
        page = ARTIFACTS.resolve("report.html");
        report.write(page);
    }

    @Test
    void shouldDrawTheTopologyWithNodesPodsTheTunnelAndExternalHosts() throws Exception
    {
        final String dom = chromium.dumpDom(page, "");
        final String demoPicture = between(dom, "<section class=\"scenario\" id=\"s0\"", "</svg>");
        assertTrue(demoPicture.contains("<svg class=\"topology\""), "the demo section draws an SVG");
        for (final String node : List.of("node-1", "node-2"))
        {
            assertTrue(demoPicture.contains("data-node=\"" + node + "\""), node + " is drawn");
        }
        assertTrue(demoPicture.contains("10.244.0.0/24") && demoPicture.contains("VTEP "), "nodes show pod CIDR and VTEP");
        for (final String pod : List.of("default/web", "default/api", "prod/db", "prod/batch"))
        {
            assertTrue(demoPicture.contains("data-pod=\"" + pod + "\""), pod + " is drawn inside its node");
        }
        assertTrue(demoPicture.contains("role=db"), "pods show their labels");
        assertTrue(demoPicture.contains("class=\"tunnelline\"") && demoPicture.contains("VXLAN tunnel"),
            "the tunnel between the nodes is drawn and named");
        final String hostsPicture = between(dom, "<section class=\"scenario\" id=\"s1\"", "</svg>");
        assertTrue(hostsPicture.contains("data-host=\"admin\"") && hostsPicture.contains("192.168.5.10"),
            "external hosts are drawn with their addresses");
    }

    @Test
    void shouldLetEveryProbedCellExplainItselfOnHover() throws Exception
    {
        final String dom = chromium.dumpDom(page, "");
        final Matcher cells = Pattern.compile("<td [^>]*data-cell=[^>]*>").matcher(dom);
        int count = 0;
        while (cells.find())
        {
            final String cell = cells.group();
            count++;
            assertTrue(cell.contains("title=\"") && cell.contains("ingress, at the receiver's node")
                && cell.contains("egress, at the sender's node"), "a cell's tooltip is the explain engine's account: " + cell);
        }
        final int expected = demo.steps().stream().map(step -> step.matrix()).filter(matrix -> matrix != null)
            .mapToInt(TeachingReportChromiumTest::probedCells).sum();
        assertTrue(count >= expected, "every probed matrix cell of the demo carries its explanation: " + count + " < " + expected);
    }

    @Test
    void shouldHighlightTheRuleThatAllowedASelectedCell() throws Exception
    {
        final String dom = chromium.dumpDom(page, "cell=" + cellId(2, "default/api", "prod/db"));
        assertTrue(dom.contains("default/api → prod/db  TCP/3306: ALLOWED"), "the panel names the verdict");
        assertTrue(dom.contains("allowed by prod/db-policy spec.ingress[0].from[0] ports[0]"),
            "the panel names the deciding rule, peer and port");
        assertTrue(dom.contains("the receiver saw source 10.244.1.2"), "the panel says which source IP arrived (no NAT)");
        final String policy = "s0-t2-prod_db-policy";
        assertTrue(dom.contains("<span class=\"rule hl\" id=\"" + policy + "-ingress-0\""), "the rule is highlighted");
        assertTrue(dom.contains("<span class=\"rule hl\" id=\"" + policy + "-ingress-0-peer-0\""), "its peer is highlighted");
        assertTrue(dom.contains("<span class=\"rule hl\" id=\"" + policy + "-ingress-0-port-0\""), "its port is highlighted");
        assertTrue(dom.contains("<span class=\"rule\" id=\"" + policy + "-ingress-0-peer-1\""), "the other peer is not");
        assertTrue(dom.contains("class=\"policy deciding\" id=\"" + policy + "\""), "the deciding policy is marked");
        chromium.screenshot(page, "cell=" + cellId(2, "default/api", "prod/db"), ARTIFACTS.resolve("report.png"), 1300, 3000);
        assertTrue(Files.size(ARTIFACTS.resolve("report.png")) > 50_000, "the screenshot shows a page, not a blank");
    }

    @Test
    void shouldOutlineTheIsolatingPolicyWhenNoRuleAllowedASelectedCell() throws Exception
    {
        final String dom = chromium.dumpDom(page, "cell=" + cellId(2, "default/web", "prod/db"));
        assertTrue(dom.contains("default/web → prod/db  TCP/3306: DENIED"), "the panel names the verdict");
        assertTrue(dom.contains("is isolated by prod/db-policy and no rule of them matches"), "the panel says no rule matched");
        assertTrue(dom.contains("class=\"policy isolating\" id=\"s0-t2-prod_db-policy\""), "the isolating policy is outlined");
        assertFalse(dom.contains("class=\"rule hl\""), "no rule is highlighted: none allowed it");
        assertTrue(dom.contains("nothing reached the receiver"), "the panel says the request never arrived");
    }

    @Test
    void shouldListTheFlowsOfEachStep() throws Exception
    {
        final String dom = chromium.dumpDom(page, "");
        final String step3 = between(dom, "id=\"s0-t2\"", "id=\"s0-t3\"");
        assertTrue(step3.contains("Flows recorded during this step"), "step 3 lists its flows");
        assertTrue(Pattern.compile("default/web:\\d+ -&gt; prod/db:3306 TCP SYN DROPPED \\(ingress denied: prod/db-policy\\)")
            .matcher(step3).find(), "the denied SYN is in step 3's flows with the policy that denied it");
        assertTrue(step3.contains("FORWARDED (ingress allowed: prod/db-policy"), "an allowed connection names its policy");
    }

    private static int probedCells(final MatrixSpec matrix)
    {
        return (int)matrix.cells().stream().flatMap(List::stream).filter(cell -> cell != MatrixSpec.Cell.NOT_PROBED).count();
    }

    private static String cellId(final int step, final String from, final String to)
    {
        final MatrixSpec matrix = demo.steps().get(step).matrix();
        final int row = matrix.sources().indexOf(from);
        final int column = matrix.destinations().indexOf(to);
        assertTrue(row >= 0 && column >= 0, from + " and " + to + " are in step " + (step + 1) + "'s matrix");
        return "s0-t" + step + "-r" + row + "-c" + column;
    }

    private static String between(final String text, final String start, final String end)
    {
        final int from = text.indexOf(start);
        assertTrue(from >= 0, "the page has " + start);
        final int to = text.indexOf(end, from);
        assertEquals(true, to > from, "the page has " + end + " after " + start);
        return text.substring(from, to);
    }
}
