package dev.podswitch.policy.validation;

import dev.podswitch.ipam.cidr.Ipv4Cidr;
import dev.podswitch.policy.model.IpBlock;
import dev.podswitch.policy.model.LabelSelector;
import dev.podswitch.policy.model.PolicyPeer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.podswitch.policy.validation.Manifests.decodeSpec;
import static dev.podswitch.policy.validation.Manifests.onlyError;
import static dev.podswitch.policy.validation.Manifests.paths;
import static dev.podswitch.policy.validation.Manifests.valid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ValidateNetworkPolicyPeer and ValidateIPBlock, one rule per test. */
class PeerValidationTest
{
    private static NetworkPolicyDecoder.Decoded from(final String peers)
    {
        return decodeSpec("{podSelector: {}, ingress: [{from: " + peers + "}]}");
    }

    private static PolicyPeer firstPeer(final NetworkPolicyDecoder.Decoded decoded)
    {
        return valid(decoded).policy().ingress().getFirst().peers().getFirst();
    }

    @Test
    void shouldAndPodAndNamespaceSelectorsWhenBothAreInOnePeer()
    {
        final PolicyPeer peer = firstPeer(from("[{podSelector: {matchLabels: {app: 'api'}}, " +
            "namespaceSelector: {matchLabels: {env: 'prod'}}}]"));

        assertEquals(new PolicyPeer(new LabelSelector(Map.of("app", "api"), List.of()),
            new LabelSelector(Map.of("env", "prod"), List.of()), null), peer);
    }

    @Test
    void shouldKeepAnEmptySelectorApartFromAnAbsentOneWhenOnlyOneIsWritten()
    {
        assertEquals(new PolicyPeer(null, LabelSelector.EVERYTHING, null), firstPeer(from("[{namespaceSelector: {}}]")));
    }

    @Test
    void shouldRequireAPeerWhenAnEntryIsEmpty()
    {
        onlyError(from("[{}]"), "spec.ingress[0].from[0]", "Required value: must specify a peer");
    }

    @Test
    void shouldRequireAPeerWhenAnEntryIsNullOrItsSelectorIsNull()
    {
        onlyError(from("[null]"), "spec.ingress[0].from[0]", "must specify a peer");
        onlyError(from("[{podSelector: null}]"), "spec.ingress[0].from[0]", "must specify a peer");
    }

    @Test
    void shouldForbidIpBlockWithAnotherPeerWhenInOneEntry()
    {
        onlyError(from("[{ipBlock: {cidr: '10.0.0.0/8'}, podSelector: {}}]"), "spec.ingress[0].from[0]",
            "Forbidden: may not specify both ipBlock and another peer", "its own list entry");
    }

    @Test
    void shouldDecodeIpBlockWhenCidrAndExceptAreValid()
    {
        final PolicyPeer peer = firstPeer(from("[{ipBlock: {cidr: '172.17.0.0/16', except: ['172.17.1.0/24']}}]"));

        assertEquals(new IpBlock(Ipv4Cidr.parse("172.17.0.0/16"), List.of(Ipv4Cidr.parse("172.17.1.0/24"))), peer.ipBlock());
    }

    @Test
    void shouldRequireCidrWhenAbsentOrEmpty()
    {
        onlyError(from("[{ipBlock: {}}]"), "spec.ingress[0].from[0].ipBlock.cidr", "Required value");
        onlyError(from("[{ipBlock: {cidr: ''}}]"), "spec.ingress[0].from[0].ipBlock.cidr", "Required value");
    }

    @Test
    void shouldRejectCidrWhenMalformed()
    {
        for (final String cidr : List.of("10.0.0/8", "10.0.0.256/32", "10.0.0.0/33", "10.0.0.0/", "a.b.c.d/8", "10.0.0.0/+8"))
        {
            onlyError(from("[{ipBlock: {cidr: '" + cidr + "'}}]"), "spec.ingress[0].from[0].ipBlock.cidr",
                "Invalid value: \"" + cidr + "\": must be a valid CIDR value");
        }
    }

    @Test
    void shouldHintAPrefixLengthWhenCidrIsAnAddress()
    {
        onlyError(from("[{ipBlock: {cidr: '192.168.5.10'}}]"), "spec.ingress[0].from[0].ipBlock.cidr",
            "add a prefix length, e.g. \"192.168.5.10/32\"");
    }

    @Test
    void shouldAcceptHostBitsAndWarnWhenCidrIsNotANetworkAddress()
    {
        final NetworkPolicyDecoder.Decoded decoded = from("[{ipBlock: {cidr: '192.168.5.10/24'}}]");

        assertEquals(Ipv4Cidr.parse("192.168.5.0/24"), firstPeer(decoded).ipBlock().cidr());
        assertEquals(List.of(new FieldError("spec.ingress[0].from[0].ipBlock.cidr", "CIDR value \"192.168.5.10/24\" is " +
            "ambiguous in this context (should be \"192.168.5.0/24\" or \"192.168.5.10/32\"?)")), decoded.warnings());
    }

    @Test
    void shouldAcceptLeadingZerosAsDecimalAndWarnWhenWritten()
    {
        final NetworkPolicyDecoder.Decoded decoded = from("[{ipBlock: {cidr: '010.000.0.0/08'}}]");

        assertEquals(Ipv4Cidr.parse("10.0.0.0/8"), firstPeer(decoded).ipBlock().cidr());
        assertTrue(decoded.warnings().getFirst().message().contains("use \"10.0.0.0/8\""), decoded.warnings()::toString);
    }

    @Test
    void shouldRefuseIpv6WhenTheClusterDataplaneIsIpv4()
    {
        onlyError(from("[{ipBlock: {cidr: '2001:db8::/64'}}]"), "spec.ingress[0].from[0].ipBlock.cidr",
            "not supported by podswitch");
    }

    @Test
    void shouldRejectCidrWhenOnlyInetAtonOrAMaskWouldReadIt()
    {
        for (final String cidr : List.of("10.0/8", "167772160/8", "0x0a.0.0.0/8", "10.0.0.0/255.0.0.0", "10.0.0.*/24",
            " 10.0.0.0/8", "10.0.0.0/8 "))
        {
            onlyError(from("[{ipBlock: {cidr: '" + cidr + "'}}]"), "spec.ingress[0].from[0].ipBlock.cidr",
                "Invalid value: \"" + cidr + "\": must be a valid CIDR value");
        }
    }

    @Test
    void shouldRefuseIpv6WhenValidAndCallItInvalidWhenMalformed()
    {
        onlyError(from("[{ipBlock: {cidr: '2001:db8::1'}}]"), "spec.ingress[0].from[0].ipBlock.cidr",
            "not supported by podswitch");
        onlyError(from("[{ipBlock: {cidr: '2001:0db8:0::/064'}}]"), "spec.ingress[0].from[0].ipBlock.cidr",
            "not supported by podswitch");
        onlyError(from("[{ipBlock: {cidr: '2001:db8:::/64'}}]"), "spec.ingress[0].from[0].ipBlock.cidr",
            "must be a valid CIDR value");
        onlyError(from("[{ipBlock: {cidr: '10.0.0.0/8', except: ['2001:db8::/64']}}]"),
            "spec.ingress[0].from[0].ipBlock.except[0]", "not supported by podswitch");
    }

    @Test
    void shouldRejectExceptWhenOutsideEqualToOrWiderThanCidr()
    {
        final NetworkPolicyDecoder.Decoded decoded = from("[{ipBlock: {cidr: '10.1.0.0/16', except: " +
            "['10.2.0.0/24', '10.1.0.0/16', '10.0.0.0/8', '10.1.2.0/24']}}]");

        assertEquals(List.of("spec.ingress[0].from[0].ipBlock.except[0]", "spec.ingress[0].from[0].ipBlock.except[1]",
            "spec.ingress[0].from[0].ipBlock.except[2]"), paths(decoded));
        assertEquals("Invalid value: \"10.2.0.0/24\": must be a strict subset of `cidr` (10.1.0.0/16)",
            decoded.errors().getFirst().message());
    }

    @Test
    void shouldRejectExceptWhenMalformed()
    {
        onlyError(from("[{ipBlock: {cidr: '10.0.0.0/8', except: ['10.1.0.0']}}]"),
            "spec.ingress[0].from[0].ipBlock.except[0]", "must be a valid CIDR value");
    }

    @Test
    void shouldCheckEgressPeersWhenInEgressRules()
    {
        onlyError(decodeSpec("{egress: [{to: [{}]}]}"), "spec.egress[0].to[0]", "must specify a peer");
    }
}
