package dev.podswitch.scenarios.load;

import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.scenarios.model.MatrixSpec;
import dev.podswitch.scenarios.model.MatrixSpec.Cell;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static dev.podswitch.scenarios.load.ScenarioFiles.assertError;
import static dev.podswitch.scenarios.load.ScenarioFiles.loadFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The matrix text: errors point at the cell's own line and column in the scenario file (line 9 is the to: row). */
class MatrixReaderTest
{
    private static final String[] HEAD = {
        "name: x",
        "pods: [{name: a}, {name: b}]",
        "hosts: [{name: h, ip: 192.168.0.1}, {name: g, ip: 192.168.0.2}]",
        "steps:",
        "  - matrix:",
        "      protocol: ICMP",
        "      expect: |",
        "        # comment lines and blank lines are skipped",
        "        to: default/a default/b h"};

    @TempDir
    Path dir;

    @Test
    void shouldReadRowsWhenColumnsAreNotAligned() throws Exception
    {
        final Path file = ScenarioFiles.write(dir, "ok.yaml", String.join("\n", HEAD) + "\n" +
            "        default/a - X .\n" +
            "\n" +
            "        default/b    .   -   X\n" +
            "        g . . -\n");

        final MatrixSpec matrix = ScenarioLoader.load(file).steps().getFirst().matrix();

        assertEquals(IpProtocol.ICMP, matrix.protocol());
        assertEquals(0, matrix.port());
        assertEquals(List.of("default/a", "default/b", "g"), matrix.sources());
        assertEquals(List.of(Cell.ALLOWED, Cell.NOT_PROBED, Cell.DENIED), matrix.cells().get(1));
        assertEquals(Cell.NOT_PROBED, matrix.expected("g", "h"));
        assertEquals(Cell.DENIED, matrix.expected("default/a", "default/b"));
    }

    @Test
    void shouldReportTheRowWhenItHasTheWrongNumberOfCells()
    {
        final ScenarioException ex = loadFailure(dir, concat("        default/a - X"));

        assertError(ex, "scenario.yaml", 10, 9, "steps[0].matrix.expect", "row default/a has 2 cells but there are 3 " +
            "destinations [default/a, default/b, h]");
    }

    @Test
    void shouldReportTheCellWhenItsCharacterIsUnknown()
    {
        final ScenarioException ex = loadFailure(dir, concat("        default/a  -  x  ."));

        assertError(ex, "scenario.yaml", 10, 23, "steps[0].matrix.expect", "unknown cell \"x\" (from default/a to default/b)",
            ". (allowed), X (denied), - (not probed)");
    }

    @Test
    void shouldReportTheSourceWhenItDoesNotExist()
    {
        final ScenarioException ex = loadFailure(dir, concat("        default/c - X ."));

        assertError(ex, "scenario.yaml", 10, 9, "steps[0].matrix.expect", "no pod or host \"default/c\" exists");
    }

    @Test
    void shouldReportTheDestinationWhenItDoesNotExist()
    {
        final String[] lines = concat("        default/a - X .");
        lines[8] = "        to: default/a default/b k";

        final ScenarioException ex = loadFailure(dir, lines);

        assertError(ex, "scenario.yaml", 9, 33, "steps[0].matrix.expect", "no pod or host \"k\" exists");
    }

    @Test
    void shouldReportTheSecondRowWhenASourceIsListedTwice()
    {
        final ScenarioException ex = loadFailure(dir, concat("        default/a - X .", "        default/a - X ."));

        assertError(ex, "scenario.yaml", 11, 9, "steps[0].matrix.expect", "source \"default/a\" is listed twice");
    }

    @Test
    void shouldRequireNotProbedWhenASourceMeetsItselfOrAHostMeetsAHost()
    {
        assertError(loadFailure(dir, concat("        default/a . X .")),
            "scenario.yaml", 10, 19, "steps[0].matrix.expect", "must be - (not probed): a source does not probe itself");
        assertError(loadFailure(dir, concat("        g . . X")),
            "scenario.yaml", 10, 15, "steps[0].matrix.expect", "host-to-host traffic never crosses the switch");
    }

    @Test
    void shouldRequireTheToRowWhenTheTableStartsWithASource()
    {
        final String[] lines = concat("        default/a - X .");
        lines[8] = "        from: default/a default/b h";

        final ScenarioException ex = loadFailure(dir, lines);

        assertError(ex, "scenario.yaml", 9, 9, "steps[0].matrix.expect", "the first row must start with \"to:\"");
    }

    private static String[] concat(final String... rows)
    {
        final String[] lines = java.util.Arrays.copyOf(HEAD, HEAD.length + rows.length);
        System.arraycopy(rows, 0, lines, HEAD.length, rows.length);
        return lines;
    }
}
