package dev.podswitch.scenarios.report;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Progress draws one overwritten line on a terminal, clears it when done, and prints nothing elsewhere. */
class TerminalProgressTest
{
    @Test
    void shouldDrawTheCountAndClearItWhenDone()
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final TerminalProgress progress = new TerminalProgress("bringing up pods", 3, new PrintStream(bytes, true,
            StandardCharsets.UTF_8), true);
        progress.update(1);
        progress.update(3);
        progress.finish();
        final String printed = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(printed.startsWith("\r  bringing up pods 1/3"), printed);
        assertTrue(printed.contains("\r  bringing up pods 3/3"), "the last count is always drawn: " + printed);
        assertTrue(printed.endsWith("\r"), "cleared at the end: " + printed);
    }

    @Test
    void shouldPrintNothingWhenNotOnATerminal()
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final TerminalProgress progress = new TerminalProgress("bringing up pods", 3, new PrintStream(bytes, true,
            StandardCharsets.UTF_8), false);
        progress.update(1);
        progress.update(3);
        progress.finish();
        assertEquals("", bytes.toString(StandardCharsets.UTF_8));
    }
}
