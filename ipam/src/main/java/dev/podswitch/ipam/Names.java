package dev.podswitch.ipam;

/**
 * Checks node names, container ids and interface names before they reach a store. Kubernetes node names, CNI
 * container ids (alphanumerics, '-', '_', '.') and Linux interface names never contain whitespace, so
 * forbidding it keeps the on-disk format a simple whitespace-separated one.
 */
final class Names
{
    static final int MAX_LENGTH = 253;

    private Names()
    {
    }

    static String check(final String what, final String value)
    {
        if (value == null || value.isEmpty())
        {
            throw new IllegalArgumentException(what + " must not be empty");
        }
        if (value.length() > MAX_LENGTH)
        {
            throw new IllegalArgumentException(what + " '" + value.substring(0, 32) + "...' is " + value.length() +
                " characters long, the limit is " + MAX_LENGTH);
        }
        for (int i = 0; i < value.length(); i++)
        {
            final char c = value.charAt(i);
            if (Character.isWhitespace(c) || Character.isISOControl(c))
            {
                throw new IllegalArgumentException(what + " '" + value + "' contains whitespace or a control " +
                    "character at index " + i);
            }
        }
        return value;
    }
}
