package dev.podswitch.scenarios.model;

import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.scenarios.model.MatrixSpec.Cell;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class MatrixSpecTest
{
    private static final SourceLocation WHERE = new SourceLocation(Path.of("x.yaml"), 3, 7);

    @Test
    void shouldAnswerEachCellWhenAskedBySourceAndDestination()
    {
        final MatrixSpec matrix = new MatrixSpec(IpProtocol.TCP, 80, List.of("a/b", "h"), List.of("a/b", "a/c"),
            List.of(List.of(Cell.NOT_PROBED, Cell.ALLOWED), List.of(Cell.DENIED, Cell.ALLOWED)), WHERE);

        assertEquals(Cell.ALLOWED, matrix.expected("a/b", "h"));
        assertEquals(Cell.DENIED, matrix.expected("a/c", "a/b"));
        assertEquals(Cell.NOT_PROBED, matrix.expected("a/b", "a/b"));
    }

    @Test
    void shouldAnswerNotProbedWhenANameIsNotInTheMatrix()
    {
        final MatrixSpec matrix = new MatrixSpec(IpProtocol.ICMP, 0, List.of("a/b"), List.of("a/c"),
            List.of(List.of(Cell.ALLOWED)), WHERE);

        assertEquals(Cell.NOT_PROBED, matrix.expected("a/x", "a/b"));
        assertEquals(Cell.NOT_PROBED, matrix.expected("a/c", "a/x"));
    }

    @Test
    void shouldRejectRowsWhenTheirSizeDisagreesWithTheDestinations()
    {
        assertThrows(IllegalArgumentException.class, () -> new MatrixSpec(IpProtocol.TCP, 80, List.of("a/b", "h"),
            List.of("a/c"), List.of(List.of(Cell.ALLOWED)), WHERE));
        assertThrows(IllegalArgumentException.class, () -> new MatrixSpec(IpProtocol.TCP, 80, List.of("a/b"),
            List.of("a/c", "a/d"), List.of(List.of(Cell.ALLOWED)), WHERE));
    }

    @Test
    void shouldStayImmutableWhenTheCallersListsChange()
    {
        final List<Cell> row = new ArrayList<>(List.of(Cell.ALLOWED));
        final MatrixSpec matrix = new MatrixSpec(IpProtocol.TCP, 80, List.of("a/b"), List.of("a/c"), List.of(row), WHERE);

        row.set(0, Cell.DENIED);

        assertEquals(Cell.ALLOWED, matrix.expected("a/c", "a/b"));
        assertThrows(UnsupportedOperationException.class, () -> matrix.cells().getFirst().set(0, Cell.DENIED));
    }

    @Test
    void shouldMapSymbolsWhenReadingCells()
    {
        assertEquals(Cell.ALLOWED, Cell.ofSymbol('.'));
        assertEquals(Cell.DENIED, Cell.ofSymbol('X'));
        assertEquals(Cell.NOT_PROBED, Cell.ofSymbol('-'));
        assertNull(Cell.ofSymbol('x'));
        assertEquals('X', Cell.DENIED.symbol());
    }
}
