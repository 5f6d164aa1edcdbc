package dev.podswitch.agent.cni;

import dev.podswitch.ipam.cidr.Ipv4;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.Closeable;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pods attached by cnitool are pods like any other: they reach the scenario pods and each other,
 * on their node and across nodes (VXLAN), by ping and TCP, and the far end sees the sender's own
 * address — no NAT. Three cnitool pods: {@code a} and {@code b} on node-1, {@code c} on node-2
 * (one config per node); scenario pods {@code web} (node-1) and {@code api} (node-2).
 */
@Tag("root")
class CniConnectivityRootTest
{
    /** The port the cnitool pods serve in these tests (the scenario pods serve {@link CniLab#SERVED_PORT}). */
    private static final int POD_PORT = 9090;

    private static CniLab lab;
    private static final List<Closeable> servers = new ArrayList<>();
    private static String a;
    private static String b;
    private static String c;
    private static String ipA;
    private static String ipB;
    private static String ipC;

    @BeforeAll
    static void attachThreePods() throws Exception
    {
        lab = CniLab.start(CniRootPrerequisites.require());
        a = lab.namespace();
        b = lab.namespace();
        c = lab.namespace();
        ipA = CniLab.ipOf(lab.add(lab.network1, a, "K8S_POD_NAMESPACE=default;K8S_POD_NAME=a"));
        ipB = CniLab.ipOf(lab.add(lab.network1, b, "K8S_POD_NAMESPACE=default;K8S_POD_NAME=b"));
        ipC = CniLab.ipOf(lab.add(lab.network2, c, "K8S_POD_NAMESPACE=default;K8S_POD_NAME=c"));
        for (final String namespace : List.of(a, b, c))
        {
            servers.add(NamespaceTcp.serve(namespace, POD_PORT));
        }
    }

    @AfterAll
    static void cleanUp() throws Exception
    {
        for (final Closeable server : servers)
        {
            server.close();
        }
        if (lab != null)
        {
            lab.close();
        }
    }

    @Test
    void shouldPlaceEachPodOnTheNodeItsConfigNames()
    {
        assertTrue(lab.podCidr(CniLab.NODE_1).contains(Ipv4.parse(ipA)), ipA);
        assertTrue(lab.podCidr(CniLab.NODE_1).contains(Ipv4.parse(ipB)), ipB);
        assertTrue(lab.podCidr(CniLab.NODE_2).contains(Ipv4.parse(ipC)), ipC);
    }

    @Test
    void shouldReachTheScenarioPodOnItsNodeWithItsOwnAddress() throws Exception
    {
        final String web = lab.scenarioPodIp("web");

        assertTrue(NamespaceTcp.ping(a, web), "ping a → web");
        assertEquals(ipA, NamespaceTcp.connect(a, web, CniLab.SERVED_PORT), "web saw a's own IP");
    }

    @Test
    void shouldReachTheScenarioPodOnTheOtherNodeWithItsOwnAddress() throws Exception
    {
        final String api = lab.scenarioPodIp("api");

        assertTrue(NamespaceTcp.ping(a, api), "ping a → api across nodes");
        assertEquals(ipA, NamespaceTcp.connect(a, api, CniLab.SERVED_PORT), "api saw a's own IP");
        assertEquals(ipC, NamespaceTcp.connect(c, lab.scenarioPodIp("web"), CniLab.SERVED_PORT), "web saw c's own IP");
    }

    @Test
    void shouldReachAnotherCniPodOnTheSameNode() throws Exception
    {
        assertTrue(NamespaceTcp.ping(a, ipB), "ping a → b");
        assertEquals(ipA, NamespaceTcp.connect(a, ipB, POD_PORT));
        assertEquals(ipB, NamespaceTcp.connect(b, ipA, POD_PORT));
    }

    @Test
    void shouldReachACniPodOnTheOtherNode() throws Exception
    {
        assertTrue(NamespaceTcp.ping(a, ipC), "ping a → c across nodes");
        assertEquals(ipA, NamespaceTcp.connect(a, ipC, POD_PORT));
        assertEquals(ipC, NamespaceTcp.connect(c, ipB, POD_PORT));
    }

    @Test
    void shouldBeReachedByTheScenarioPods() throws Exception
    {
        final String web = lab.scenarioPodNamespace("web");
        final String api = lab.scenarioPodNamespace("api");

        assertTrue(NamespaceTcp.ping(web, ipA), "ping web → a");
        assertEquals(lab.scenarioPodIp("web"), NamespaceTcp.connect(web, ipA, POD_PORT));
        assertEquals(lab.scenarioPodIp("api"), NamespaceTcp.connect(api, ipA, POD_PORT), "api → a across nodes");
    }
}
