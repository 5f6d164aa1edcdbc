package dev.podswitch.scenarios.load;

import dev.podswitch.scenarios.model.Manifest;
import dev.podswitch.scenarios.model.SourceLocation;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Multi-document Kubernetes manifest text to {@link Manifest}s. Checks what every later consumer
 * relies on: a supported kind and apiVersion, metadata names and labels in the API server's syntax,
 * the Pod fields the runner reads, and NetworkPolicies in full: their field tree, then the API
 * server's validation ({@link NetworkPolicyCheck}).
 */
final class ManifestReader
{
    static final String SUPPORTED_KINDS = "Namespace (v1), Pod (v1), NetworkPolicy (networking.k8s.io/v1)";
    private static final Map<String, String> API_VERSION_BY_KIND = Map.of(
        "Namespace", "v1",
        "Pod", "v1",
        "NetworkPolicy", "networking.k8s.io/v1");

    private ManifestReader()
    {
    }

    /**
     * Messages name the document as {@code prefix + "document N" + suffix}, e.g. "document 2, applied
     * by steps[1].apply[0]" for a file or "steps[1].manifests, document 2" for an inline block.
     */
    static List<Read> read(final String text, final Origin origin, final String prefix, final String suffix)
        throws ScenarioException
    {
        final List<Node> documents;
        try
        {
            documents = YamlDocuments.composeAll(text, origin);
        }
        catch (final ScenarioException yamlError)
        {
            throw PastedYaml.explain(yamlError, text, origin, prefix, suffix);
        }
        final List<Read> manifests = new ArrayList<>(documents.size());
        for (int i = 0; i < documents.size(); i++)
        {
            final int index = i + 1;
            final Origin documentOrigin = origin.withDocument(prefix + "document " + index + suffix);
            manifests.add(new Read(readDocument(documents.get(i), documentOrigin, index, prefix, suffix), documentOrigin));
        }
        return manifests;
    }

    /** A manifest and the origin that names its document, for errors found after reading it. */
    record Read(Manifest manifest, Origin origin)
    {
    }

    private static Manifest readDocument(
        final Node document,
        final Origin origin,
        final int index,
        final String prefix,
        final String suffix) throws ScenarioException
    {
        final YamlMap root = YamlMap.of(origin, document, "");
        final String apiVersion = Values.text(origin, root.require("apiVersion"), "apiVersion");
        final String kind = Values.text(origin, root.require("kind"), "kind");
        final String expectedVersion = API_VERSION_BY_KIND.get(kind);
        if (expectedVersion == null)
        {
            throw origin.error(root.value("kind"), "kind", "kind " + kind + " (" + apiVersion + ") is not supported; " +
                "supported kinds: " + SUPPORTED_KINDS + Suggest.didYouMean(kind, API_VERSION_BY_KIND.keySet()));
        }
        if (!expectedVersion.equals(apiVersion))
        {
            throw origin.error(root.value("apiVersion"), "apiVersion", kind + " must have apiVersion " + expectedVersion +
                ", got " + apiVersion + "; supported kinds: " + SUPPORTED_KINDS);
        }
        final Map<String, SourceLocation> locationByPath = new LinkedHashMap<>();
        locationByPath.put("", origin.location(document));
        @SuppressWarnings("unchecked")
        final Map<String, Object> body = (Map<String, Object>)toJava(origin, document, "", locationByPath);
        if ("NetworkPolicy".equals(kind))
        {
            // Structure first, for its indentation and markdown hints; then the API server's own validation.
            NetworkPolicyShape.check(origin, document);
            final Manifest unchecked = new Manifest(apiVersion, kind, null, null, body, origin.location(document),
                origin.file(), index, locationByPath);
            NetworkPolicyCheck.check(unchecked,
                prefix + "document " + index + " (" + NetworkPolicyCheck.describe(body) + ")" + suffix);
        }
        final YamlMap metadata = YamlMap.of(origin, root.require("metadata"), "metadata");
        final String name = Values.text(origin, metadata.require("name"), "metadata.name");
        final String nameProblem = "NetworkPolicy".equals(kind) ?
            KubeSyntax.dns1123SubdomainProblem(name) : KubeSyntax.dns1123LabelProblem(name);
        if (nameProblem != null)
        {
            throw origin.error(metadata.value("name"), "metadata.name", "invalid name \"" + name + "\": " + nameProblem);
        }
        String namespace = null;
        if (metadata.value("namespace") != null && !"Namespace".equals(kind))
        {
            namespace = Values.text(origin, metadata.value("namespace"), "metadata.namespace");
            final String problem = KubeSyntax.dns1123LabelProblem(namespace);
            if (problem != null)
            {
                throw origin.error(metadata.value("namespace"), "metadata.namespace", "invalid namespace \"" + namespace +
                    "\": " + problem);
            }
        }
        final Map<String, String> labels = Values.labels(origin, metadata.value("labels"), "metadata.labels");
        if ("Namespace".equals(kind))
        {
            KubeObjects.checkMetadataNameLabel(origin, metadata.value("labels"), "metadata.labels", name, labels);
        }
        if ("Pod".equals(kind))
        {
            KubeObjects.checkPod(origin, root);
        }

        return new Manifest(apiVersion, kind, namespace, name, body, origin.location(document), origin.file(), index,
            locationByPath);
    }

    /** Plain Java values for the body, recording where each field path was written. */
    private static Object toJava(
        final Origin origin,
        final Node node,
        final String path,
        final Map<String, SourceLocation> locationByPath) throws ScenarioException
    {
        if (node instanceof MappingNode)
        {
            final YamlMap map = YamlMap.of(origin, node, path);
            final Map<String, Object> object = new LinkedHashMap<>();
            // String maps: their keys may hold dots and slashes, so they go in brackets, as the API server writes them.
            final boolean freeForm = path.endsWith("labels") || path.endsWith("annotations") ||
                path.endsWith("matchLabels") || path.endsWith("nodeSelector");
            for (final String key : map.keys())
            {
                final String keyPath = freeForm ? path + "[" + key + "]" : map.pathOf(key);
                locationByPath.put(keyPath, origin.location(map.keyNode(key)));
                object.put(key, toJava(origin, map.rawValue(key), keyPath, locationByPath));
            }
            return object;
        }
        if (node instanceof SequenceNode sequence)
        {
            final List<Object> list = new ArrayList<>(sequence.getValue().size());
            for (final Node element : sequence.getValue())
            {
                final String elementPath = path + "[" + list.size() + "]";
                locationByPath.put(elementPath, origin.location(element));
                list.add(toJava(origin, element, elementPath, locationByPath));
            }
            return list;
        }
        return scalar((ScalarNode)node);
    }

    private static Object scalar(final ScalarNode scalar)
    {
        final Tag tag = scalar.getTag();
        final String value = scalar.getValue();
        try
        {
            if (Tag.NULL.equals(tag))
            {
                return null;
            }
            if (Tag.BOOL.equals(tag))
            {
                return Boolean.parseBoolean(value.toLowerCase());
            }
            if (Tag.INT.equals(tag))
            {
                final long number = Long.decode(value.replace("0o", "0"));
                return number == (int)number ? (Object)(int)number : (Object)number;
            }
            if (Tag.FLOAT.equals(tag))
            {
                return Double.parseDouble(value);
            }
        }
        catch (final NumberFormatException ex)
        {
            return value;
        }
        return value;
    }
}
