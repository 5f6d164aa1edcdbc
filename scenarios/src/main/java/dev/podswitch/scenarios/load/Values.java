package dev.podswitch.scenarios.load;

import dev.podswitch.ipam.cidr.CidrFormatException;
import dev.podswitch.ipam.cidr.IpText;
import dev.podswitch.ipam.cidr.Ipv4;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Typed reads of YAML nodes, each failing with the field path and what was found instead. */
final class Values
{
    private Values()
    {
    }

    static boolean isNull(final Node node)
    {
        return node == null || node instanceof ScalarNode scalar && Tag.NULL.equals(scalar.getTag());
    }

    /** "a list", "a string "x"", ... for messages. */
    static String describe(final Node node)
    {
        if (isNull(node))
        {
            return "null";
        }
        if (node instanceof MappingNode)
        {
            return "a mapping";
        }
        if (node instanceof SequenceNode)
        {
            return "a list";
        }
        final ScalarNode scalar = (ScalarNode)node;
        final Tag tag = scalar.getTag();
        if (Tag.INT.equals(tag))
        {
            return "the integer " + scalar.getValue();
        }
        if (Tag.BOOL.equals(tag))
        {
            return "the boolean " + scalar.getValue();
        }
        if (Tag.FLOAT.equals(tag))
        {
            return "the number " + scalar.getValue();
        }
        return "the string \"" + scalar.getValue() + "\"";
    }

    static String text(final Origin origin, final Node node, final String path) throws ScenarioException
    {
        if (!(node instanceof ScalarNode scalar) || isNull(node))
        {
            throw origin.error(node, path, "must be a string, got " + describe(node));
        }
        return scalar.getValue();
    }

    /** A scalar that must be written as a string: a Kubernetes string field given 1 or true is an error. */
    static String strictText(final Origin origin, final Node node, final String path) throws ScenarioException
    {
        final String text = text(origin, node, path);
        if (!Tag.STR.equals(node.getTag()))
        {
            throw origin.error(node, path, "must be a string, got " + describe(node) + "; quote it: \"" + text + "\"");
        }
        return text;
    }

    /** An IPv4 address, strictly dotted-quad ({@link IpText}), as an {@code int}. */
    static int ipv4(final Origin origin, final Node node, final String path) throws ScenarioException
    {
        final String text = text(origin, node, path);
        try
        {
            return Ipv4.parse(text);
        }
        catch (final CidrFormatException ex)
        {
            throw origin.error(node, path, "invalid IPv4 address \"" + text + "\": " + ex.reason());
        }
    }

    static int integer(final Origin origin, final Node node, final String path) throws ScenarioException
    {
        if (node instanceof ScalarNode scalar && Tag.INT.equals(scalar.getTag()))
        {
            try
            {
                final long value = Long.decode(scalar.getValue().replace("0o", "0"));
                if (value >= Integer.MIN_VALUE && value <= Integer.MAX_VALUE)
                {
                    return (int)value;
                }
            }
            catch (final NumberFormatException ignored)
            {
                // reported below
            }
            throw origin.error(node, path, "integer out of range: " + scalar.getValue());
        }
        throw origin.error(node, path, "must be an integer, got " + describe(node));
    }

    static boolean bool(final Origin origin, final Node node, final String path) throws ScenarioException
    {
        if (node instanceof ScalarNode scalar && Tag.BOOL.equals(scalar.getTag()))
        {
            return Boolean.parseBoolean(scalar.getValue().toLowerCase());
        }
        throw origin.error(node, path, "must be true or false, got " + describe(node));
    }

    /** The elements of a list; null reads as an empty list. */
    static List<Node> list(final Origin origin, final Node node, final String path) throws ScenarioException
    {
        if (isNull(node))
        {
            return List.of();
        }
        if (node instanceof SequenceNode sequence)
        {
            return sequence.getValue();
        }
        final String hint = node instanceof ScalarNode scalar ?
            "; for a single entry write [" + scalar.getValue() + "]" :
            "; start each entry with \"- \"";
        throw origin.error(node, path, "must be a list, got " + describe(node) + hint);
    }

    /** A list of strings; null reads as an empty list. */
    static List<String> textList(final Origin origin, final Node node, final String path) throws ScenarioException
    {
        final List<Node> elements = list(origin, node, path);
        final List<String> texts = new ArrayList<>(elements.size());
        for (int i = 0; i < elements.size(); i++)
        {
            texts.add(text(origin, elements.get(i), path + "[" + i + "]"));
        }
        return texts;
    }

    /**
     * A Kubernetes label map: keys and values checked against the API server's syntax, values must
     * be strings as in Kubernetes ({@code tier: 1} is rejected there too). Null reads as no labels.
     */
    static Map<String, String> labels(final Origin origin, final Node node, final String path) throws ScenarioException
    {
        final Map<String, String> labels = new LinkedHashMap<>();
        if (isNull(node))
        {
            return labels;
        }
        final YamlMap map = YamlMap.of(origin, node, path);
        for (final String key : map.keys())
        {
            final String keyPath = path + "[" + key + "]";
            final String keyProblem = KubeSyntax.labelKeyProblem(key);
            if (keyProblem != null)
            {
                throw origin.error(map.keyNode(key), keyPath, "invalid label key \"" + key + "\": " + keyProblem);
            }
            final Node valueNode = map.value(key);
            final String value = isNull(valueNode) ? "" : strictText(origin, valueNode, keyPath);
            final String valueProblem = KubeSyntax.labelValueProblem(value);
            if (valueProblem != null)
            {
                throw origin.error(valueNode, keyPath, "invalid label value \"" + value + "\": " + valueProblem);
            }
            labels.put(key, value);
        }
        return labels;
    }
}
