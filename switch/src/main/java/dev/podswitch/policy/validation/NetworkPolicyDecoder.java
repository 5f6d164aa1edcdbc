package dev.podswitch.policy.validation;

import dev.podswitch.policy.model.LabelSelector;
import dev.podswitch.policy.model.NetworkPolicy;
import dev.podswitch.policy.model.PolicyPeer;
import dev.podswitch.policy.model.PolicyPort;
import dev.podswitch.policy.model.PolicyRule;
import dev.podswitch.policy.model.PolicyType;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.podswitch.policy.validation.Decoding.field;
import static dev.podswitch.policy.validation.Decoding.index;

/**
 * A networking.k8s.io/v1 NetworkPolicy document, as plain Java maps, lists and scalars (what a
 * YAML or JSON reader produces), to the validated {@link NetworkPolicy} model. It applies the API
 * server's defaults (SetDefaults_NetworkPolicy, SetDefaults_NetworkPolicyPort) and its validation
 * (ValidateObjectMeta, ValidateNetworkPolicySpec and the helpers they call), collecting every error
 * rather than stopping at the first, in the API server's order and with its field paths and
 * wording; podswitch adds a hint after "; " where the usual fix is known. Type errors, which the API
 * server reports while decoding JSON, are collected the same way. Stateless and thread-safe.
 *
 * <p>Podswitch limits beyond upstream: IPv6 ipBlocks are refused (the emulated cluster is IPv4),
 * and a name is required (generateName is not supported).
 */
public final class NetworkPolicyDecoder
{
    public static final String DEFAULT_NAMESPACE = "default";

    private static final List<String> ROOT_FIELDS = List.of("apiVersion", "kind", "metadata", "spec");
    private static final List<String> METADATA_FIELDS = List.of("name", "namespace", "labels", "annotations",
        "generateName", "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
        "deletionGracePeriodSeconds", "selfLink", "ownerReferences", "finalizers", "managedFields");
    private static final List<String> SPEC_FIELDS = List.of("podSelector", "policyTypes", "ingress", "egress");
    private static final List<String> INGRESS_FIELDS = List.of("from", "ports");
    private static final List<String> EGRESS_FIELDS = List.of("to", "ports");
    private static final int MAX_ANNOTATIONS_BYTES = 256 * 1024;

    /**
     * Either {@code policy} (then {@code errors} is empty) or a non-empty {@code errors}, never both.
     * {@code warnings} are what the API server would accept but warn about, e.g. an ipBlock CIDR with
     * host bits set.
     */
    public record Decoded(NetworkPolicy policy, List<FieldError> errors, List<FieldError> warnings)
    {
        public Decoded
        {
            errors = List.copyOf(errors);
            warnings = List.copyOf(warnings);
        }

        public boolean isValid()
        {
            return errors.isEmpty();
        }
    }

    private NetworkPolicyDecoder()
    {
    }

    public static Decoded decode(final Map<String, Object> body)
    {
        final Decoding decoding = new Decoding();
        final Map<String, Object> root = decoding.object(body, "", "NetworkPolicy", ROOT_FIELDS, true);
        final Map<String, Object> metadata =
            decoding.object(root.get("metadata"), "metadata", "ObjectMeta", METADATA_FIELDS, true);
        final String name = name(decoding, metadata);
        final String namespace = namespace(decoding, metadata.get("namespace"));
        SelectorDecoder.labels(decoding, metadata.get("labels"), "metadata.labels");
        annotations(decoding, metadata.get("annotations"));

        final Map<String, Object> spec = decoding.object(root.get("spec"), "spec", "NetworkPolicySpec", SPEC_FIELDS, true);
        final LabelSelector podSelector = SelectorDecoder.selector(decoding, spec.get("podSelector"), "spec.podSelector");
        final List<PolicyRule> ingress = rules(decoding, spec.get("ingress"), "spec.ingress", "from", INGRESS_FIELDS);
        final List<PolicyRule> egress = rules(decoding, spec.get("egress"), "spec.egress", "to", EGRESS_FIELDS);
        final Set<PolicyType> policyTypes = policyTypes(decoding, spec.get("policyTypes"));
        if (policyTypes.isEmpty())
        {
            // SetDefaults_NetworkPolicy: Ingress always, Egress when there are egress rules (egress: [] has none).
            policyTypes.add(PolicyType.INGRESS);
            if (!egress.isEmpty())
            {
                policyTypes.add(PolicyType.EGRESS);
            }
        }

        if (!decoding.errors().isEmpty())
        {
            return new Decoded(null, decoding.errors(), decoding.warnings());
        }
        final NetworkPolicy policy = new NetworkPolicy(namespace, name,
            podSelector == null ? LabelSelector.EVERYTHING : podSelector, policyTypes, ingress, egress);
        return new Decoded(policy, List.of(), decoding.warnings());
    }

    private static String name(final Decoding decoding, final Map<String, Object> metadata)
    {
        final Object value = metadata.get("name");
        final String name = decoding.string(value, "metadata.name");
        if (value == null || "".equals(name))
        {
            decoding.required("metadata.name", "name or generateName is required" +
                (metadata.get("generateName") != null ? "; podswitch does not generate names: set metadata.name" : ""));
            return name;
        }
        if (name == null)
        {
            return null;
        }
        for (final String problem : KubeNames.dns1123Subdomain(name))
        {
            decoding.invalid("metadata.name", name, problem);
        }
        return name;
    }

    /** Absent or empty is the default namespace, as kubectl fills it in from its context. */
    private static String namespace(final Decoding decoding, final Object value)
    {
        final String namespace = decoding.string(value, "metadata.namespace");
        if (namespace == null || namespace.isEmpty())
        {
            return DEFAULT_NAMESPACE;
        }
        for (final String problem : KubeNames.dns1123Label(namespace))
        {
            decoding.invalid("metadata.namespace", namespace, problem);
        }
        return namespace;
    }

    /** ValidateAnnotations: keys are qualified names (checked lower-cased), 256 KiB in all. */
    private static void annotations(final Decoding decoding, final Object value)
    {
        final Map<String, String> annotations = decoding.stringMap(value, "metadata.annotations");
        long bytes = 0;
        for (final Map.Entry<String, String> annotation : annotations.entrySet())
        {
            for (final String problem : KubeNames.qualifiedName(annotation.getKey().toLowerCase(java.util.Locale.ROOT)))
            {
                decoding.invalid(Decoding.child("metadata.annotations", annotation.getKey()), annotation.getKey(), problem);
            }
            bytes += annotation.getKey().length() + annotation.getValue().length();
        }
        if (bytes > MAX_ANNOTATIONS_BYTES)
        {
            decoding.tooLong("metadata.annotations", "may not be more than " + MAX_ANNOTATIONS_BYTES + " bytes");
        }
    }

    /** Ingress or egress rules; upstream checks each rule's ports before its peers. */
    private static List<PolicyRule> rules(
        final Decoding decoding,
        final Object value,
        final String path,
        final String peersField,
        final List<String> fields)
    {
        final List<Object> values = decoding.list(value, path);
        final List<PolicyRule> rules = new ArrayList<>(values.size());
        final String typeName = "from".equals(peersField) ? "NetworkPolicyIngressRule" : "NetworkPolicyEgressRule";
        for (int i = 0; i < values.size(); i++)
        {
            final String rulePath = index(path, i);
            // A null entry ("- " alone) is Go's zero-value rule: every peer, every port.
            final Map<String, Object> rule = decoding.object(values.get(i), rulePath, typeName, fields, true);
            final String portsPath = field(rulePath, "ports");
            final List<Object> portValues = decoding.list(rule.get("ports"), portsPath);
            final List<PolicyPort> ports = new ArrayList<>(portValues.size());
            for (int j = 0; j < portValues.size(); j++)
            {
                ports.add(PortDecoder.port(decoding, portValues.get(j), index(portsPath, j)));
            }
            final String peersPath = field(rulePath, peersField);
            final List<Object> peerValues = decoding.list(rule.get(peersField), peersPath);
            final List<PolicyPeer> peers = new ArrayList<>(peerValues.size());
            for (int j = 0; j < peerValues.size(); j++)
            {
                peers.add(PeerDecoder.peer(decoding, peerValues.get(j), index(peersPath, j)));
            }
            if (!ports.contains(null) && !peers.contains(null))
            {
                rules.add(new PolicyRule(peers, ports));
            }
        }
        return rules;
    }

    /**
     * Upstream allows at most two values, each Ingress or Egress, and (unlike its docs suggest) does
     * not reject a repeated one: [Ingress, Ingress] is accepted and means [Ingress].
     */
    private static Set<PolicyType> policyTypes(final Decoding decoding, final Object value)
    {
        final Set<PolicyType> types = EnumSet.noneOf(PolicyType.class);
        final List<Object> values = decoding.list(value, "spec.policyTypes");
        if (values.size() > PolicyType.values().length)
        {
            decoding.invalid("spec.policyTypes", values, "may not specify more than two policyTypes");
            return types;
        }
        for (int i = 0; i < values.size(); i++)
        {
            final String path = index("spec.policyTypes", i);
            final String name = decoding.string(values.get(i), path);
            if (name == null)
            {
                continue;
            }
            final PolicyType type = ofApiName(name);
            if (type == null)
            {
                final PolicyType sameLetters = ofApiNameIgnoringCase(name);
                decoding.notSupported(path, name, List.of("Ingress", "Egress"),
                    sameLetters == null ? "" : "; policy types are case-sensitive: write " + sameLetters.apiName());
                continue;
            }
            types.add(type);
        }
        return types;
    }

    private static PolicyType ofApiName(final String name)
    {
        for (final PolicyType type : PolicyType.values())
        {
            if (type.apiName().equals(name))
            {
                return type;
            }
        }
        return null;
    }

    private static PolicyType ofApiNameIgnoringCase(final String name)
    {
        for (final PolicyType type : PolicyType.values())
        {
            if (type.apiName().equalsIgnoreCase(name))
            {
                return type;
            }
        }
        return null;
    }
}
