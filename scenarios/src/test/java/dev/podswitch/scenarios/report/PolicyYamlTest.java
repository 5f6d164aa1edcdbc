package dev.podswitch.scenarios.report;

import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The policies the report shows are YAML a reader could paste back: with the markup taken off, the
 * text loads to exactly the manifest it was made from — tricky strings included — and each rule,
 * peer and port sits inside the element its id names.
 */
class PolicyYamlTest
{
    @Test
    void shouldReadBackAsTheSameManifestForEveryPolicyOfTheLibrary() throws IOException
    {
        int policies = 0;
        try (Stream<Path> files = Files.list(Path.of("library", "policy", "manifests")))
        {
            for (final Path file : files.sorted().toList())
            {
                for (final Object document : new Load(LoadSettings.builder().build()).loadAllFromString(Files.readString(file)))
                {
                    @SuppressWarnings("unchecked")
                    final Map<String, Object> manifest = (Map<String, Object>)document;
                    assertEquals(manifest, readBack(PolicyYaml.render(manifest, "p")), file.toString());
                    policies++;
                }
            }
        }
        assertTrue(policies >= 3, "the library's policies were read: " + policies);
    }

    @Test
    void shouldQuoteWhatYamlWouldReadAsSomethingElse()
    {
        final Map<String, Object> labels = new LinkedHashMap<>();
        for (final String value : List.of("True", "no", "007", "0x1F", "1e3", "", " lead", "trail ", "a: b", "#x", "-",
            "- item", "[1]", "{a}", "quote\"d", "back\\slash", "line\nbreak", "~", "null", ".inf", "<b>&amp;</b>", "ok"))
        {
            labels.put("k" + labels.size(), value);
        }
        final Map<String, Object> manifest = Map.of("metadata", Map.of("labels", labels), "spec",
            Map.of("podSelector", Map.of(), "ingress", List.of(Map.of()), "egress", List.of()));
        assertEquals(manifest, readBack(PolicyYaml.render(manifest, "p")));
    }

    @Test
    void shouldWrapEachRulePeerAndPortInTheElementItsIdNames()
    {
        final Map<String, Object> rule0 = new LinkedHashMap<>();
        rule0.put("from", List.of(Map.of("podSelector", Map.of("matchLabels", Map.of("app", "web"))),
            Map.of("namespaceSelector", Map.of())));
        rule0.put("ports", List.of(Map.of("protocol", "TCP", "port", 80)));
        final Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("podSelector", Map.of());
        spec.put("ingress", List.of(rule0, Map.of()));
        spec.put("egress", List.of(Map.of("to", List.of(Map.of("ipBlock", Map.of("cidr", "10.0.0.0/8"))))));
        final String html = PolicyYaml.render(Map.of("spec", spec), "p");
        assertTrue(element(html, "p-ingress-0-peer-1").contains("namespaceSelector"));
        assertFalse(element(html, "p-ingress-0-peer-1").contains("app"));
        assertTrue(element(html, "p-ingress-0-peer-0").contains("web"));
        assertTrue(element(html, "p-ingress-0-port-0").contains("80"));
        assertTrue(element(html, "p-ingress-0").contains("web") && element(html, "p-ingress-0").contains("80"));
        assertTrue(element(html, "p-ingress-1").contains("{}"));
        assertTrue(element(html, "p-egress-0-peer-0").contains("10.0.0.0/8"));
    }

    /** The text inside the element with this id, nested elements included. */
    private static String element(final String html, final String id)
    {
        final int start = html.indexOf("<span class=rule id=\"" + id + "\">");
        assertTrue(start >= 0, id + " is in " + html);
        int depth = 0;
        int at = start;
        while (true)
        {
            final int open = html.indexOf("<span", at + 1);
            final int close = html.indexOf("</span>", at + 1);
            if (open >= 0 && open < close)
            {
                depth++;
                at = open;
            }
            else if (depth == 0)
            {
                return text(html.substring(start, close));
            }
            else
            {
                depth--;
                at = close;
            }
        }
    }

    private static Object readBack(final String html)
    {
        return new Load(LoadSettings.builder().build()).loadFromString(text(html));
    }

    private static String text(final String html)
    {
        return html.replaceAll("<[^>]*>", "").replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<")
            .replace("&gt;", ">").replace("&amp;", "&");
    }
}
