package dev.podswitch.scenarios.load;

import dev.podswitch.scenarios.model.SourceLocation;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.events.ScalarEvent;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Bounds on what a YAML text may stand for, checked before anything walks it, so that hostile
 * input ends in a located {@link ScenarioException} (exit status 2), never in a StackOverflowError
 * or an OutOfMemoryError. Three things would get through snakeyaml otherwise:
 * <ul>
 *   <li>deep nesting ({@code [[[[…]]]]}): snakeyaml's composer recurses once per level, so the
 *       text's nesting is measured on the parser's events first, which need no recursion;</li>
 *   <li>a recursive alias ({@code &s {x: *s}}): composed as a node that contains itself, a cycle
 *       that every walk of the tree would follow forever;</li>
 *   <li>alias fan-out under snakeyaml's cap of 50 aliases ("billion laughs"): an aliased node is
 *       shared, not copied, so 40 aliases can stand for 10^10 values, which turning the tree into
 *       Java values would expand. Sizes are counted on the shared nodes once each (memoised), so
 *       the check costs what the text costs, not what it expands to.</li>
 * </ul>
 * Real scenario and manifest files are far inside both limits: the deepest NetworkPolicy field is
 * about ten levels down, the largest scenario of the library a few thousand values.
 */
final class YamlLimits
{
    /** Mappings and lists inside each other, with aliases expanded. */
    static final int MAX_DEPTH = 64;
    /** Values (scalars, mappings, lists, keys included) of one file, with aliases expanded. */
    static final int MAX_VALUES = 100_000;

    private YamlLimits()
    {
    }

    /** The nesting of the text as written, from the parser's events; before the composer recurses into it. */
    static void checkNesting(final Iterable<Event> events, final Origin origin) throws ScenarioException
    {
        final ArrayDeque<Level> open = new ArrayDeque<>();
        for (final Event event : events)
        {
            switch (event.getEventId())
            {
                case MappingStart, SequenceStart ->
                {
                    final String path = open.isEmpty() ? "" : open.peek().childPath();
                    if (open.size() >= MAX_DEPTH)
                    {
                        throw origin.error(event.getStartMark().map(origin::location).orElse(origin.at(0, 0)), path,
                            tooDeep(""));
                    }
                    open.push(new Level(event.getEventId() == Event.ID.MappingStart, path));
                }
                case MappingEnd, SequenceEnd ->
                {
                    open.pop();
                    if (!open.isEmpty())
                    {
                        open.peek().ended(null);
                    }
                }
                case Scalar ->
                {
                    if (!open.isEmpty())
                    {
                        open.peek().ended(((ScalarEvent)event).getValue());
                    }
                }
                case Alias ->
                {
                    if (!open.isEmpty())
                    {
                        open.peek().ended(null);
                    }
                }
                default ->
                {
                    // Stream, document and comment events do not nest.
                }
            }
        }
    }

    /** Cycles, depth and size of the composed documents, with every alias counted where it is used. */
    static void checkExpansion(final List<Node> documents, final Origin origin) throws ScenarioException
    {
        final Expansion expansion = new Expansion(origin);
        for (final Node document : documents)
        {
            expansion.visit(document, "", 0, origin.location(document));
        }
    }

    private static String tooDeep(final String when)
    {
        return "mappings and lists nested deeper than " + MAX_DEPTH + " levels" + when + ", more than podswitch reads "
            + "(the deepest NetworkPolicy field is about ten levels down)";
    }

    /** One open mapping or list of the event walk: the path of the value being read inside it. */
    private static final class Level
    {
        private final boolean mapping;
        private final String path;
        private boolean atKey = true;
        private String key = "?";
        private int index;

        Level(final boolean mapping, final String path)
        {
            this.mapping = mapping;
            this.path = path;
        }

        String childPath()
        {
            if (!mapping)
            {
                return path + "[" + index + "]";
            }
            return atKey ? path : path.isEmpty() ? key : path + "." + key;
        }

        /** A key or value inside this level ended; {@code scalar} is its text if it was a scalar. */
        void ended(final String scalar)
        {
            if (!mapping)
            {
                index++;
            }
            else if (atKey)
            {
                key = scalar == null ? "?" : scalar;
                atKey = false;
            }
            else
            {
                atKey = true;
            }
        }
    }

    /**
     * The walk of the composed node graph. Recursion depth is bounded by {@link #MAX_DEPTH}: a
     * collection deeper than that is refused before its children are visited, and a node seen
     * before is not entered again (its size and height are remembered).
     */
    private static final class Expansion
    {
        private final Origin origin;
        private final Map<Node, long[]> sizeAndHeightByNode = new IdentityHashMap<>();
        private final Set<Node> ancestors = Collections.newSetFromMap(new IdentityHashMap<>());
        private long total;

        Expansion(final Origin origin)
        {
            this.origin = origin;
        }

        /**
         * @param depth the collections around {@code node}.
         * @param where where {@code node} is used: for a mapping's value its key, so an alias is
         *              reported where it is written rather than at its anchor.
         * @return {@code node}'s expanded size (values) and height (collection levels).
         */
        long[] visit(final Node node, final String path, final int depth, final SourceLocation where)
            throws ScenarioException
        {
            if (ancestors.contains(node))
            {
                throw origin.error(where, path, "recursive alias" + anchorOf(node) + ": the value contains itself, so "
                    + "it never ends; write the nested value out instead of referring to the value around it");
            }
            long[] sizeAndHeight = sizeAndHeightByNode.get(node);
            if (sizeAndHeight == null)
            {
                if (!(node instanceof ScalarNode) && depth >= MAX_DEPTH)
                {
                    throw origin.error(where, path, tooDeep(" once aliases are expanded"));
                }
                ancestors.add(node);
                sizeAndHeight = children(node, path, depth);
                ancestors.remove(node);
                sizeAndHeightByNode.put(node, sizeAndHeight);
            }
            if (depth + sizeAndHeight[1] > MAX_DEPTH)
            {
                throw origin.error(where, path, tooDeep(" once aliases are expanded"));
            }
            total += sizeAndHeight[0];
            if (sizeAndHeight[0] > MAX_VALUES || total > MAX_VALUES)
            {
                throw origin.error(where, path, "the file stands for more than " + MAX_VALUES + " values once its "
                    + "aliases are expanded" + (sizeAndHeight[0] > MAX_VALUES ? " (this one alone for more: an alias "
                    + "bomb?)" : "") + "; podswitch reads at most " + MAX_VALUES + " per file: split it");
            }
            return sizeAndHeight;
        }

        private long[] children(final Node node, final String path, final int depth) throws ScenarioException
        {
            final long before = total;
            long height = 0;
            if (node instanceof final MappingNode mapping)
            {
                for (final NodeTuple tuple : mapping.getValue())
                {
                    final Node key = tuple.getKeyNode();
                    final String keyText = key instanceof final ScalarNode scalar ? scalar.getValue() : "?";
                    final SourceLocation keyAt = origin.location(key);
                    height = Math.max(height, visit(key, path, depth + 1, keyAt)[1]);
                    height = Math.max(height, visit(tuple.getValueNode(), path.isEmpty() ? keyText : path + "." + keyText,
                        depth + 1, keyAt)[1]);
                }
            }
            else if (node instanceof final SequenceNode sequence)
            {
                final List<Node> elements = sequence.getValue();
                for (int i = 0; i < elements.size(); i++)
                {
                    final Node element = elements.get(i);
                    height = Math.max(height, visit(element, path + "[" + i + "]", depth + 1, origin.location(element))[1]);
                }
            }
            else
            {
                return new long[] {1, 0};
            }
            // The children were added to the total as they were visited; the caller adds the node whole.
            final long size = 1 + total - before;
            total = before;
            return new long[] {size, height + 1};
        }

        private static String anchorOf(final Node node)
        {
            return node.getAnchor().map(anchor -> " *" + anchor.getValue()).orElse("");
        }
    }
}
