package dev.podswitch.scenarios.load;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static dev.podswitch.scenarios.load.ScenarioFiles.assertError;
import static dev.podswitch.scenarios.load.ScenarioFiles.loadFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Ports, protocols, addresses, names and labels, and the duplicates the cluster cannot hold. */
class ScenarioValueErrorTest
{
    private static final String PODS = "pods: [{name: a}, {name: b}]";

    @TempDir
    Path dir;

    @Test
    void shouldNameFileLineFieldAndRuleWhenAPortIsOutOfRange()
    {
        final ScenarioException ex = loadFailure(dir,
            "name: x",
            PODS,
            "steps:",
            "  - expect:",
            "      - {from: default/a, to: default/b, protocol: TCP,",
            "         port: 70000, allowed: true}");

        assertError(ex, "scenario.yaml", 6, 16, "steps[0].expect[0].port");
        assertEquals(dir.resolve("scenario.yaml") + ":6:16: steps[0].expect[0].port: must be 1-65535 for TCP, got 70000",
            ex.getMessage());
    }

    @Test
    void shouldRejectAPortWhenTheProbeIsIcmp()
    {
        final ScenarioException ex = loadFailure(dir,
            "name: x",
            PODS,
            "steps:",
            "  - expect: [{from: default/a, to: default/b, protocol: ICMP, port: 8, allowed: true}]");

        assertError(ex, "scenario.yaml", 4, 69, "steps[0].expect[0].port", "ICMP has no ports");
    }

    @Test
    void shouldRequireAPortWhenTheProtocolHasPorts()
    {
        final ScenarioException ex = loadFailure(dir,
            "name: x",
            PODS,
            "steps:",
            "  - expect: [{from: default/a, to: default/b, protocol: SCTP, allowed: true}]");

        assertError(ex, "scenario.yaml", 4, 14, "steps[0].expect[0].port", "missing required field \"port\" for SCTP");
    }

    @Test
    void shouldAskForUpperCaseWhenTheProtocolIsLowerCase()
    {
        final ScenarioException ex = loadFailure(dir,
            "name: x",
            PODS,
            "steps:",
            "  - expect: [{from: default/a, to: default/b, protocol: tcp, port: 80, allowed: true}]");

        assertError(ex, "scenario.yaml", 4, 57, "steps[0].expect[0].protocol", "must be upper case", "write TCP");
    }

    @Test
    void shouldListProtocolsWhenTheProtocolIsUnknown()
    {
        final ScenarioException ex = loadFailure(dir,
            "name: x",
            PODS,
            "steps:",
            "  - matrix: {protocol: HTTP, port: 80, expect: 'to: default/a'}");

        assertError(ex, "scenario.yaml", 4, 24, "steps[0].matrix.protocol",
            "protocol must be one of TCP, UDP, SCTP, ICMP, got \"HTTP\"");
    }

    @Test
    void shouldRejectIcmpWhenAContainerPortUsesIt()
    {
        final ScenarioException ex = loadFailure(dir,
            "name: x",
            "pods: [{name: a, ports: [{containerPort: 1, protocol: ICMP}]}]");

        assertError(ex, "scenario.yaml", 2, 55, "pods[0].ports[0].protocol", "must be one of TCP, UDP, SCTP, got \"ICMP\"");
    }

    @Test
    void shouldRejectAnInvalidAddressWhenAPodHasAFixedIp()
    {
        final ScenarioException ex = loadFailure(dir,
            "name: x",
            "pods: [{name: a, ip: 10.244.0.300}]");

        assertError(ex, "scenario.yaml", 2, 22, "pods[0].ip", "invalid IPv4 address \"10.244.0.300\"");
    }

    @Test
    void shouldSayWhichOctetIsWrongWhenAFixedIpIsNotADottedQuad()
    {
        assertError(loadFailure(dir, "name: x", "pods: [{name: a, ip: 10.244.0.300}]"),
            "scenario.yaml", 2, 22, "pods[0].ip", "invalid IPv4 address \"10.244.0.300\": octet 300 out of range 0-255");
        assertError(loadFailure(dir, "name: x", "pods: [{name: a, ip: 10.244.0.010}]"),
            "scenario.yaml", 2, 22, "pods[0].ip", "octet '010' has a leading zero");
        assertError(loadFailure(dir, "name: x", "pods: [{name: a, ip: 10.244.10}]"),
            "scenario.yaml", 2, 22, "pods[0].ip", "expected four octets, found 3");
        assertError(loadFailure(dir, "name: x", "pods: [{name: a, ip: 'fd00::1'}]"),
            "scenario.yaml", 2, 22, "pods[0].ip", "an IPv6 address, where podswitch takes IPv4 only");
        assertError(loadFailure(dir, "name: x", "hosts: [{name: h, ip: 0x0a.0.0.1}]"),
            "scenario.yaml", 2, 23, "hosts[0].ip", "invalid IPv4 address \"0x0a.0.0.1\"");
    }

    @Test
    void shouldRejectAFixedIpWhenItIsOutsideTheClusterCidr()
    {
        final ScenarioException ex = loadFailure(dir,
            "name: x",
            "pods: [{name: a, ip: 10.1.0.5}]");

        assertError(ex, "scenario.yaml", 2, 22, "pods[0].ip", "outside the cluster's pod CIDR 10.244.0.0/16");
    }

    @Test
    void shouldRejectAFixedIpWhenItIsOutsideItsNodesCidr()
    {
        final ScenarioException ex = loadFailure(dir,
            "name: x",
            "cluster: {nodes: [node-1, node-2]}",
            "pods: [{name: a, node: node-2, ip: 10.244.0.5}]");

        assertError(ex, "scenario.yaml", 3, 36, "pods[0].ip", "outside node-2's pod CIDR 10.244.1.0/24");
    }

    @Test
    void shouldRejectACidrWhenItIsMalformedOrHasHostBits()
    {
        assertError(loadFailure(dir, "name: x", "cluster: {podCIDR: 10.244.0.0/33}"),
            "scenario.yaml", 2, 20, "cluster.podCIDR", "invalid CIDR \"10.244.0.0/33\"");
        assertError(loadFailure(dir, "name: x", "cluster: {podCIDR: 10.244.1.0/16}"),
            "scenario.yaml", 2, 20, "cluster.podCIDR", "did you mean 10.244.0.0/16?");
    }

    @Test
    void shouldSayWhatIsWrongWhenACidrIsMalformed()
    {
        assertError(loadFailure(dir, "name: x", "cluster: {podCIDR: 10.244.0.0/33}"), "scenario.yaml", 2, 20,
            "cluster.podCIDR", "invalid CIDR \"10.244.0.0/33\": prefix length 33 out of range 0-32; expected an IPv4 " +
            "network like 10.244.0.0/16");
        assertError(loadFailure(dir, "name: x", "cluster: {podCIDR: 10.244.0.0}"), "scenario.yaml", 2, 20,
            "cluster.podCIDR", "invalid CIDR \"10.244.0.0\": missing prefix length, expected an address and a prefix " +
            "length like 10.244.0.0/16");
        assertError(loadFailure(dir, "name: x", "cluster: {podCIDR: 10.244.0.0/016}"), "scenario.yaml", 2, 20,
            "cluster.podCIDR", "prefix length '016' has a leading zero");
        assertError(loadFailure(dir, "name: x", "cluster: {podCIDR: 10.244/16}"), "scenario.yaml", 2, 20,
            "cluster.podCIDR", "invalid IPv4 address '10.244': expected four octets, found 2");
        assertError(loadFailure(dir, "name: x", "cluster: {podCIDR: 'fd00:10:244::/56'}"), "scenario.yaml", 2, 20,
            "cluster.podCIDR", "an IPv6 network, but the emulated cluster is single-stack IPv4");
    }

    @Test
    void shouldRejectANodeCidrSizeWhenItIsShorterThanTheClusterPrefix()
    {
        final ScenarioException ex = loadFailure(dir, "name: x", "cluster: {nodeCIDRSize: 8}");

        assertError(ex, "scenario.yaml", 2, 25, "cluster.nodeCIDRSize", "between the pod CIDR's prefix length 16 and 30");
    }

    @Test
    void shouldRejectAHostIpWhenItIsInsideTheClusterCidr()
    {
        final ScenarioException ex = loadFailure(dir,
            "name: x",
            "hosts:",
            "  - {name: admin, ip: 10.244.9.9}");

        assertError(ex, "scenario.yaml", 3, 23, "hosts[0].ip", "inside the cluster's pod CIDR", "outside the cluster");
    }

    @Test
    void shouldRejectALabelKeyWhenItBreaksKubernetesSyntax()
    {
        final ScenarioException ex = loadFailure(dir,
            "name: x",
            "pods: [{name: a, labels: {-role: db}}]");

        assertError(ex, "scenario.yaml", 2, 27, "pods[0].labels[-role]", "invalid label key \"-role\"");
    }

    @Test
    void shouldRejectALabelValueWhenItIsTooLongOrNotAString()
    {
        final String longValue = "v".repeat(64);
        assertError(loadFailure(dir, "name: x", "pods: [{name: a, labels: {role: " + longValue + "}}]"),
            "scenario.yaml", 2, 33, "pods[0].labels[role]", "invalid label value");
        assertError(loadFailure(dir, "name: x", "pods: [{name: a, labels: {tier: 1}}]"),
            "scenario.yaml", 2, 33, "pods[0].labels[tier]", "quote it: \"1\"");
    }

    @Test
    void shouldRejectAPodNameWhenItIsNotADnsLabel()
    {
        final ScenarioException ex = loadFailure(dir, "name: x", "pods: [{name: Web}]");

        assertError(ex, "scenario.yaml", 2, 15, "pods[0].name", "invalid name \"Web\"", "DNS-1123 label");
    }

    @Test
    void shouldRejectANamespaceNameWhenItIsNotADnsLabel()
    {
        final ScenarioException ex = loadFailure(dir, "name: x", "namespaces: {Prod_1: {}}");

        assertError(ex, "scenario.yaml", 2, 14, "namespaces[Prod_1]", "invalid namespace name \"Prod_1\"");
    }

    @Test
    void shouldRejectTheMetadataNameLabelWhenItNamesAnotherNamespace()
    {
        final ScenarioException ex = loadFailure(dir,
            "name: x",
            "namespaces:",
            "  prod: {labels: {kubernetes.io/metadata.name: dev}}");

        assertError(ex, "scenario.yaml", 3, 19, "namespaces[prod].labels[kubernetes.io/metadata.name]",
            "must be the namespace's own name \"prod\", got \"dev\"");
    }

    @Test
    void shouldRejectADuplicatePodWhenANamespaceHoldsTwoOfTheSameName()
    {
        final ScenarioException ex = loadFailure(dir,
            "name: x",
            "pods:",
            "  - {name: a}",
            "  - {name: a, namespace: default}");

        assertError(ex, "scenario.yaml", 4, 5, "pods[1]", "duplicate pod \"default/a\"", "scenario.yaml:3:5");
    }

    @Test
    void shouldRejectDuplicateHostsAndNodesWhenNamesRepeat()
    {
        assertError(loadFailure(dir, "name: x", "hosts: [{name: h, ip: 1.2.3.4}, {name: h, ip: 1.2.3.5}]"),
            "scenario.yaml", 2, 40, "hosts[1].name", "duplicate host \"h\"");
        assertError(loadFailure(dir, "name: x", "cluster: {nodes: [n1, n2, n1]}"),
            "scenario.yaml", 2, 27, "cluster.nodes[2]", "duplicate node \"n1\"");
    }

    @Test
    void shouldRejectAPodWhenItsNodeIsNotInTheCluster()
    {
        final ScenarioException ex = loadFailure(dir,
            "name: x",
            "cluster: {nodes: [node-1, node-2]}",
            "pods: [{name: a, node: node-3}]");

        assertError(ex, "scenario.yaml", 3, 24, "pods[0].node", "node \"node-3\" is not in cluster.nodes [node-1, node-2]",
            "did you mean \"node-1\"?");
    }

    @Test
    void shouldAskToDeclareTheNamespaceWhenAPodUsesAnUndeclaredOne()
    {
        final ScenarioException ex = loadFailure(dir,
            "name: x",
            "namespaces: {prod: {}}",
            "pods: [{name: a, namespace: staging}]");

        assertError(ex, "scenario.yaml", 3, 8, "pods[0]", "namespace \"staging\" does not exist",
            "declare it under namespaces:");
    }
}
