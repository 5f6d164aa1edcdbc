package dev.podswitch.architecture;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The package dependency graph of a source tree, read from the sources themselves: every
 * {@code dev.podswitch.…} name in code — imports, static imports and fully qualified names in
 * expressions or types — points from the file's package to the longest known package the name
 * starts with. Names in comments, strings, characters and text blocks are not code and do not
 * count. Each edge keeps the first {@code file:line} that makes it, so a failure can say where to
 * look. Names of packages not in the tree (another module, such as ipam) are ignored: they cannot
 * close a cycle through this tree.
 */
final class PackageGraph
{
    private static final Pattern PACKAGE = Pattern.compile("^\\s*package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
    private static final Pattern QUALIFIED_NAME = Pattern.compile("\\bdev\\.podswitch(?:\\s*\\.\\s*[\\p{L}_$][\\w$]*)+");

    /** One source file: where it is (for messages) and its text. */
    record Source(String location, String text)
    {
    }

    /** A dependency of one package on another, with the first place that makes it. */
    record Edge(String from, String to, String firstAt)
    {
    }

    private final Map<String, Map<String, String>> firstAtByTargetBySource = new TreeMap<>();

    private PackageGraph()
    {
    }

    /** Reads every {@code .java} file under {@code root}; locations are relative to it. */
    static PackageGraph of(final Path root) throws IOException
    {
        final List<Source> sources = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root))
        {
            for (final Path file : files.filter(path -> path.toString().endsWith(".java")).sorted().toList())
            {
                sources.add(new Source(root.relativize(file).toString(), Files.readString(file)));
            }
        }
        return of(sources);
    }

    static PackageGraph of(final List<Source> sources)
    {
        final Map<Source, String> packageOf = new LinkedHashMap<>();
        for (final Source source : sources)
        {
            final Matcher declared = PACKAGE.matcher(codeOnly(source.text()));
            packageOf.put(source, declared.find() ? declared.group(1) : "");
        }
        final Set<String> packages = new TreeSet<>(packageOf.values());
        final PackageGraph graph = new PackageGraph();
        packages.forEach(name -> graph.firstAtByTargetBySource.put(name, new TreeMap<>()));
        for (final Map.Entry<Source, String> entry : packageOf.entrySet())
        {
            final String code = codeOnly(entry.getKey().text());
            final Matcher name = QUALIFIED_NAME.matcher(code);
            while (name.find())
            {
                final String target = longestKnownPrefix(name.group().replaceAll("\\s", ""), packages);
                if (target != null && !target.equals(entry.getValue()) && !isPackageDeclaration(code, name.start()))
                {
                    graph.firstAtByTargetBySource.get(entry.getValue()).putIfAbsent(target,
                        entry.getKey().location() + ":" + lineOf(code, name.start()));
                }
            }
        }
        return graph;
    }

    /** The edges leaving {@code from}, in target order. */
    List<Edge> edgesFrom(final String from)
    {
        final List<Edge> edges = new ArrayList<>();
        firstAtByTargetBySource.getOrDefault(from, Map.of()).forEach((to, at) -> edges.add(new Edge(from, to, at)));
        return edges;
    }

    /** Every edge whose source package starts with {@code fromPrefix} and target with {@code toPrefix}. */
    List<Edge> edgesBetween(final String fromPrefix, final String toPrefix)
    {
        final List<Edge> edges = new ArrayList<>();
        for (final String from : firstAtByTargetBySource.keySet())
        {
            if (isWithin(from, fromPrefix))
            {
                edgesFrom(from).stream().filter(edge -> isWithin(edge.to(), toPrefix)).forEach(edges::add);
            }
        }
        return edges;
    }

    Set<String> packages()
    {
        return firstAtByTargetBySource.keySet();
    }

    /**
     * Packages that depend on each other in a circle: a strongly connected component of more
     * than one package (Tarjan), with the shortest cycle through each of its packages — together
     * they show every dependency that would have to go to untangle it.
     */
    record Tangle(Set<String> packages, List<List<Edge>> cycles)
    {
    }

    /** Every tangle of the graph; empty when all dependencies point one way. */
    List<Tangle> tangles()
    {
        final List<Tangle> tangles = new ArrayList<>();
        for (final Set<String> component : stronglyConnectedComponents())
        {
            if (component.size() > 1)
            {
                final Map<Set<Edge>, List<Edge>> cycles = new LinkedHashMap<>();
                for (final String member : component)
                {
                    final List<Edge> cycle = shortestCycleThrough(member, component);
                    cycles.putIfAbsent(Set.copyOf(cycle), cycle);
                }
                tangles.add(new Tangle(component, List.copyOf(cycles.values())));
            }
        }
        return tangles;
    }

    /** A tangle as a failure message: its packages, then each cycle with the place that makes each edge. */
    static String describe(final Tangle tangle)
    {
        final StringBuilder text = new StringBuilder("packages in a cycle: ").append(String.join(", ", tangle.packages()));
        for (final List<Edge> cycle : tangle.cycles())
        {
            text.append("\n  ").append(describe(cycle).replace("\n", "\n  "));
        }
        return text.toString();
    }

    /** One cycle: its packages in order, then each edge with the place that makes it. */
    static String describe(final List<Edge> cycle)
    {
        final StringBuilder text = new StringBuilder("cycle: ");
        for (final Edge edge : cycle)
        {
            text.append(edge.from()).append(" -> ");
        }
        text.append(cycle.getFirst().from());
        for (final Edge edge : cycle)
        {
            text.append("\n    ").append(edge.from()).append(" -> ").append(edge.to()).append("  at ")
                .append(edge.firstAt());
        }
        return text.toString();
    }

    private List<Set<String>> stronglyConnectedComponents()
    {
        final Map<String, Integer> index = new HashMap<>();
        final Map<String, Integer> low = new HashMap<>();
        final Deque<String> stack = new ArrayDeque<>();
        final Set<String> onStack = new TreeSet<>();
        final List<Set<String>> components = new ArrayList<>();
        for (final String start : packages())
        {
            if (!index.containsKey(start))
            {
                strongConnect(start, index, low, stack, onStack, components);
            }
        }
        return components;
    }

    private void strongConnect(final String node, final Map<String, Integer> index, final Map<String, Integer> low,
        final Deque<String> stack, final Set<String> onStack, final List<Set<String>> components)
    {
        index.put(node, index.size());
        low.put(node, index.get(node));
        stack.push(node);
        onStack.add(node);
        for (final Edge edge : edgesFrom(node))
        {
            if (!index.containsKey(edge.to()))
            {
                strongConnect(edge.to(), index, low, stack, onStack, components);
                low.put(node, Math.min(low.get(node), low.get(edge.to())));
            }
            else if (onStack.contains(edge.to()))
            {
                low.put(node, Math.min(low.get(node), index.get(edge.to())));
            }
        }
        if (low.get(node).equals(index.get(node)))
        {
            final Set<String> component = new TreeSet<>();
            String member;
            do
            {
                member = stack.pop();
                onStack.remove(member);
                component.add(member);
            }
            while (!member.equals(node));
            components.add(component);
        }
    }

    private List<Edge> shortestCycleThrough(final String start, final Set<String> component)
    {
        final Map<String, Edge> reachedBy = new HashMap<>();
        final Deque<String> queue = new ArrayDeque<>(List.of(start));
        while (!queue.isEmpty())
        {
            final String node = queue.poll();
            for (final Edge edge : edgesFrom(node))
            {
                if (edge.to().equals(start))
                {
                    final List<Edge> cycle = new ArrayList<>(List.of(edge));
                    for (String at = node; !at.equals(start); at = reachedBy.get(at).from())
                    {
                        cycle.addFirst(reachedBy.get(at));
                    }
                    return cycle;
                }
                if (component.contains(edge.to()) && !reachedBy.containsKey(edge.to()))
                {
                    reachedBy.put(edge.to(), edge);
                    queue.add(edge.to());
                }
            }
        }
        throw new IllegalStateException(start + " is in a strongly connected component but on no cycle");
    }

    private static boolean isWithin(final String name, final String prefix)
    {
        return name.equals(prefix) || name.startsWith(prefix + ".");
    }

    private static String longestKnownPrefix(final String qualifiedName, final Set<String> packages)
    {
        for (String candidate = qualifiedName; ; candidate = candidate.substring(0, candidate.lastIndexOf('.')))
        {
            if (packages.contains(candidate))
            {
                return candidate;
            }
            if (candidate.indexOf('.') < 0)
            {
                return null;
            }
        }
    }

    private static boolean isPackageDeclaration(final String code, final int at)
    {
        final int lineStart = code.lastIndexOf('\n', at) + 1;
        return code.substring(lineStart, at).strip().equals("package");
    }

    private static int lineOf(final String text, final int at)
    {
        int line = 1;
        for (int i = 0; i < at; i++)
        {
            if (text.charAt(i) == '\n')
            {
                line++;
            }
        }
        return line;
    }

    /**
     * The text with comments, string and character literals and text blocks blanked out (line
     * breaks kept, so offsets and line numbers stay those of the file).
     */
    static String codeOnly(final String text)
    {
        final StringBuilder code = new StringBuilder(text);
        int i = 0;
        while (i < text.length())
        {
            final int end;
            if (text.startsWith("//", i))
            {
                final int newline = text.indexOf('\n', i);
                end = newline < 0 ? text.length() : newline;
            }
            else if (text.startsWith("/*", i))
            {
                final int close = text.indexOf("*/", i + 2);
                end = close < 0 ? text.length() : close + 2;
            }
            else if (text.startsWith("\"\"\"", i))
            {
                end = endOfLiteral(text, i + 3, "\"\"\"");
            }
            else if (text.charAt(i) == '"' || text.charAt(i) == '\'')
            {
                end = endOfLiteral(text, i + 1, String.valueOf(text.charAt(i)));
            }
            else
            {
                i++;
                continue;
            }
            for (int blank = i; blank < end; blank++)
            {
                if (code.charAt(blank) != '\n')
                {
                    code.setCharAt(blank, ' ');
                }
            }
            i = end;
        }
        return code.toString();
    }

    /** Where a literal opened before {@code from} ends (after its closing quote), skipping escapes. */
    private static int endOfLiteral(final String text, final int from, final String quote)
    {
        int i = from;
        while (i < text.length())
        {
            if (text.charAt(i) == '\\')
            {
                i += 2;
            }
            else if (text.startsWith(quote, i))
            {
                return i + quote.length();
            }
            else
            {
                i++;
            }
        }
        return text.length();
    }
}
