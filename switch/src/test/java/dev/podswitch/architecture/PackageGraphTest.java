package dev.podswitch.architecture;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The dependency reader and cycle finder behind {@link PackageDependencyTest}, on sources made up here. */
class PackageGraphTest
{
    private static PackageGraph.Source source(final String location, final String... lines)
    {
        return new PackageGraph.Source(location, String.join("\n", lines));
    }

    private static List<String> targets(final PackageGraph graph, final String from)
    {
        return graph.edgesFrom(from).stream().map(edge -> edge.to() + " " + edge.firstAt()).toList();
    }

    @Test
    void shouldCountImportsStaticImportsAndQualifiedNamesWhenTheyAreCode()
    {
        final PackageGraph graph = PackageGraph.of(List.of(
            source("a/A.java",
                "package dev.podswitch.a;",
                "",
                "import dev.podswitch.b.B;",
                "import static dev.podswitch.c.C.VALUE;",
                "",
                "class A",
                "{",
                "    Object d = new dev.podswitch.d.D();",
                "    Object e = dev.podswitch.e.E.Inner.make();",
                "    Object f = dev.podswitch.f",
                "        .F.make();",
                "}"),
            source("b/B.java", "package dev.podswitch.b;"),
            source("c/C.java", "package dev.podswitch.c;"),
            source("d/D.java", "package dev.podswitch.d;"),
            source("e/E.java", "package dev.podswitch.e;"),
            source("f/F.java", "package dev.podswitch.f;")));

        assertEquals(List.of("dev.podswitch.b a/A.java:3", "dev.podswitch.c a/A.java:4", "dev.podswitch.d a/A.java:8",
            "dev.podswitch.e a/A.java:9", "dev.podswitch.f a/A.java:10"), targets(graph, "dev.podswitch.a"));
    }

    @Test
    void shouldIgnoreNamesInCommentsStringsAndOtherModulesWhenReadingDependencies()
    {
        final PackageGraph graph = PackageGraph.of(List.of(
            source("a/A.java",
                "package dev.podswitch.a;",
                "import dev.podswitch.ipam.cidr.Ipv4; // another module: no cycle can close through it",
                "/** See {@link dev.podswitch.b.B}. */",
                "class A",
                "{",
                "    // dev.podswitch.b.B",
                "    String s = \"dev.podswitch.b.B \\\" dev.podswitch.b.B\";",
                "    char c = '\"'; Object x = dev.podswitch.c.C.X;",
                "    String t = \"\"\"",
                "        dev.podswitch.b.B",
                "        \"\"\";",
                "    /* dev.podswitch.b.B */",
                "}"),
            source("b/B.java", "package dev.podswitch.b;"),
            source("c/C.java", "package dev.podswitch.c;")));

        assertEquals(List.of("dev.podswitch.c a/A.java:8"), targets(graph, "dev.podswitch.a"));
    }

    @Test
    void shouldNameEveryPackageAndOnePlacePerEdgeWhenPackagesFormACycle()
    {
        final PackageGraph graph = PackageGraph.of(List.of(
            source("a/A.java", "package dev.podswitch.a;", "import dev.podswitch.b.B;"),
            source("b/B.java", "package dev.podswitch.b;", "", "import dev.podswitch.c.C;"),
            source("c/C.java", "package dev.podswitch.c;", "class C { Object a = dev.podswitch.a.A.make(); }"),
            source("d/D.java", "package dev.podswitch.d;", "import dev.podswitch.a.A;")));

        final List<PackageGraph.Tangle> tangles = graph.tangles();

        assertEquals(1, tangles.size(), tangles.toString());
        assertEquals("""
            packages in a cycle: dev.podswitch.a, dev.podswitch.b, dev.podswitch.c
              cycle: dev.podswitch.a -> dev.podswitch.b -> dev.podswitch.c -> dev.podswitch.a
                  dev.podswitch.a -> dev.podswitch.b  at a/A.java:2
                  dev.podswitch.b -> dev.podswitch.c  at b/B.java:3
                  dev.podswitch.c -> dev.podswitch.a  at c/C.java:2""", PackageGraph.describe(tangles.getFirst()));
    }

    @Test
    void shouldShowACycleThroughEveryPackageWhenOneTangleHasSeveral()
    {
        final PackageGraph graph = PackageGraph.of(List.of(
            source("a/A.java", "package dev.podswitch.a;", "import dev.podswitch.b.B;", "import dev.podswitch.c.C;"),
            source("b/B.java", "package dev.podswitch.b;", "import dev.podswitch.a.A;"),
            source("c/C.java", "package dev.podswitch.c;", "import dev.podswitch.a.A;")));

        assertEquals(List.of(List.of("dev.podswitch.a -> dev.podswitch.b -> dev.podswitch.a",
            "dev.podswitch.c -> dev.podswitch.a -> dev.podswitch.c")), headlines(graph));
    }

    @Test
    void shouldReportEachTangleWhenThereAreSeveral()
    {
        final PackageGraph graph = PackageGraph.of(List.of(
            source("a/A.java", "package dev.podswitch.a;", "import dev.podswitch.b.B;"),
            source("b/B.java", "package dev.podswitch.b;", "import dev.podswitch.a.A;", "import dev.podswitch.c.C;"),
            source("c/C.java", "package dev.podswitch.c;", "import dev.podswitch.c.sub.D;"),
            source("c/sub/D.java", "package dev.podswitch.c.sub;", "import dev.podswitch.c.*;")));

        assertEquals(List.of(List.of("dev.podswitch.a -> dev.podswitch.b -> dev.podswitch.a"),
            List.of("dev.podswitch.c -> dev.podswitch.c.sub -> dev.podswitch.c")), headlines(graph));
    }

    /** Per tangle (in order of its first package), the package sequence of each of its cycles. */
    private static List<List<String>> headlines(final PackageGraph graph)
    {
        return graph.tangles().stream()
            .map(tangle -> tangle.cycles().stream()
                .map(cycle -> PackageGraph.describe(cycle).lines().findFirst().orElseThrow().substring("cycle: ".length()))
                .sorted().toList())
            .sorted(java.util.Comparator.comparing(List::getFirst))
            .toList();
    }

    @Test
    void shouldFindNoCycleWhenDependenciesPointOneWay()
    {
        final PackageGraph graph = PackageGraph.of(List.of(
            source("a/A.java", "package dev.podswitch.a;", "import dev.podswitch.b.B;", "import dev.podswitch.c.C;"),
            source("b/B.java", "package dev.podswitch.b;", "import dev.podswitch.c.C;"),
            source("c/C.java", "package dev.podswitch.c;")));

        assertEquals(List.of(), graph.tangles());
    }
}
