package dev.podswitch.scenarios.load;

import dev.podswitch.scenarios.model.SourceLocation;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A YAML mapping at a field path, keyed by its scalar keys in file order. Creating one rejects
 * non-mappings, complex keys and duplicate keys (snakeyaml only checks duplicates when it builds
 * Java objects, which the loader never asks it to do).
 */
final class YamlMap
{
    private final Origin origin;
    private final Node node;
    private final String path;
    private final Map<String, NodeTuple> entryByKey = new LinkedHashMap<>();

    private YamlMap(final Origin origin, final Node node, final String path)
    {
        this.origin = origin;
        this.node = node;
        this.path = path;
    }

    static YamlMap of(final Origin origin, final Node node, final String path) throws ScenarioException
    {
        if (!(node instanceof MappingNode mapping))
        {
            throw origin.error(node, path, "must be a mapping (field: value), got " + Values.describe(node));
        }
        final YamlMap map = new YamlMap(origin, node, path);
        for (final NodeTuple tuple : mapping.getValue())
        {
            if (!(tuple.getKeyNode() instanceof ScalarNode keyNode))
            {
                throw origin.error(tuple.getKeyNode(), path, "field names must be plain strings");
            }
            final String key = keyNode.getValue();
            final NodeTuple previous = map.entryByKey.putIfAbsent(key, tuple);
            if (previous != null)
            {
                throw origin.error(keyNode, map.pathOf(key), "duplicate field \"" + key + "\" (first written at line " +
                    origin.location(previous.getKeyNode()).line() + ")");
            }
        }
        return map;
    }

    Node node()
    {
        return node;
    }

    String path()
    {
        return path;
    }

    Set<String> keys()
    {
        return entryByKey.keySet();
    }

    boolean has(final String key)
    {
        return entryByKey.containsKey(key);
    }

    /** The value of {@code key}; null when the key is absent or its value is YAML null. */
    Node value(final String key)
    {
        final NodeTuple tuple = entryByKey.get(key);
        return tuple == null || Values.isNull(tuple.getValueNode()) ? null : tuple.getValueNode();
    }

    /** The value even when it is YAML null (a node that still has a location); null when absent. */
    Node rawValue(final String key)
    {
        final NodeTuple tuple = entryByKey.get(key);
        return tuple == null ? null : tuple.getValueNode();
    }

    Node require(final String key) throws ScenarioException
    {
        final Node value = value(key);
        if (value == null)
        {
            final NodeTuple tuple = entryByKey.get(key);
            if (tuple != null)
            {
                throw origin.error(tuple.getKeyNode(), pathOf(key), "required field has no value");
            }
            throw origin.error(node, pathOf(key), "missing required field \"" + key + "\"");
        }
        return value;
    }

    Node keyNode(final String key)
    {
        return entryByKey.get(key).getKeyNode();
    }

    SourceLocation keyLocation(final String key)
    {
        return origin.location(keyNode(key));
    }

    String pathOf(final String key)
    {
        return path.isEmpty() ? key : path + "." + key;
    }

    /** Rejects any key not in {@code allowed}, suggesting the nearest allowed one. */
    void allowOnly(final String... allowed) throws ScenarioException
    {
        final List<String> known = Arrays.asList(allowed);
        for (final String key : entryByKey.keySet())
        {
            if (!known.contains(key))
            {
                throw origin.error(keyNode(key), pathOf(key), "unknown field \"" + key + "\"" + Suggest.hint(key, known));
            }
        }
    }
}
