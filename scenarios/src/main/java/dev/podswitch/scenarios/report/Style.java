package dev.podswitch.scenarios.report;

/** Terminal colours when writing to a terminal, plain text otherwise (pipes, files, CI logs). */
public record Style(boolean color)
{
    public static Style forConsole()
    {
        // Since JDK 22 System.console() exists for redirected output too; only a terminal gets colour.
        final java.io.Console console = System.console();
        return new Style(console != null && console.isTerminal() && System.getenv("NO_COLOR") == null);
    }

    String good(final String text)
    {
        return wrap("32", text);
    }

    String denied(final String text)
    {
        return wrap("33", text);
    }

    String bad(final String text)
    {
        return wrap("1;31", text);
    }

    String bold(final String text)
    {
        return wrap("1", text);
    }

    private String wrap(final String code, final String text)
    {
        return color ? "\u001b[" + code + "m" + text + "\u001b[0m" : text;
    }
}
