package dev.podswitch.multihost;

import com.fasterxml.jackson.databind.JsonNode;
import dev.podswitch.cli.Main;
import dev.podswitch.control.live.IpCommand;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One pod network over three hosts, its state in a real etcd: each host a network namespace on a
 * bridge running its own agent process, pods made by cnitool, traffic between them over VXLAN
 * without NAT, policy applied through one host and enforced on another, and the faults the
 * multi-host issue names — etcd down for 30 s, an agent killed with -9, a partitioned host, a node
 * gone for good. The tests run in order on one topology (its set-up is the expensive part); the
 * last one takes a host away for good.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MultiHostRootTest
{
    private static final int PORT = MultiHostLab.POD_PORT;
    /** Short, so "gone for good" is seconds, not flannel's day. */
    private static final String LEASE_TTL = "6s";
    private static MultiHostLab lab;

    @BeforeAll
    static void startThreeHosts() throws Exception
    {
        MultiHostLab.requirePrerequisites();
        lab = MultiHostLab.start(3, LEASE_TTL);
        lab.addPod(lab.host(1), "a", "PODSWITCH_POD_LABELS=app:a");
        lab.addPod(lab.host(2), "b", "PODSWITCH_POD_LABELS=app:b");
        lab.addPod(lab.host(3), "c", "PODSWITCH_POD_LABELS=app:c");
        awaitTrue("every agent knows all three pods", () -> everyAgentSees(3));
    }

    @AfterAll
    static void tearDown() throws Exception
    {
        if (lab != null)
        {
            lab.close();
        }
    }

    @Test
    @Order(1)
    void shouldGiveEachHostItsOwnSubnetAndShowOneClusterFromEtcdAndFromEveryAgent() throws Exception
    {
        final JsonNode nodes = lab.getJson("nodes", null);
        assertEquals(3, nodes.size(), nodes.toString());
        final Set<String> subnets = new HashSet<>();
        for (final JsonNode node : nodes)
        {
            assertTrue(node.path("ready").asBoolean(), node.toString());
            assertTrue(subnets.add(node.path("podCIDR").asText()), "two nodes share a subnet: " + nodes);
            assertTrue(node.path("underlayAddress").asText().startsWith("10.79.0.1"), node.toString());
        }
        for (final MultiHostLab.PodInfo pod : lab.pods.values())
        {
            final JsonNode node = find(nodes, "name", pod.host().node);
            assertTrue(inCidr(pod.ip(), node.path("podCIDR").asText()), pod + " has an IP of its node's subnet " + node);
        }
        final JsonNode pods = lab.getJson("pods", null);
        assertEquals(3, pods.size(), pods.toString());
        final JsonNode a = find(pods, "name", "a");
        assertEquals("default", a.path("namespace").asText());
        assertEquals("h1", a.path("node").asText());
        assertEquals(lab.pods.get("a").ip(), a.path("ip").asText());
        assertEquals("a", a.path("labels").path("app").asText());
        for (final AgentHost host : lab.hosts)
        {
            assertEquals(3, lab.getJson("nodes", host).size(), "the nodes as " + host.node + " sees them");
            assertEquals(3, lab.getJson("pods", host).size(), "the pods as " + host.node + " sees them");
        }
        final String mtu = IpCommand.execIn(lab.pods.get("a").namespace(), "cat", "/sys/class/net/eth0/mtu").output().strip();
        assertEquals("1450", mtu, "pods get the underlay MTU (1500) minus VXLAN's 50");
    }

    @Test
    @Order(2)
    void shouldCarryPingTcpAndUdpBetweenEveryPairOfHostsWithTheSendersOwnIp() throws Exception
    {
        final StringBuilder matrix = new StringBuilder("from\\to   ping  tcp   udp\n");
        final List<String> failures = new ArrayList<>();
        for (final List<String> pair : PodTraffic.pairs(List.of("a", "b", "c")))
        {
            final MultiHostLab.PodInfo from = lab.pods.get(pair.get(0));
            final MultiHostLab.PodInfo to = lab.pods.get(pair.get(1));
            final boolean ping = PodTraffic.ping(from.namespace(), to.ip());
            final String tcp = PodTraffic.tcp(from.namespace(), to.ip(), PORT);
            final String udp = PodTraffic.udp(from.namespace(), to.ip(), PORT);
            matrix.append(String.format("%s → %s     %-5s %-5s %-5s%n", from.name(), to.name(), ping ? "ok" : "FAIL",
                from.ip().equals(tcp) ? "ok" : "FAIL", from.ip().equals(udp) ? "ok" : "FAIL"));
            if (!ping || !from.ip().equals(tcp) || !from.ip().equals(udp))
            {
                failures.add(from.name() + " → " + to.name() + ": ping " + ping + ", tcp saw " + tcp + ", udp saw " + udp
                    + " (sender " + from.ip() + ")");
            }
        }
        System.out.println(matrix);
        assertTrue(failures.isEmpty(), matrix + "\n" + failures);
    }

    @Test
    @Order(3)
    void shouldEnforceOnOneHostAPolicyAppliedThroughAnotherAndJudgeRemoteSendersByTheirLabels() throws Exception
    {
        final MultiHostLab.PodInfo a = lab.pods.get("a");
        final MultiHostLab.PodInfo b = lab.pods.get("b");
        final MultiHostLab.PodInfo c = lab.pods.get("c");
        final Path policy = Files.writeString(lab.work.resolve("b-from-a.yaml"), """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: b-from-a, namespace: default}
            spec:
              podSelector: {matchLabels: {app: b}}
              policyTypes: [Ingress]
              ingress:
              - from:
                - podSelector: {matchLabels: {app: a}}
            """);
        // Applied through h1's agent; b runs on h2.
        assertEquals(Main.EXIT_OK, MultiHostLab.cli("apply", "-f", policy.toString(), "--socket",
            lab.host(1).apiSocket.toString()).exit());
        awaitTrue("h2 has the policy", () -> policyCount(lab.host(2)) == 1);
        assertEquals(a.ip(), PodTraffic.tcp(a.namespace(), b.ip(), PORT), "a (app=a, on h1) may reach b on h2");
        assertNull(PodTraffic.tcp(c.namespace(), b.ip(), PORT), "c (app=c, on h3) may not");

        // A label change through etcd reaches every host: c becomes app=a.
        assertEquals(Main.EXIT_OK, MultiHostLab.cli("label", "pod", "default/c", "app=a", "--etcd", lab.etcd.url()).exit());
        awaitTrue("c is let in once relabelled", () -> c.ip().equals(tcpQuietly(c, b)));

        assertEquals(Main.EXIT_OK, MultiHostLab.cli("delete", "networkpolicy", "default/b-from-a", "--etcd",
            lab.etcd.url()).exit());
        assertEquals(Main.EXIT_OK, MultiHostLab.cli("label", "pod", "default/c", "app=c", "--etcd", lab.etcd.url()).exit());
        awaitTrue("every host dropped the deleted policy", () -> lab.hosts.stream().allMatch(h -> policyCount(h) == 0));
    }

    @Test
    @Order(4)
    void shouldKeepForwardingWhileEtcdIsDownAndConvergeOnWhatChangedMeanwhile() throws Exception
    {
        final MultiHostLab.PodInfo a = lab.pods.get("a");
        final MultiHostLab.PodInfo b = lab.pods.get("b");
        try (PodTraffic.Established established = PodTraffic.Established.open(a.namespace(), b.ip(), PORT))
        {
            assertNotNull(established, "a connection a → b before the outage");
            lab.etcd.stop();
            final long outageEnds = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            // A pod added while etcd is down works on its own host at once.
            final MultiHostLab.PodInfo d = lab.addPod(lab.host(3), "d", "PODSWITCH_POD_LABELS=app:d");
            while (System.nanoTime() < outageEnds)
            {
                assertEquals("still", established.roundTrip("still"), "the established connection carries on");
                assertEquals(a.ip(), PodTraffic.tcp(a.namespace(), b.ip(), PORT), "new connections a → b work");
                assertEquals(lab.pods.get("c").ip(), PodTraffic.tcp(lab.pods.get("c").namespace(), d.ip(), PORT),
                    "c reaches d on its own host");
                Thread.sleep(3_000);
            }
            lab.etcd.start();
            awaitTrue("every agent learns of d once etcd is back", () -> everyAgentSees(4));
            assertEquals(d.ip(), PodTraffic.tcp(d.namespace(), a.ip(), PORT), "d reaches a across hosts");
            assertEquals(a.ip(), PodTraffic.tcp(a.namespace(), d.ip(), PORT), "and a reaches d");
            assertEquals("after", established.roundTrip("after"), "the connection outlived the outage");
        }
    }

    @Test
    @Order(5)
    void shouldGiveAKilledAgentItsSubnetAndItsPodsTheirIpsBackWithoutOtherNodesLosingAnything() throws Exception
    {
        final AgentHost h2 = lab.host(2);
        final String subnetBefore = find(lab.getJson("nodes", null), "name", "h2").path("podCIDR").asText();
        final MultiHostLab.PodInfo a = lab.pods.get("a");
        final MultiHostLab.PodInfo b = lab.pods.get("b");
        final MultiHostLab.PodInfo c = lab.pods.get("c");
        h2.kill();
        assertEquals(a.ip(), PodTraffic.tcp(a.namespace(), c.ip(), PORT), "a → c does not go through h2");
        h2.launch();
        h2.awaitServing();
        assertTrue(h2.logText().contains("subnet " + subnetBefore + " is still this node's"), h2.logText());
        awaitTrue("b is reachable from a again", () -> a.ip().equals(tcpQuietly(a, b)));
        assertEquals(subnetBefore, find(lab.getJson("nodes", null), "name", "h2").path("podCIDR").asText());
        assertEquals(b.ip(), find(lab.getJson("pods", h2), "name", "b").path("ip").asText(), "b kept its IP");
        assertEquals(b.ip(), PodTraffic.tcp(b.namespace(), c.ip(), PORT), "b reaches c");
        assertTrue(everyAgentSees(4), "no node lost a pod");
    }

    @Test
    @Order(6)
    void shouldLetTheOtherHostsGoOnWhileOneHostsUnderlayIsCutOff() throws Exception
    {
        final MultiHostLab.PodInfo a = lab.pods.get("a");
        final MultiHostLab.PodInfo b = lab.pods.get("b");
        final MultiHostLab.PodInfo c = lab.pods.get("c");
        final String uplink = MultiHostLab.uplinkOf(lab.host(3));
        IpCommand.ip("link", "set", uplink, "down");
        try
        {
            assertNull(PodTraffic.tcp(a.namespace(), c.ip(), PORT), "h3 is cut off");
            assertEquals(a.ip(), PodTraffic.tcp(a.namespace(), b.ip(), PORT), "h1 and h2 go on");
            assertEquals(b.ip(), PodTraffic.tcp(b.namespace(), a.ip(), PORT), "both ways");
        }
        finally
        {
            IpCommand.ip("link", "set", uplink, "up");
        }
        awaitTrue("h3 is back", () -> a.ip().equals(tcpQuietly(a, c)));
        awaitTrue("and still in the cluster", () -> everyAgentSees(4));
    }

    @Test
    @Order(7)
    void shouldDropTheRoutesAndPodsOfANodeGoneForGoodOnceItsLeaseExpires() throws Exception
    {
        final AgentHost h3 = lab.host(3);
        final MultiHostLab.PodInfo a = lab.pods.get("a");
        h3.kill();
        awaitTrue("the other nodes drop h3 and its pods after the lease TTL", () ->
        {
            try
            {
                for (final AgentHost host : List.of(lab.host(1), lab.host(2)))
                {
                    final JsonNode nodes = lab.getJson("nodes", host);
                    final JsonNode pods = lab.getJson("pods", host);
                    if (nodes.size() != 2 || pods.size() != 2)
                    {
                        return false;
                    }
                }
                return lab.getJson("nodes", null).size() == 2;
            }
            catch (final Exception notYet)
            {
                return false;
            }
        });
        assertTrue(lab.host(1).logText().contains("node h3"), lab.host(1).logText());
        assertEquals(a.ip(), PodTraffic.tcp(a.namespace(), lab.pods.get("b").ip(), PORT), "h1 and h2 are untouched");
    }

    private static String tcpQuietly(final MultiHostLab.PodInfo from, final MultiHostLab.PodInfo to)
    {
        try
        {
            return PodTraffic.tcp(from.namespace(), to.ip(), PORT);
        }
        catch (final Exception failed)
        {
            return null;
        }
    }

    private static boolean everyAgentSees(final int pods)
    {
        try
        {
            for (final AgentHost host : lab.hosts)
            {
                if (host.isRunning() && lab.getJson("pods", host).size() != pods)
                {
                    return false;
                }
            }
            return true;
        }
        catch (final Exception notYet)
        {
            return false;
        }
    }

    private static int policyCount(final AgentHost host)
    {
        try
        {
            return lab.getJson("networkpolicies", host).size();
        }
        catch (final Exception notYet)
        {
            return -1;
        }
    }

    /** Polls up to 30 s: convergence is asynchronous by design, and how fast is the benchmark's business. */
    private static void awaitTrue(final String what, final BooleanSupplier condition) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                final StringBuilder logs = new StringBuilder();
                lab.hosts.forEach(host -> logs.append("\n--- ").append(host.node).append(":\n").append(host.logText()));
                throw new AssertionError("not within 30 s: " + what + logs);
            }
            Thread.sleep(200);
        }
    }

    private static JsonNode find(final JsonNode array, final String field, final String value)
    {
        for (final JsonNode item : array)
        {
            if (value.equals(item.path(field).asText()))
            {
                return item;
            }
        }
        throw new AssertionError("no " + field + "=" + value + " in " + array);
    }

    private static boolean inCidr(final String ip, final String cidr)
    {
        return dev.podswitch.ipam.cidr.Ipv4Cidr.parse(cidr).contains(dev.podswitch.ipam.cidr.Ipv4.parse(ip));
    }
}
