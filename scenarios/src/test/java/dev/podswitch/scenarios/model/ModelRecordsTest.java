package dev.podswitch.scenarios.model;

import dev.podswitch.dataplane.packet.IpProtocol;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ModelRecordsTest
{
    private static final Path FILE = Path.of("scenarios", "x.yaml");

    @Test
    void shouldPrintFileLineAndColumnWhenFormatted()
    {
        assertEquals(Path.of("scenarios", "x.yaml") + ":14:7", new SourceLocation(FILE, 14, 7).toString());
        assertEquals(FILE.toString(), new SourceLocation(FILE, 0, 0).toString());
    }

    @Test
    void shouldKeepLabelOrderAndRefuseChangesWhenAPodIsBuilt()
    {
        final Map<String, String> labels = new LinkedHashMap<>();
        labels.put("z", "1");
        labels.put("a", "2");
        final PodSpec pod = new PodSpec("prod", "web", null, null, labels, List.of(new ContainerPort(null, 80,
            IpProtocol.TCP)), new SourceLocation(FILE, 1, 1));

        labels.put("b", "3");

        assertEquals("prod/web", pod.key());
        assertEquals(List.of("z", "a"), List.copyOf(pod.labels().keySet()));
        assertThrows(UnsupportedOperationException.class, () -> pod.labels().put("c", "4"));
        assertThrows(UnsupportedOperationException.class, () -> pod.ports().clear());
    }

    @Test
    void shouldFallBackToTheNearestWrittenAncestorWhenAFieldIsAbsent()
    {
        final SourceLocation root = new SourceLocation(FILE, 1, 1);
        final SourceLocation ports = new SourceLocation(FILE, 9, 7);
        final SourceLocation label = new SourceLocation(FILE, 4, 5);
        final Manifest manifest = new Manifest("networking.k8s.io/v1", "NetworkPolicy", null, "p", Map.of(), root, FILE,
            1, Map.of("", root, "spec.ingress[0].ports", ports, "metadata.labels[app.kubernetes.io/name]", label));

        assertEquals(ports, manifest.locationOf("spec.ingress[0].ports"));
        assertEquals(ports, manifest.locationOf("spec.ingress[0].ports[1].endPort"));
        assertEquals(label, manifest.locationOf("metadata.labels[app.kubernetes.io/name]"));
        assertEquals(root, manifest.locationOf("metadata.labels[app.kubernetes.io/other]"));
        assertEquals(root, manifest.locationOf("spec.egress"));
        assertEquals("NetworkPolicy p", manifest.describe());
    }
}
