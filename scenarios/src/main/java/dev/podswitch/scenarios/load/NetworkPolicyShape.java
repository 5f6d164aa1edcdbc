package dev.podswitch.scenarios.load;

import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The field tree of a networking.k8s.io/v1 NetworkPolicy, checked for structure only: unknown
 * fields and objects where lists belong (values are a later, semantic check). Its hints target how
 * policies really get broken: YAML copied from notes that lost its indentation (a field lands one
 * level too high or too low) or kept markdown's {@code **}.
 */
final class NetworkPolicyShape
{
    private enum Kind
    {
        OBJECT,
        LIST,
        SCALAR,
        STRING_MAP,
        ANY
    }

    private record Shape(Kind kind, Map<String, Shape> fields, Shape element)
    {
        static Shape object(final Object... nameThenShape)
        {
            final Map<String, Shape> fields = new LinkedHashMap<>();
            for (int i = 0; i < nameThenShape.length; i += 2)
            {
                fields.put((String)nameThenShape[i], (Shape)nameThenShape[i + 1]);
            }
            return new Shape(Kind.OBJECT, fields, null);
        }

        static Shape listOf(final Shape element)
        {
            return new Shape(Kind.LIST, Map.of(), element);
        }

        /** The object fields a value of this shape can hold, looking through a list. */
        Map<String, Shape> objectFields()
        {
            final Shape object = kind == Kind.LIST ? element : this;
            return object.kind == Kind.OBJECT ? object.fields : Map.of();
        }
    }

    private static final Shape SCALAR = new Shape(Kind.SCALAR, Map.of(), null);
    private static final Shape STRING_MAP = new Shape(Kind.STRING_MAP, Map.of(), null);
    private static final Shape ANY = new Shape(Kind.ANY, Map.of(), null);
    private static final Shape LABEL_SELECTOR = Shape.object(
        "matchLabels", STRING_MAP,
        "matchExpressions", Shape.listOf(Shape.object("key", SCALAR, "operator", SCALAR, "values", Shape.listOf(SCALAR))));
    private static final Shape PEER = Shape.object(
        "podSelector", LABEL_SELECTOR,
        "namespaceSelector", LABEL_SELECTOR,
        "ipBlock", Shape.object("cidr", SCALAR, "except", Shape.listOf(SCALAR)));
    private static final Shape PORT = Shape.object("protocol", SCALAR, "port", SCALAR, "endPort", SCALAR);
    private static final Shape METADATA = Shape.object(
        "name", SCALAR,
        "namespace", SCALAR,
        "labels", STRING_MAP,
        "annotations", STRING_MAP,
        "generateName", SCALAR,
        "uid", SCALAR,
        "resourceVersion", SCALAR,
        "generation", SCALAR,
        "creationTimestamp", SCALAR,
        "deletionTimestamp", SCALAR,
        "deletionGracePeriodSeconds", SCALAR,
        "selfLink", SCALAR,
        "ownerReferences", ANY,
        "finalizers", ANY,
        "managedFields", ANY);
    private static final Shape ROOT = Shape.object(
        "apiVersion", SCALAR,
        "kind", SCALAR,
        "metadata", METADATA,
        "spec", Shape.object(
            "podSelector", LABEL_SELECTOR,
            "policyTypes", Shape.listOf(SCALAR),
            "ingress", Shape.listOf(Shape.object("from", Shape.listOf(PEER), "ports", Shape.listOf(PORT))),
            "egress", Shape.listOf(Shape.object("to", Shape.listOf(PEER), "ports", Shape.listOf(PORT)))));

    private NetworkPolicyShape()
    {
    }

    static void check(final Origin origin, final Node document) throws ScenarioException
    {
        check(origin, document, "", ROOT, null, null);
    }

    private static void check(
        final Origin origin,
        final Node node,
        final String path,
        final Shape shape,
        final Shape parent,
        final String parentPath) throws ScenarioException
    {
        if (Values.isNull(node) || shape.kind() == Kind.ANY)
        {
            return;
        }
        switch (shape.kind())
        {
            case SCALAR ->
            {
                if (!(node instanceof ScalarNode))
                {
                    throw origin.error(node, path, "must be a single value, got " + Values.describe(node));
                }
            }
            case STRING_MAP -> YamlMap.of(origin, node, path);
            case LIST ->
            {
                if (!(node instanceof SequenceNode sequence))
                {
                    throw origin.error(node, path, "must be a list, got " + Values.describe(node) +
                        (node instanceof MappingNode ? "; start each entry with \"- \"" : ""));
                }
                final List<Node> elements = sequence.getValue();
                for (int i = 0; i < elements.size(); i++)
                {
                    check(origin, elements.get(i), path + "[" + i + "]", shape.element(), parent, parentPath);
                }
            }
            case OBJECT -> checkObject(origin, node, path, shape, parent, parentPath);
            default -> throw new IllegalStateException(shape.kind().name());
        }
    }

    private static void checkObject(
        final Origin origin,
        final Node node,
        final String path,
        final Shape shape,
        final Shape parent,
        final String parentPath) throws ScenarioException
    {
        final YamlMap map = YamlMap.of(origin, node, path);
        for (final String key : map.keys())
        {
            final Shape field = shape.fields().get(key);
            if (field == null)
            {
                throw origin.error(map.keyNode(key), map.pathOf(key),
                    "unknown field \"" + key + "\"" + unknownFieldHint(key, map, shape, parent, parentPath));
            }
            check(origin, map.rawValue(key), map.pathOf(key), field, shape, path);
        }
    }

    private static String unknownFieldHint(
        final String key,
        final YamlMap map,
        final Shape shape,
        final Shape parent,
        final String parentPath)
    {
        if (key.contains("*"))
        {
            final String stripped = key.replace("*", "").trim();
            return "; `**` looks like markdown emphasis pasted in from notes: remove it" +
                (shape.fields().containsKey(stripped) ? " (the field is \"" + stripped + "\")" : "");
        }
        // Indented too little: the field belongs to a sibling, most likely one left empty.
        String home = null;
        for (final Map.Entry<String, Shape> sibling : shape.fields().entrySet())
        {
            if (sibling.getValue().objectFields().containsKey(key) && (home == null || map.has(sibling.getKey()) &&
                map.value(sibling.getKey()) == null))
            {
                home = sibling.getKey();
            }
        }
        if (home != null)
        {
            return "; it probably belongs under " + map.pathOf(home) + " — check its indentation";
        }
        // Indented too much: the field belongs to the parent object.
        if (parent != null && parent.fields().containsKey(key))
        {
            return "; it probably belongs one level up, under " + (parentPath.isEmpty() ? "the document root" : parentPath) +
                " — check its indentation";
        }
        return Suggest.hint(key, shape.fields().keySet());
    }
}
