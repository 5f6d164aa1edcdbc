package dev.podswitch.policy.validation;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The API server's name syntax checks (k8s.io/apimachinery util/validation and
 * api/validate/content): each returns every rule the value breaks, worded as upstream words it,
 * and an empty list when the value is valid. Same rules, same order, so a message can be searched
 * for in the Kubernetes docs and issues.
 */
final class KubeNames
{
    static final int DNS1123_LABEL_MAX_LENGTH = 63;
    static final int DNS1123_SUBDOMAIN_MAX_LENGTH = 253;
    static final int LABEL_MAX_LENGTH = 63;
    static final int PORT_NAME_MAX_LENGTH = 15;

    private static final String DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    private static final String DNS1123_SUBDOMAIN_FMT = DNS1123_LABEL_FMT + "(\\." + DNS1123_LABEL_FMT + ")*";
    private static final String LABEL_KEY_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
    private static final String LABEL_VALUE_FMT = "(" + LABEL_KEY_FMT + ")?";
    private static final Pattern DNS1123_LABEL = Pattern.compile(DNS1123_LABEL_FMT);
    private static final Pattern DNS1123_SUBDOMAIN = Pattern.compile(DNS1123_SUBDOMAIN_FMT);
    private static final Pattern LABEL_KEY = Pattern.compile(LABEL_KEY_FMT);
    private static final Pattern LABEL_VALUE = Pattern.compile(LABEL_VALUE_FMT);
    private static final Pattern PORT_NAME_CHARSET = Pattern.compile("[-a-z0-9]+");
    private static final Pattern HAS_LETTER = Pattern.compile(".*[a-z].*");

    private static final String DNS1123_LABEL_MSG = "a lowercase RFC 1123 label must consist of lower case " +
        "alphanumeric characters or '-', and must start and end with an alphanumeric character";
    private static final String DNS1123_SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case " +
        "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
    private static final String LABEL_KEY_MSG =
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
    private static final String LABEL_VALUE_MSG = "a valid label must be an empty string or consist of alphanumeric " +
        "characters, '-', '_' or '.', and must start and end with an alphanumeric character";

    private KubeNames()
    {
    }

    /** IsDNS1123Subdomain: object names such as a NetworkPolicy's. */
    static List<String> dns1123Subdomain(final String value)
    {
        final List<String> problems = new ArrayList<>();
        if (value.length() > DNS1123_SUBDOMAIN_MAX_LENGTH)
        {
            problems.add(maxLength(DNS1123_SUBDOMAIN_MAX_LENGTH));
        }
        if (!DNS1123_SUBDOMAIN.matcher(value).matches())
        {
            problems.add(regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, "example.com"));
        }
        return problems;
    }

    /** IsDNS1123Label: namespace names. */
    static List<String> dns1123Label(final String value)
    {
        final List<String> problems = new ArrayList<>();
        if (value.length() > DNS1123_LABEL_MAX_LENGTH)
        {
            problems.add(maxLength(DNS1123_LABEL_MAX_LENGTH));
        }
        if (!DNS1123_LABEL.matcher(value).matches())
        {
            // Length is already reported, so a valid subdomain that is no label must hold dots.
            problems.add(DNS1123_SUBDOMAIN.matcher(value).matches() ?
                "must not contain dots" : regexError(DNS1123_LABEL_MSG, DNS1123_LABEL_FMT, "my-name", "123-abc"));
        }
        return problems;
    }

    /** IsQualifiedName (= IsLabelKey): label keys, selector keys, annotation keys. */
    static List<String> qualifiedName(final String value)
    {
        final List<String> problems = new ArrayList<>();
        final String[] parts = value.split("/", -1);
        final String name;
        if (parts.length == 1)
        {
            name = parts[0];
        }
        else if (parts.length == 2)
        {
            final String prefix = parts[0];
            name = parts[1];
            if (prefix.isEmpty())
            {
                problems.add("prefix part must be non-empty");
            }
            else
            {
                for (final String problem : dns1123Subdomain(prefix))
                {
                    problems.add("prefix part " + problem);
                }
            }
        }
        else
        {
            problems.add("a valid label key " + regexError(LABEL_KEY_MSG, LABEL_KEY_FMT, "MyName", "my.name", "123-abc") +
                " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
            return problems;
        }
        if (name.isEmpty())
        {
            problems.add("name part must be non-empty");
        }
        else if (name.length() > LABEL_MAX_LENGTH)
        {
            problems.add("name part " + maxLength(LABEL_MAX_LENGTH));
        }
        if (!LABEL_KEY.matcher(name).matches())
        {
            problems.add("name part " + regexError(LABEL_KEY_MSG, LABEL_KEY_FMT, "MyName", "my.name", "123-abc"));
        }
        return problems;
    }

    /** IsValidLabelValue: label values and In/NotIn selector values. */
    static List<String> labelValue(final String value)
    {
        final List<String> problems = new ArrayList<>();
        if (value.length() > LABEL_MAX_LENGTH)
        {
            problems.add(maxLength(LABEL_MAX_LENGTH));
        }
        if (!LABEL_VALUE.matcher(value).matches())
        {
            problems.add(regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, "MyValue", "my_value", "12345"));
        }
        return problems;
    }

    /** IsValidPortName (IANA_SVC_NAME, RFC 6335, lower case only): named ports. */
    static List<String> portName(final String value)
    {
        final List<String> problems = new ArrayList<>();
        if (value.length() > PORT_NAME_MAX_LENGTH)
        {
            problems.add(maxLength(PORT_NAME_MAX_LENGTH));
        }
        if (!PORT_NAME_CHARSET.matcher(value).matches())
        {
            problems.add("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
        }
        if (!HAS_LETTER.matcher(value).matches())
        {
            problems.add("must contain at least one letter (a-z)");
        }
        if (value.contains("--"))
        {
            problems.add("must not contain consecutive hyphens");
        }
        if (!value.isEmpty() && (value.charAt(0) == '-' || value.charAt(value.length() - 1) == '-'))
        {
            problems.add("must not begin or end with a hyphen");
        }
        return problems;
    }

    /** IsValidPortNum: null when valid. */
    static String portNumber(final long port)
    {
        return port >= 1 && port <= 65535 ? null : "must be between 1 and 65535, inclusive";
    }

    private static String maxLength(final int length)
    {
        return "must be no more than " + length + " characters";
    }

    /** Upstream's RegexError, spacing included, so messages match what kubectl prints. */
    private static String regexError(final String message, final String format, final String... examples)
    {
        final StringBuilder text = new StringBuilder(message).append(" (e.g. ");
        for (int i = 0; i < examples.length; i++)
        {
            if (i > 0)
            {
                text.append(" or ");
            }
            text.append('\'').append(examples[i]).append("', ");
        }
        return text.append("regex used for validation is '").append(format).append("')").toString();
    }
}
