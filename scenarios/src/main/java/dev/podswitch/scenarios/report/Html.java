package dev.podswitch.scenarios.report;

/** Escaping for text and attribute values, the one place the report pages do it. */
final class Html
{
    private Html()
    {
    }

    static String escape(final String text)
    {
        if (text == null)
        {
            return "";
        }
        final StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            switch (c)
            {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    /** A name made safe for an element id: letters, digits and dashes; anything else (a {@code /}, a dot) as {@code _}. */
    static String idPart(final String text)
    {
        final StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            out.append(Character.isLetterOrDigit(c) && c < 128 || c == '-' ? c : '_');
        }
        return out.toString();
    }
}
