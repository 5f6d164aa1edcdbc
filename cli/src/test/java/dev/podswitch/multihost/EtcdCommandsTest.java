package dev.podswitch.multihost;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.podswitch.cli.Main;
import dev.podswitch.datastore.Datastore;
import dev.podswitch.datastore.DatastoreKeys;
import dev.podswitch.datastore.EtcdEndpoints;
import dev.podswitch.datastore.PodRecord;
import dev.podswitch.datastore.Records;
import dev.podswitch.datastore.SubnetLease;
import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.ipam.cidr.Ipv4Cidr;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The command line's {@code --etcd} contract, as written in the multi-host issue, against a real
 * etcd on loopback (no root, no agent): {@code get nodes|pods -o json} shapes, {@code apply -f}
 * (all or nothing, located errors, exit 2), {@code delete networkpolicy}, {@code label pod|namespace}.
 * Nodes and pods are written as agents write them (a subnet lease, a pod record on its lease).
 */
class EtcdCommandsTest
{
    private static Path work;
    private static EtcdProcess etcd;
    private static Datastore datastore;
    private static String url;

    @BeforeAll
    static void startEtcd() throws Exception
    {
        final boolean installed = Files.isExecutable(EtcdProcess.BINARY);
        if (!installed && "true".equals(System.getenv("CI")))
        {
            fail("CI=true: the --etcd command tests must run, but etcd is not installed (apt-get install etcd-server)");
        }
        assumeTrue(installed, "etcd is not installed (apt-get install etcd-server): --etcd command tests skipped");
        work = Files.createTempDirectory("psw-etcd-cli-");
        etcd = new EtcdProcess(work, "127.0.0.1", 23_794).start();
        url = etcd.url();
        datastore = Datastore.connect(EtcdEndpoints.parse(url), new DatastoreKeys(DatastoreKeys.DEFAULT_PREFIX));
        // A node as an agent leases it, and a pod of it bound to the same lease.
        final long lease = datastore.grantLease(Duration.ofMinutes(5));
        final Ipv4Cidr subnet = Ipv4Cidr.parse("10.244.7.0/24");
        datastore.create(datastore.keys().subnet(subnet), Records.subnet(new SubnetLease(subnet, "m1",
            Ipv4.parse("192.0.2.10"), 0x0A58_0AF4_0701L, lease)), lease);
        datastore.put(datastore.keys().pod("default", "web"), Records.pod(new PodRecord("default", "web", "m1",
            Ipv4.parse("10.244.7.2"), Map.of("app", "web"))), lease);
    }

    @AfterAll
    static void stopEtcd() throws Exception
    {
        if (datastore != null)
        {
            datastore.close();
        }
        if (etcd != null)
        {
            etcd.close();
        }
    }

    @Test
    void shouldListNodesAndPodsAsFlatJsonObjects() throws Exception
    {
        final JsonNode nodes = json(MultiHostLab.cli("get", "nodes", "-o", "json", "--etcd", url));
        assertEquals(1, nodes.size(), nodes.toString());
        assertEquals("m1", nodes.get(0).path("name").asText());
        assertEquals("10.244.7.0/24", nodes.get(0).path("podCIDR").asText());
        assertEquals("192.0.2.10", nodes.get(0).path("underlayAddress").asText());
        assertTrue(nodes.get(0).path("ready").asBoolean());
        final JsonNode pods = json(MultiHostLab.cli("get", "pods", "-o", "json", "--etcd", url));
        assertEquals(1, pods.size(), pods.toString());
        assertEquals("default", pods.get(0).path("namespace").asText());
        assertEquals("web", pods.get(0).path("name").asText());
        assertEquals("m1", pods.get(0).path("node").asText());
        assertEquals("10.244.7.2", pods.get(0).path("ip").asText());
        assertEquals("web", pods.get(0).path("labels").path("app").asText());
    }

    @Test
    void shouldApplyAPolicyIntoEtcdAndDeleteItAgain() throws Exception
    {
        final Path policy = Files.writeString(work.resolve("deny.yaml"), """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: deny-web, namespace: default}
            spec:
              podSelector: {matchLabels: {app: web}}
              policyTypes: [Ingress]
            """);
        final MultiHostLab.Cli applied = MultiHostLab.cli("apply", "-f", policy.toString(), "--etcd", url);
        assertEquals(Main.EXIT_OK, applied.exit(), applied.err());
        assertTrue(applied.out().contains("networkpolicy default/deny-web created"), applied.out());
        assertTrue(datastore.get(datastore.keys().policy("default", "deny-web")) != null, "the manifest is in etcd");
        assertEquals(1, json(MultiHostLab.cli("get", "networkpolicies", "-o", "json", "--etcd", url)).size());

        assertEquals(Main.EXIT_OK, MultiHostLab.cli("delete", "networkpolicy", "default/deny-web", "--etcd", url).exit());
        assertEquals(null, datastore.get(datastore.keys().policy("default", "deny-web")), "gone from etcd");
        final MultiHostLab.Cli again = MultiHostLab.cli("delete", "networkpolicy", "default/deny-web", "--etcd", url);
        assertEquals(1, again.exit(), "deleting what is not there is not found: " + again.err());
    }

    @Test
    void shouldRefuseAnInvalidManifestWithItsFieldAndWriteNothing() throws Exception
    {
        final Path both = Files.writeString(work.resolve("bad.yaml"), """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: fine, namespace: default}
            spec:
              podSelector: {}
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: broken, namespace: default}
            spec:
              podSelector: {}
              ingress:
              - ports:
                - port: 70000
            """);
        final MultiHostLab.Cli refused = MultiHostLab.cli("apply", "-f", both.toString(), "--etcd", url);
        assertEquals(Main.EXIT_INVALID, refused.exit(), refused.out() + refused.err());
        assertTrue(refused.err().contains("port"), refused.err());
        assertEquals(null, datastore.get(datastore.keys().policy("default", "fine")), "all or nothing: nothing written");
    }

    @Test
    void shouldLabelAPodKeepingItsRecordOnItsNodesLease() throws Exception
    {
        final long leaseBefore = datastore.get(datastore.keys().pod("default", "web")).lease();
        assertEquals(Main.EXIT_OK, MultiHostLab.cli("label", "pod", "default/web", "tier=front", "--etcd", url).exit());
        final Datastore.Entry after = datastore.get(datastore.keys().pod("default", "web"));
        assertEquals(leaseBefore, after.lease(), "still bound to its node's lease, so it goes with the node");
        final PodRecord record = Records.pod(after.key(), after.value());
        assertEquals(Map.of("app", "web", "tier", "front"), record.labels());
        assertEquals(Main.EXIT_OK, MultiHostLab.cli("label", "pod", "default/web", "tier-", "--etcd", url).exit());
        assertEquals(Main.EXIT_OK, MultiHostLab.cli("label", "namespace", "default", "team=blue", "--etcd", url).exit(),
            "the default namespace exists for an --etcd client as it does for every agent");
        final JsonNode namespaces = json(MultiHostLab.cli("get", "namespaces", "-o", "json", "--etcd", url));
        assertTrue(namespaces.toString().contains("team"), namespaces.toString());
        assertEquals(1, MultiHostLab.cli("label", "pod", "default/nobody", "a=b", "--etcd", url).exit(), "not found");
    }

    private static JsonNode json(final MultiHostLab.Cli cli) throws Exception
    {
        assertEquals(Main.EXIT_OK, cli.exit(), cli.err());
        return new ObjectMapper().readTree(cli.out());
    }
}
