package dev.podswitch.scenarios.load;

import java.util.regex.Pattern;

/**
 * The API server's name and label syntax (k8s.io/apimachinery validation): each check returns
 * null when the value is valid, else the rule it breaks, worded for users.
 */
final class KubeSyntax
{
    private static final Pattern DNS1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern QUALIFIED_NAME = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
    private static final Pattern PORT_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern HAS_LETTER = Pattern.compile(".*[a-z].*");
    private static final String QUALIFIED_NAME_RULE =
        "at most 63 characters, alphanumeric, '-', '_' or '.', starting and ending with an alphanumeric character";

    private KubeSyntax()
    {
    }

    static String dns1123LabelProblem(final String name)
    {
        if (name.length() > 63)
        {
            return "longer than 63 characters";
        }
        if (!DNS1123_LABEL.matcher(name).matches())
        {
            return "must be a DNS-1123 label: lower case letters, digits and '-', starting and ending with a letter " +
                "or digit";
        }
        return null;
    }

    static String dns1123SubdomainProblem(final String name)
    {
        if (name.length() > 253)
        {
            return "longer than 253 characters";
        }
        for (final String part : name.split("\\.", -1))
        {
            if (part.isEmpty() || !DNS1123_LABEL.matcher(part).matches())
            {
                return "must be a DNS-1123 subdomain: lower case letters, digits, '-' and '.', each part starting " +
                    "and ending with a letter or digit";
            }
        }
        return null;
    }

    /** A label key: {@code [prefix/]name}, prefix a DNS subdomain, name a qualified name. */
    static String labelKeyProblem(final String key)
    {
        final int slash = key.indexOf('/');
        final String name = slash < 0 ? key : key.substring(slash + 1);
        if (slash >= 0)
        {
            final String prefix = key.substring(0, slash);
            final String prefixProblem = prefix.isEmpty() ? "is empty" : dns1123SubdomainProblem(prefix);
            if (prefixProblem != null)
            {
                return "prefix \"" + prefix + "\" " + prefixProblem;
            }
        }
        if (name.isEmpty() || name.length() > 63 || !QUALIFIED_NAME.matcher(name).matches())
        {
            return "name part must be " + QUALIFIED_NAME_RULE;
        }
        return null;
    }

    static String labelValueProblem(final String value)
    {
        if (!value.isEmpty() && (value.length() > 63 || !QUALIFIED_NAME.matcher(value).matches()))
        {
            return "must be empty or " + QUALIFIED_NAME_RULE;
        }
        return null;
    }

    /** A container port name, IANA_SVC_NAME as the API server checks it. */
    static String portNameProblem(final String name)
    {
        if (name.length() > 15)
        {
            return "longer than 15 characters";
        }
        if (!PORT_NAME.matcher(name).matches() || name.contains("--") || !HAS_LETTER.matcher(name).matches())
        {
            return "must be an IANA service name: lower case letters, digits and '-', with at least one letter, " +
                "no '--', starting and ending with a letter or digit";
        }
        return null;
    }
}
