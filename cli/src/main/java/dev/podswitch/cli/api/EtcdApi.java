package dev.podswitch.cli.api;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.podswitch.agent.api.ApiResponse;
import dev.podswitch.agent.api.ControlApi;
import dev.podswitch.agent.api.NodeView;
import dev.podswitch.control.model.ClusterModel;
import dev.podswitch.datastore.ClusterState;
import dev.podswitch.datastore.Datastore;
import dev.podswitch.datastore.DatastoreKeys;
import dev.podswitch.datastore.DatastoreWriter;
import dev.podswitch.datastore.EtcdEndpoints;
import dev.podswitch.datastore.StateModels;
import dev.podswitch.datastore.SubnetLease;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code --etcd URL}: the control API answered in this process over the cluster's datastore — the
 * same resources, checks and answers as an agent's, with no agent in between. Reads list the
 * prefix once; writes are checked against that listing and committed to etcd, where every agent's
 * watch picks them up.
 */
final class EtcdApi
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private EtcdApi()
    {
    }

    static ApiClient client(final String etcd, final String prefix) throws java.io.IOException
    {
        final EtcdEndpoints endpoints;
        final DatastoreKeys keys;
        try
        {
            endpoints = EtcdEndpoints.parse(etcd);
            keys = new DatastoreKeys(prefix);
        }
        catch (final IllegalArgumentException invalid)
        {
            throw new ApiCommandSupport.InvalidTarget(invalid.getMessage(), invalid);
        }
        // The process ends with the command; the client's threads go with it.
        final Datastore datastore = Datastore.connect(endpoints, keys);
        final Datastore.Listing listing = datastore.list();
        final ClusterState state = ClusterState.decode(keys, listing.revision(), listing.entries());
        final ClusterModel model = StateModels.of(state, skipped -> System.err.println("podswitch: etcd: skipped " + skipped));
        state.problems().forEach(problem -> System.err.println("podswitch: etcd: skipped " + problem));
        final List<NodeView> nodes = new ArrayList<>();
        for (final SubnetLease lease : state.nodes().values())
        {
            nodes.add(new NodeView(lease.node(), lease.subnet().toString(), lease.underlayText(), true, "SubnetLeaseHeld"));
        }
        final Map<String, Object> datastoreStatus = new LinkedHashMap<>();
        datastoreStatus.put("etcd", endpoints.toString());
        datastoreStatus.put("prefix", keys.prefix());
        datastoreStatus.put("revision", state.revision());
        if (state.config() != null)
        {
            // The same fields an agent's status gives.
            datastoreStatus.put("clusterCIDR", state.config().clusterCidr().toString());
            datastoreStatus.put("nodePrefixLength", state.config().nodePrefixLength());
            datastoreStatus.put("vni", state.config().vni());
        }
        datastoreStatus.put("skippedKeys", state.problems());
        final ControlApi api = new ControlApi(model, new DatastoreWriter(datastore, model, DatastoreWriter.Settle.NONE),
            List::of, () -> nodes, () -> new LinkedHashMap<>(Map.of("datastore", datastoreStatus)));
        return ApiClient.inProcess("etcd at " + endpoints + " (" + keys.prefix() + ")", (method, path, body) ->
        {
            // Decoded as the daemon's HTTP handler decodes a request's URI, so both answer alike.
            final QueryStringDecoder uri = new QueryStringDecoder(path);
            final ApiResponse response = api.handle(method, uri.rawPath(), uri.parameters(), body);
            final Map<String, Object> answer = JSON.convertValue(response.body(), new TypeReference<>()
            {
            });
            return new ApiClient.Response(response.status(), answer == null ? Map.of() : answer);
        });
    }
}
