package dev.podswitch.agent.cni;

import dev.podswitch.cni.CniWire;

import dev.podswitch.cli.Main;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.Closeable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * NetworkPolicy selects pods attached by cnitool through the labels the runtime passed in
 * {@code CNI_ARGS} ({@code PODSWITCH_POD_LABELS}) and the namespace and name it passed
 * ({@code K8S_POD_*}): applied to the running agent, a connection that worked is dropped while an
 * allowed one still gets through; deleted, the first works again. Pods: {@code x} (app=x) and
 * {@code other} (app=other) on node-1, {@code client} (app=client) on node-2.
 */
@Tag("root")
class CniPolicyRootTest
{
    private static final int PORT = 9090;
    private static final String INGRESS = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: x-from-client
          namespace: default
        spec:
          podSelector:
            matchLabels:
              app: x
          ingress:
          - from:
            - podSelector:
                matchLabels:
                  app: client
            ports:
            - protocol: TCP
              port: 9090
        """;
    private static final String EGRESS = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: client-only-to-x
          namespace: default
        spec:
          podSelector:
            matchLabels:
              app: client
          policyTypes: [Egress]
          egress:
          - to:
            - podSelector:
                matchLabels:
                  app: x
        """;

    private CniLab lab;
    private Closeable server;
    private String x;
    private String other;
    private String client;
    private String ipX;

    @BeforeEach
    void attachPods() throws Exception
    {
        lab = CniLab.start(CniRootPrerequisites.require());
        x = lab.namespace();
        other = lab.namespace();
        client = lab.namespace();
        ipX = CniLab.ipOf(lab.add(lab.network1, x, "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=x;"
            + "PODSWITCH_POD_LABELS=app:x"));
        lab.add(lab.network1, other, "K8S_POD_NAMESPACE=default;K8S_POD_NAME=other;PODSWITCH_POD_LABELS=app:other");
        lab.add(lab.network2, client, "K8S_POD_NAMESPACE=default;K8S_POD_NAME=client;PODSWITCH_POD_LABELS=app:client");
        server = NamespaceTcp.serve(x, PORT);
    }

    @AfterEach
    void cleanUp() throws Exception
    {
        if (server != null)
        {
            server.close();
        }
        if (lab != null)
        {
            lab.close();
        }
    }

    /** {@code podswitch apply -f FILE} against the agent's control API. */
    private void apply(final String manifest) throws Exception
    {
        final Path file = Files.writeString(lab.work.resolve("policy-" + manifest.hashCode() + ".yaml"), manifest);
        assertEquals(Main.EXIT_OK, Main.commandLine().execute("apply", "-f", file.toString(), "--socket",
            lab.apiSocket.toString()));
    }

    @Test
    void shouldDropAConnectionThatWorkedOnceAPolicySelectsTheCniPodByItsLabels() throws Exception
    {
        assertEquals(lab.agent().cluster().model().snapshot().pods().get("default/x").labels(), Map.of("app", "x"),
            "the agent knows x by the labels CNI_ARGS gave");
        final String ipOther = NamespaceTcp.connect(other, ipX, PORT);
        assertTrue(ipOther != null, "before the policy, other reaches x");
        final String ipClient = NamespaceTcp.connect(client, ipX, PORT);
        assertTrue(ipClient != null, "and so does client");

        apply(INGRESS);

        assertNull(NamespaceTcp.connect(other, ipX, PORT), "other is not allowed in any more");
        assertNull(NamespaceTcp.connect(lab.scenarioPodNamespace("web"), ipX, PORT), "nor is a scenario pod");
        assertEquals(ipClient, NamespaceTcp.connect(client, ipX, PORT), "client still is, across nodes");

        // The alias of earlier releases (`podswitch policy delete`) still works, through the control API.
        assertEquals(Main.EXIT_OK, Main.commandLine().execute("policy", "delete", "default/x-from-client", "--socket",
            lab.apiSocket.toString()));
        assertEquals(ipOther, NamespaceTcp.connect(other, ipX, PORT), "deleted: other reaches x again");
    }

    @Test
    void shouldKeepEnforcingAnAppliedPolicyAfterTheAgentRestarts() throws Exception
    {
        apply(INGRESS);
        assertNull(NamespaceTcp.connect(other, ipX, PORT), "the policy holds");

        lab.stopAgent();
        lab.startAgent();

        assertTrue(lab.log().contains("1 NetworkPolicy applied by a previous run in force again"), lab.log());
        assertTrue(lab.agent().cluster().model().snapshot().policies().containsKey("default/x-from-client"));
        assertNull(NamespaceTcp.connect(other, ipX, PORT), "still holds after the restart");
        assertTrue(NamespaceTcp.connect(client, ipX, PORT) != null, "and still lets client in");
    }

    @Test
    void shouldLimitWhereACniPodMayConnectWithAnEgressPolicy() throws Exception
    {
        final String web = lab.scenarioPodIp("web");
        assertTrue(NamespaceTcp.connect(client, web, CniLab.SERVED_PORT) != null, "before: client reaches web");

        apply(EGRESS);

        assertNull(NamespaceTcp.connect(client, web, CniLab.SERVED_PORT), "client may only open connections to x");
        assertTrue(NamespaceTcp.connect(client, ipX, PORT) != null, "which it still does");
        assertTrue(NamespaceTcp.connect(other, web, CniLab.SERVED_PORT) != null, "other is not selected: unchanged");
    }
}
