package dev.podswitch.cni;

import java.util.List;

/**
 * The CNI spec versions podswitch speaks and the JSON it writes without a JSON library (the
 * plugin client's answers: VERSION, agent unreachable). 1.0.0 and 1.1.0 only: their results
 * have the same shape (1.1.0 adds optional fields podswitch does not set), while 0.4.0's differ.
 */
public final class CniVersions
{
    public static final String LATEST = "1.1.0";
    public static final List<String> SUPPORTED = List.of("1.0.0", "1.1.0");

    // Error codes of the spec (SPEC.md "Error" and libcni's types.go).
    public static final int INCOMPATIBLE_VERSION = 1;
    public static final int UNSUPPORTED_FIELD = 2;
    public static final int UNKNOWN_CONTAINER = 3;
    public static final int INVALID_ENVIRONMENT = 4;
    public static final int IO_FAILURE = 5;
    public static final int DECODING_FAILURE = 6;
    public static final int INVALID_CONFIG = 7;
    public static final int TRY_AGAIN_LATER = 11;
    public static final int NOT_AVAILABLE = 50;
    /** podswitch's own (100 and up are the plugin's to define). */
    public static final int ALREADY_ATTACHED = 100;
    public static final int ATTACH_FAILED = 101;
    public static final int CHECK_FAILED = 102;

    private CniVersions()
    {
    }

    public static boolean isSupported(final String version)
    {
        return SUPPORTED.contains(version);
    }

    /** VERSION's answer, in the version asked in (any string is echoed back, as the spec says). */
    public static String versionResult(final String requested)
    {
        final StringBuilder json = new StringBuilder("{\"cniVersion\":").append(quote(requested))
            .append(",\"supportedVersions\":[");
        for (int i = 0; i < SUPPORTED.size(); i++)
        {
            json.append(i == 0 ? "" : ",").append(quote(SUPPORTED.get(i)));
        }
        return json.append("]}\n").toString();
    }

    public static String errorJson(final String version, final int code, final String message, final String details)
    {
        return "{\"cniVersion\":" + quote(version) + ",\"code\":" + code + ",\"msg\":" + quote(message)
            + (details == null ? "" : ",\"details\":" + quote(details)) + "}\n";
    }

    public static String quote(final String text)
    {
        final StringBuilder quoted = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            switch (c)
            {
                case '"' -> quoted.append("\\\"");
                case '\\' -> quoted.append("\\\\");
                case '\n' -> quoted.append("\\n");
                case '\r' -> quoted.append("\\r");
                case '\t' -> quoted.append("\\t");
                default ->
                {
                    if (c < 0x20)
                    {
                        quoted.append(String.format("\\u%04x", (int)c));
                    }
                    else
                    {
                        quoted.append(c);
                    }
                }
            }
        }
        return quoted.append('"').toString();
    }
}
