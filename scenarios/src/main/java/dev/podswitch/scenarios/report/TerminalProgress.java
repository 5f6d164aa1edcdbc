package dev.podswitch.scenarios.report;

import java.io.Console;
import java.io.PrintStream;

/**
 * One self-overwriting line of progress ({@code   bringing up pods 37/100}) for long work, on a
 * terminal only: redirected to a file, a pipe or a CI log it prints nothing, so logs stay clean.
 * Redraws at most every 100 ms, and clears itself when done.
 */
public final class TerminalProgress
{
    private static final long REDRAW_NS = 100_000_000L;

    private final String label;
    private final int total;
    private final PrintStream out;
    private final boolean enabled;
    private long lastDrawNs;
    private boolean drawn;

    TerminalProgress(final String label, final int total, final PrintStream out, final boolean enabled)
    {
        this.label = label;
        this.total = total;
        this.out = out;
        this.enabled = enabled;
    }

    /** On stderr, when it is a terminal and {@code total} makes the wait noticeable. */
    public static TerminalProgress onTerminal(final String label, final int total, final int worthShowingFrom)
    {
        final Console console = System.console();
        return new TerminalProgress(label, total, System.err, console != null && console.isTerminal()
            && total >= worthShowingFrom);
    }

    public synchronized void update(final int done)
    {
        final long now = System.nanoTime();
        if (!enabled || (done < total && now - lastDrawNs < REDRAW_NS))
        {
            return;
        }
        lastDrawNs = now;
        out.print("\r  " + label + " " + Math.min(done, total) + "/" + total + "   ");
        out.flush();
        drawn = true;
    }

    public synchronized void finish()
    {
        if (drawn)
        {
            out.print("\r" + " ".repeat(label.length() + 30) + "\r");
            out.flush();
            drawn = false;
        }
    }
}
