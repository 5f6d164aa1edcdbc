package dev.podswitch.agent.api;

import dev.podswitch.control.ClusterNode;
import dev.podswitch.control.model.ClusterChange;
import dev.podswitch.control.model.ClusterModel;
import dev.podswitch.control.model.ClusterWriter;
import dev.podswitch.control.model.ManifestChanges;
import dev.podswitch.control.model.ModelException;
import dev.podswitch.control.model.ModelSnapshot;
import dev.podswitch.control.model.Namespace;
import dev.podswitch.control.model.Pod;
import dev.podswitch.control.model.StoredPolicy;
import dev.podswitch.datastore.DatastoreException;
import dev.podswitch.policy.validation.FieldError;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The control API's resources, without any transport: a method, a path and a body in, an
 * {@link ApiResponse} out. {@link ApiServer} serves it over HTTP; tests call it directly.
 *
 * <p>Resources follow the Kubernetes API's paths and shapes — {@code /api/v1/namespaces|pods|nodes},
 * {@code /apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies/{name}} — plus
 * {@code POST /apis/podswitch.dev/v1/apply}, which applies a {@code List} of manifests all or
 * nothing, and {@code GET /status}. Every change goes through {@link ClusterModel#apply}, which
 * journals it before it takes effect, so an answer of 200 means it is kept.
 *
 * <p>Why this file is over 400 lines: the routing of every resource is one table a reader can
 * scan; each resource's work is in its own class (FlowsResource, ReportResource, ReplayResource,
 * ConnectionsResource, StatusResource, KubeShapes).
 */
public final class ControlApi
{
    static final String CORE = "/api/v1";
    static final String NETWORKING = "/apis/networking.k8s.io/v1";
    static final String APPLY = "/apis/podswitch.dev/v1/apply";
    static final String STATUS = "/status";

    private final ClusterModel model;
    private final ClusterWriter writer;
    private final Supplier<Collection<ClusterNode>> nodes;
    private final Supplier<List<NodeView>> nodeList;
    private final Supplier<Map<String, Object>> status;

    /**
     * @param nodes  the nodes this process runs (their pod CIDRs and VTEPs).
     * @param status what {@code GET /status} adds about the daemon (socket paths, attachments, counters).
     */
    public ControlApi(final ClusterModel model, final Supplier<Collection<ClusterNode>> nodes,
        final Supplier<Map<String, Object>> status)
    {
        this(model, model, nodes, () -> nodes.get().stream().map(NodeView::running).toList(), status);
    }

    /**
     * @param writer   where changes go: the model itself on one host, the datastore on several.
     * @param nodeList every node of the cluster, this process's and others' ({@code GET /api/v1/nodes}).
     */
    public ControlApi(final ClusterModel model, final ClusterWriter writer, final Supplier<Collection<ClusterNode>> nodes,
        final Supplier<List<NodeView>> nodeList, final Supplier<Map<String, Object>> status)
    {
        this.model = model;
        this.writer = writer;
        this.nodes = nodes;
        this.nodeList = nodeList;
        this.status = status;
    }

    public ApiResponse handle(final String method, final String rawPath, final Map<String, List<String>> query,
        final byte[] body)
    {
        try
        {
            return route(method, segments(rawPath), query, body);
        }
        catch (final ApiError error)
        {
            return ApiResponse.error(error);
        }
        catch (final ModelException refused)
        {
            return ApiResponse.error(ApiError.of(refused));
        }
        catch (final DatastoreException unreachable)
        {
            return ApiResponse.error(new ApiError(503, "ServiceUnavailable",
                "the change could not be kept in etcd, so it was not applied: " + unreachable.getMessage()));
        }
        catch (final IOException notKept)
        {
            return ApiResponse.error(new ApiError(500, "InternalError",
                "the change could not be kept in the state directory, so it was not applied: " + notKept.getMessage()));
        }
    }

    private static List<String> segments(final String rawPath) throws ApiError
    {
        final List<String> segments = new ArrayList<>();
        for (final String segment : rawPath.split("/"))
        {
            if (!segment.isEmpty())
            {
                try
                {
                    segments.add(java.net.URLDecoder.decode(segment, java.nio.charset.StandardCharsets.UTF_8));
                }
                catch (final IllegalArgumentException malformed)
                {
                    throw ApiError.badRequest("the path has a malformed %-escape in \"" + segment + "\"");
                }
            }
        }
        return segments;
    }

    private ApiResponse route(final String method, final List<String> path, final Map<String, List<String>> query,
        final byte[] body) throws ApiError, ModelException, IOException
    {
        final String joined = "/" + String.join("/", path);
        if (joined.equals(STATUS))
        {
            return only(method, "GET", () -> ApiResponse.ok(StatusResource.of(model.snapshot(), nodes.get(), status.get())));
        }
        if (joined.equals(APPLY))
        {
            return only(method, "POST", () -> applyList(body, dryRun(query)));
        }
        if (joined.equals(FlowsResource.PATH))
        {
            return only(method, "GET", () -> FlowsResource.of(nodes.get(), model.snapshot(), query));
        }
        if (joined.equals(ReportResource.PATH))
        {
            return only(method, "GET", () -> ReportResource.of(nodes.get(), nodeList.get(), model.snapshot(), query));
        }
        if (ReplayResource.matches(path))
        {
            return only(method, "POST", () -> ReplayResource.inject(nodes.get(), model.snapshot(), path, query, body));
        }
        if (joined.equals(ConnectionsResource.PATH))
        {
            return only(method, "GET", () -> ConnectionsResource.of(nodes.get(), model.snapshot(), query));
        }
        if (joined.startsWith(CORE + "/") || joined.equals(CORE))
        {
            return core(method, path.subList(2, path.size()), body);
        }
        if (joined.startsWith(NETWORKING + "/"))
        {
            return networking(method, path.subList(3, path.size()), body, dryRun(query));
        }
        throw ApiError.notFound("no resource at " + joined + "; see docs/api.md for the paths the control API serves");
    }

    private static boolean dryRun(final Map<String, List<String>> query)
    {
        return query.getOrDefault("dryRun", List.of()).contains("All");
    }

    /** {@code /api/v1/...}: namespaces, pods, nodes. */
    private ApiResponse core(final String method, final List<String> rest, final byte[] body)
        throws ApiError, ModelException, IOException
    {
        final ModelSnapshot snapshot = model.snapshot();
        if (rest.equals(List.of("namespaces")))
        {
            return only(method, "GET", () -> ApiResponse.ok(KubeShapes.list("v1", "NamespaceList",
                snapshot.namespaces().values().stream().map(KubeShapes::namespace).toList(), snapshot.revision())));
        }
        if (rest.equals(List.of("pods")))
        {
            return only(method, "GET", () -> podList(snapshot, null));
        }
        if (rest.equals(List.of("nodes")))
        {
            return only(method, "GET", () -> ApiResponse.ok(KubeShapes.list("v1", "NodeList",
                nodeList.get().stream().map(KubeShapes::node).toList(), snapshot.revision())));
        }
        if (rest.size() == 2 && rest.get(0).equals("nodes"))
        {
            final NodeView node = nodeList.get().stream().filter(n -> n.name().equals(rest.get(1))).findFirst()
                .orElseThrow(() -> ApiError.notFound("nodes \"" + rest.get(1) + "\" not found"));
            return only(method, "GET", () -> ApiResponse.ok(KubeShapes.node(node)));
        }
        if (rest.size() == 2 && rest.get(0).equals("namespaces"))
        {
            return namespace(method, rest.get(1), body);
        }
        if (rest.size() == 3 && rest.get(0).equals("namespaces") && rest.get(2).equals("pods"))
        {
            return only(method, "GET", () -> podList(snapshot, rest.get(1)));
        }
        if (rest.size() == 4 && rest.get(0).equals("namespaces") && rest.get(2).equals("pods"))
        {
            return pod(method, rest.get(1) + "/" + rest.get(3), body);
        }
        throw ApiError.notFound("no resource at " + CORE + "/" + String.join("/", rest));
    }

    private ApiResponse podList(final ModelSnapshot snapshot, final String namespace)
    {
        final List<Map<String, Object>> items = new ArrayList<>();
        for (final Pod pod : snapshot.pods().values())
        {
            if (namespace == null || pod.namespace().equals(namespace))
            {
                items.add(KubeShapes.pod(pod));
            }
        }
        return ApiResponse.ok(KubeShapes.list("v1", "PodList", items, snapshot.revision()));
    }

    private ApiResponse namespace(final String method, final String name, final byte[] body)
        throws ApiError, ModelException, IOException
    {
        switch (method)
        {
            case "GET" ->
            {
                final Namespace namespace = model.snapshot().namespaces().get(name);
                if (namespace == null)
                {
                    throw ApiError.notFound("namespaces \"" + name + "\" not found");
                }
                return ApiResponse.ok(KubeShapes.namespace(namespace));
            }
            case "PUT" ->
            {
                final ClusterChange change = ManifestChanges.of(JsonBodies.readObject(body), 0, "");
                if (!(change instanceof final ClusterChange.PutNamespace put) || !put.name().equals(name))
                {
                    throw ApiError.badRequest("the body must be the Namespace named on the URL, " + name);
                }
                writer.apply(change);
                return ApiResponse.ok(KubeShapes.namespace(model.snapshot().namespaces().get(name)));
            }
            case "PATCH" ->
            {
                writer.apply(new ClusterChange.LabelNamespace(name, LabelPatch.from(JsonBodies.readObject(body))));
                return ApiResponse.ok(KubeShapes.namespace(model.snapshot().namespaces().get(name)));
            }
            default -> throw methodNotAllowed(method, "GET, PUT, PATCH");
        }
    }

    private ApiResponse pod(final String method, final String key, final byte[] body)
        throws ApiError, ModelException, IOException
    {
        switch (method)
        {
            case "GET" ->
            {
                final Pod pod = model.snapshot().pods().get(key);
                if (pod == null)
                {
                    throw ApiError.notFound("pods \"" + key + "\" not found");
                }
                return ApiResponse.ok(KubeShapes.pod(pod));
            }
            case "PATCH" ->
            {
                writer.apply(new ClusterChange.LabelPod(key, LabelPatch.from(JsonBodies.readObject(body))));
                return ApiResponse.ok(KubeShapes.pod(model.snapshot().pods().get(key)));
            }
            default -> throw methodNotAllowed(method, "GET, PATCH (pods are made by the CNI plugin or a scenario)");
        }
    }

    /** {@code /apis/networking.k8s.io/v1/...}: NetworkPolicies, all namespaces or one, or one by name. */
    private ApiResponse networking(final String method, final List<String> rest, final byte[] body, final boolean dryRun)
        throws ApiError, ModelException, IOException
    {
        final ModelSnapshot snapshot = model.snapshot();
        if (rest.equals(List.of("networkpolicies")))
        {
            return only(method, "GET", () -> policyList(snapshot, null));
        }
        if (rest.size() == 3 && rest.get(0).equals("namespaces") && rest.get(2).equals("networkpolicies"))
        {
            return switch (method)
            {
                case "GET" -> policyList(snapshot, rest.get(1));
                case "POST" -> putPolicy(rest.get(1), null, JsonBodies.readObject(body), dryRun);
                default -> throw methodNotAllowed(method, "GET, POST");
            };
        }
        if (rest.size() == 4 && rest.get(0).equals("namespaces") && rest.get(2).equals("networkpolicies"))
        {
            final String key = rest.get(1) + "/" + rest.get(3);
            return switch (method)
            {
                case "GET" ->
                {
                    final StoredPolicy stored = snapshot.policies().get(key);
                    if (stored == null)
                    {
                        throw ApiError.notFound("networkpolicies.networking.k8s.io \"" + rest.get(3)
                            + "\" not found in namespace " + rest.get(1));
                    }
                    yield ApiResponse.ok(KubeShapes.networkPolicy(stored));
                }
                case "PUT" -> putPolicy(rest.get(1), rest.get(3), JsonBodies.readObject(body), dryRun);
                case "DELETE" ->
                {
                    writer.apply(new ClusterChange.DeleteNetworkPolicy(key));
                    yield ApiResponse.ok(Map.of("kind", "Status", "apiVersion", "v1", "status", "Success",
                        "details", Map.of("name", rest.get(3), "namespace", rest.get(1), "kind", "networkpolicies")));
                }
                default -> throw methodNotAllowed(method, "GET, PUT, DELETE");
            };
        }
        throw ApiError.notFound("no resource at " + NETWORKING + "/" + String.join("/", rest));
    }

    private ApiResponse policyList(final ModelSnapshot snapshot, final String namespace)
    {
        final List<Map<String, Object>> items = new ArrayList<>();
        for (final StoredPolicy stored : snapshot.policies().values())
        {
            if (namespace == null || stored.policy().namespace().equals(namespace))
            {
                items.add(KubeShapes.networkPolicy(stored));
            }
        }
        return ApiResponse.ok(KubeShapes.list("networking.k8s.io/v1", "NetworkPolicyList", items, snapshot.revision()));
    }

    /** PUT (name on the URL) or POST (name in the body) of one NetworkPolicy in {@code namespace}. */
    private ApiResponse putPolicy(final String namespace, final String name, final Map<String, Object> manifest,
        final boolean dryRun) throws ApiError, ModelException, IOException
    {
        final Map<String, Object> placed = placed(manifest, namespace, name);
        final ClusterChange change = ManifestChanges.of(placed, 0, "");
        if (!(change instanceof ClusterChange.ApplyNetworkPolicy))
        {
            throw ApiError.badRequest("the body must be a NetworkPolicy (kind " + placed.get("kind") + " given)");
        }
        if (dryRun)
        {
            final ClusterModel.Outcome outcome = writer.check(List.of(change)).getFirst();
            return ApiResponse.ok(ApplyResults.of(List.of(outcome), true));
        }
        final ClusterModel.Outcome outcome = writer.apply(change);
        final StoredPolicy stored = model.snapshot().policies().get(outcome.subject().substring("networkpolicy ".length()));
        final Map<String, Object> answer = new LinkedHashMap<>(KubeShapes.networkPolicy(stored));
        if (!outcome.warnings().isEmpty())
        {
            answer.put("warnings", outcome.warnings().stream().map(FieldError::toString).toList());
        }
        return new ApiResponse(outcome.verb().equals("created") ? 201 : 200, answer);
    }

    /**
     * The manifest with the URL's namespace (and name, for PUT) filled in where it has none; one
     * that names another is refused, as the API server refuses it.
     */
    private static Map<String, Object> placed(final Map<String, Object> manifest, final String namespace,
        final String name) throws ApiError
    {
        final Map<String, Object> placed = new LinkedHashMap<>(manifest);
        final Map<String, Object> metadata = new LinkedHashMap<>();
        if (manifest.get("metadata") instanceof final Map<?, ?> given)
        {
            given.forEach((key, value) -> metadata.put(String.valueOf(key), value));
        }
        final Object givenNamespace = metadata.get("namespace");
        if (givenNamespace != null && !namespace.equals(givenNamespace))
        {
            throw ApiError.badRequest("the namespace of the provided object (" + givenNamespace
                + ") does not match the namespace sent on the request (" + namespace + ")");
        }
        metadata.put("namespace", namespace);
        final Object givenName = metadata.get("name");
        if (name != null)
        {
            if (givenName != null && !name.equals(givenName))
            {
                throw ApiError.badRequest("the name of the object (" + givenName + ") does not match the name on the URL ("
                    + name + ")");
            }
            metadata.put("name", name);
        }
        placed.put("metadata", metadata);
        return placed;
    }

    /** {@code POST /apis/podswitch.dev/v1/apply}: a {@code List} of manifests, every one valid or none applied. */
    private ApiResponse applyList(final byte[] body, final boolean dryRun) throws ApiError, ModelException, IOException
    {
        final List<ClusterChange> changes = ManifestChanges.of(JsonBodies.readObject(body));
        if (dryRun)
        {
            final List<ClusterModel.Outcome> outcomes = writer.check(changes);
            return ApiResponse.ok(ApplyResults.of(outcomes, true));
        }
        return ApiResponse.ok(ApplyResults.of(writer.apply(changes), false));
    }

    @FunctionalInterface
    private interface Answer
    {
        ApiResponse get() throws ApiError, ModelException, IOException;
    }

    private static ApiResponse only(final String method, final String allowed, final Answer answer)
        throws ApiError, ModelException, IOException
    {
        if (!method.equals(allowed))
        {
            throw methodNotAllowed(method, allowed);
        }
        return answer.get();
    }

    private static ApiError methodNotAllowed(final String method, final String allowed)
    {
        return new ApiError(405, "MethodNotAllowed", "the method " + method + " is not allowed here; allowed: " + allowed);
    }
}
