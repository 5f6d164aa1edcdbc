package dev.podswitch.datastore;

import dev.podswitch.control.model.ClusterChange;
import dev.podswitch.control.model.ClusterModel;
import dev.podswitch.control.model.LabelEdit;
import dev.podswitch.control.model.ModelException;
import dev.podswitch.control.model.Namespace;
import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.ipam.cidr.Ipv4Cidr;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Client writes through etcd: checked by a model of what etcd holds (as {@code podswitch apply
 * --etcd} builds one), then one guarded transaction. The cluster each test starts from: node n1
 * holds a subnet lease and runs pod default/web, whose record is bound to n1's lease; namespace
 * default exists only because the pod is in it (no namespaces/default key).
 */
class DatastoreWriterTest
{
    private static final ClusterConfig CONFIG = new ClusterConfig(Ipv4Cidr.parse("10.244.0.0/16"), 24, 1);
    private static final PodRecord WEB = new PodRecord("default", "web", "n1", Ipv4.parse("10.244.0.5"),
        Map.of("app", "web"));

    @RegisterExtension
    static final EtcdPerClass ETCD = new EtcdPerClass();

    private Datastore datastore;
    private SubnetLease node;
    private final List<String> skipped = new ArrayList<>();

    @BeforeEach
    void seed() throws Exception
    {
        datastore = ETCD.datastore();
        node = Leasers.leaser(datastore, CONFIG, "n1", Leasers.LONG_TTL).acquire(null);
        datastore.put(datastore.keys().pod("default", "web"), Records.pod(WEB), node.leaseId());
    }

    @Test
    void shouldWriteAnAppliedNetworkPolicy() throws Exception
    {
        final Map<String, Object> manifest = policy("default", "deny-web", Map.of("matchLabels", Map.of("app", "web")));

        final ClusterModel.Outcome outcome = writer().apply(new ClusterChange.ApplyNetworkPolicy(manifest));

        assertEquals("networkpolicy default/deny-web", outcome.subject());
        assertEquals("created", outcome.verb());
        final String key = datastore.keys().policy("default", "deny-web");
        assertEquals(manifest, Records.object(key, datastore.get(key).value()), "the manifest as applied");
        assertEquals(Set.of("default/deny-web"), state().policies().keySet());
        StateModels.of(state(), skipped::add);
        assertEquals(List.of(), skipped, "what was written reads back into a model");
    }

    @Test
    void shouldWriteNothingForAnInvalidManifest() throws Exception
    {
        final long before = ETCD.server().revision();
        final Map<String, Object> good = policy("default", "good", Map.of());
        final Map<String, Object> bad = policy("default", "bad", Map.of("matchLabels", Map.of("app", 7)));

        final ModelException refused = assertThrows(ModelException.class, () -> writer().apply(List.of(
            new ClusterChange.ApplyNetworkPolicy(good), new ClusterChange.ApplyNetworkPolicy(bad))));

        assertEquals(ModelException.Reason.INVALID, refused.reason());
        assertEquals(1, refused.problems().getFirst().change(), "the second change is the one at fault");
        assertEquals(before, ETCD.server().revision(), "not even the valid policy of the list was written");
        assertTrue(state().policies().isEmpty());
    }

    @Test
    void shouldWriteANamespaceRecordWhenLabelingAnImplicitNamespace() throws Exception
    {
        assertNull(datastore.get(datastore.keys().namespace("default")), "only implicit to begin with");

        writer().apply(new ClusterChange.LabelNamespace("default", LabelEdit.patch(Map.of("team", "a"), Set.of())));

        final String key = datastore.keys().namespace("default");
        assertEquals(Map.of("team", "a", Namespace.METADATA_NAME_LABEL, "default"),
            Records.namespaceLabels(key, datastore.get(key).value()));
        assertEquals(0, datastore.get(key).lease(), "a namespace outlives the node whose pod made it");
    }

    @Test
    void shouldKeepThePodRecordsLeaseWhenLabelingIt() throws Exception
    {
        writer().apply(new ClusterChange.LabelPod("default/web", LabelEdit.patch(Map.of("tier", "front"), Set.of("app"))));

        final Datastore.Entry entry = datastore.get(datastore.keys().pod("default", "web"));
        assertEquals(new PodRecord("default", "web", "n1", WEB.ip(), Map.of("tier", "front")),
            Records.pod(entry.key(), entry.value()));
        assertEquals(node.leaseId(), entry.lease(), "still bound to its node's lease");

        datastore.revokeLease(node.leaseId());
        assertNull(datastore.get(datastore.keys().pod("default", "web")), "so it still goes when the node does");
    }

    @Test
    void shouldRefuseDeletingAMissingPolicyAsNotFound() throws Exception
    {
        final long before = ETCD.server().revision();

        final ModelException refused = assertThrows(ModelException.class,
            () -> writer().apply(new ClusterChange.DeleteNetworkPolicy("default/missing")));

        assertEquals(ModelException.Reason.NOT_FOUND, refused.reason());
        assertTrue(refused.getMessage().contains("networkpolicies \"default/missing\" not found"), refused.getMessage());
        assertEquals(before, ETCD.server().revision());
    }

    @Test
    void shouldRefuseDeletingAPolicyAnotherClientDeletedMeanwhileAsNotFound() throws Exception
    {
        writer().apply(new ClusterChange.ApplyNetworkPolicy(policy("default", "gone", Map.of())));
        // This client's model still has the policy; etcd no longer does.
        final DatastoreWriter stale = writer();
        datastore.delete(datastore.keys().policy("default", "gone"));

        final ModelException refused = assertThrows(ModelException.class,
            () -> stale.apply(new ClusterChange.DeleteNetworkPolicy("default/gone")));

        assertEquals(ModelException.Reason.NOT_FOUND, refused.reason());
        assertTrue(refused.getMessage().contains("networkpolicies \"default/gone\" not found"), refused.getMessage());
    }

    @Test
    void shouldDeleteAPolicy() throws Exception
    {
        writer().apply(new ClusterChange.ApplyNetworkPolicy(policy("default", "deny", Map.of())));

        final ClusterModel.Outcome outcome = writer().apply(new ClusterChange.DeleteNetworkPolicy("default/deny"));

        assertEquals("deleted", outcome.verb());
        assertNull(datastore.get(datastore.keys().policy("default", "deny")));
    }

    @Test
    void shouldKeepEveryOneOfConcurrentLabelEdits() throws Exception
    {
        // Each writer reads the namespace record (absent at first) and guards its write on that
        // read; the losers of each round read again, so no edit overwrites another.
        final int writers = 4;
        final ExecutorService threads = Executors.newFixedThreadPool(writers);
        final List<Datastore> clients = new ArrayList<>();
        try
        {
            final CountDownLatch go = new CountDownLatch(1);
            final List<Future<?>> edits = new ArrayList<>();
            for (int index = 0; index < writers; index++)
            {
                final Datastore client = ETCD.server().connect(datastore.keys().prefix());
                clients.add(client);
                final DatastoreWriter writer = new DatastoreWriter(client, StateModels.of(state(), skipped::add),
                    DatastoreWriter.Settle.NONE);
                final ClusterChange edit = new ClusterChange.LabelNamespace("default",
                    LabelEdit.patch(Map.of("writer-" + index, "yes"), Set.of()));
                client.list();
                edits.add(threads.submit(() ->
                {
                    go.await();
                    return writer.apply(edit);
                }));
            }
            go.countDown();
            for (final Future<?> edit : edits)
            {
                edit.get(60, TimeUnit.SECONDS);
            }
        }
        finally
        {
            threads.shutdownNow();
            clients.forEach(Datastore::close);
        }

        final Map<String, String> expected = new LinkedHashMap<>();
        for (int index = 0; index < writers; index++)
        {
            expected.put("writer-" + index, "yes");
        }
        expected.put(Namespace.METADATA_NAME_LABEL, "default");
        assertEquals(expected, state().namespaces().get("default"));
    }

    /** A writer checked against a model of etcd as it is now, as the CLI's --etcd makes one. */
    private DatastoreWriter writer() throws DatastoreException
    {
        final ClusterModel model = StateModels.of(state(), skipped::add);
        assertEquals(List.of(), skipped, "the seeded cluster reads into a model");
        return new DatastoreWriter(datastore, model, DatastoreWriter.Settle.NONE);
    }

    private ClusterState state() throws DatastoreException
    {
        final Datastore.Listing listing = datastore.list();
        return ClusterState.decode(datastore.keys(), listing.revision(), listing.entries());
    }

    private static Map<String, Object> policy(final String namespace, final String name, final Object podSelector)
    {
        final Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("name", name);
        metadata.put("namespace", namespace);
        return Map.of("apiVersion", "networking.k8s.io/v1", "kind", "NetworkPolicy", "metadata", metadata,
            "spec", Map.of("podSelector", podSelector, "policyTypes", List.of("Ingress")));
    }
}
