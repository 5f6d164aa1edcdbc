package dev.podswitch.policy.validation;

import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.policy.model.PolicyPort;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.podswitch.policy.validation.Manifests.decodeSpec;
import static dev.podswitch.policy.validation.Manifests.onlyError;
import static dev.podswitch.policy.validation.Manifests.paths;
import static dev.podswitch.policy.validation.Manifests.valid;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** ValidateNetworkPolicyPort and SetDefaults_NetworkPolicyPort, one rule per test. */
class PortValidationTest
{
    private static NetworkPolicyDecoder.Decoded ports(final String ports)
    {
        return decodeSpec("{podSelector: {}, ingress: [{ports: " + ports + "}]}");
    }

    private static PolicyPort firstPort(final NetworkPolicyDecoder.Decoded decoded)
    {
        return valid(decoded).policy().ingress().getFirst().ports().getFirst();
    }

    @Test
    void shouldDefaultProtocolToTcpWhenAbsent()
    {
        assertEquals(new PolicyPort(IpProtocol.TCP, 80, null, null), firstPort(ports("[{port: 80}]")));
    }

    @Test
    void shouldDefaultProtocolToTcpWhenNull()
    {
        assertEquals(new PolicyPort(IpProtocol.TCP, null, null, null), firstPort(ports("[{protocol: null}]")));
    }

    @Test
    void shouldKeepUdpAndSctpWhenWritten()
    {
        final List<PolicyPort> decoded =
            valid(ports("[{protocol: 'UDP', port: 53}, {protocol: 'SCTP'}]")).policy().ingress().getFirst().ports();

        assertEquals(List.of(new PolicyPort(IpProtocol.UDP, 53, null, null), new PolicyPort(IpProtocol.SCTP, null, null,
            null)), decoded);
    }

    @Test
    void shouldDecodeARangeWhenEndPortIsAtLeastPort()
    {
        assertEquals(new PolicyPort(IpProtocol.TCP, 32000, null, 32768), firstPort(ports("[{port: 32000, endPort: 32768}]")));
        assertEquals(new PolicyPort(IpProtocol.TCP, 80, null, 80), firstPort(ports("[{port: 80, endPort: 80}]")));
    }

    @Test
    void shouldDecodeANamedPortWhenItIsAnIanaServiceName()
    {
        assertEquals(new PolicyPort(IpProtocol.TCP, null, "http-alt", null), firstPort(ports("[{port: 'http-alt'}]")));
    }

    @Test
    void shouldTreatAWholeFloatAsItsIntegerWhenYamlWroteIt()
    {
        assertEquals(new PolicyPort(IpProtocol.TCP, 80, null, null), firstPort(ports("[{port: 80.0}]")));
    }

    @Test
    void shouldRejectProtocolWhenNotTcpUdpOrSctp()
    {
        onlyError(ports("[{protocol: 'HTTP'}]"), "spec.ingress[0].ports[0].protocol",
            "Unsupported value: \"HTTP\": supported values: \"TCP\", \"UDP\", \"SCTP\"");
    }

    @Test
    void shouldHintUpperCaseWhenProtocolIsLowerCase()
    {
        onlyError(ports("[{protocol: 'udp'}]"), "spec.ingress[0].ports[0].protocol", "write UDP");
    }

    @Test
    void shouldExplainIcmpWhenProtocolIsIcmp()
    {
        onlyError(ports("[{protocol: 'ICMP'}]"), "spec.ingress[0].ports[0].protocol", "a rule without ports allows " +
            "every protocol, ICMP included");
    }

    @Test
    void shouldRejectPortNumberWhenOutOfRange()
    {
        onlyError(ports("[{port: 0}]"), "spec.ingress[0].ports[0].port",
            "Invalid value: 0: must be between 1 and 65535, inclusive");
        onlyError(ports("[{port: 65536}]"), "spec.ingress[0].ports[0].port", "Invalid value: 65536");
    }

    @Test
    void shouldRejectEndPortWhenBelowPort()
    {
        final FieldError error = onlyError(ports("[{port: 80}, {port: 443, endPort: 80}]"),
            "spec.ingress[0].ports[1].endPort");

        assertEquals("spec.ingress[0].ports[1].endPort: Invalid value: 80: must be greater than or equal to `port` (443)",
            error.toString());
    }

    @Test
    void shouldRejectEndPortWhenOutOfRange()
    {
        onlyError(ports("[{port: 80, endPort: 70000}]"), "spec.ingress[0].ports[0].endPort",
            "Invalid value: 70000: must be between 1 and 65535, inclusive");
    }

    @Test
    void shouldRejectEndPortWhenPortIsAbsent()
    {
        onlyError(ports("[{endPort: 90}]"), "spec.ingress[0].ports[0].endPort",
            "Invalid value: 90: may not be specified when `port` is not specified");
    }

    @Test
    void shouldRejectEndPortWhenPortIsNamed()
    {
        onlyError(ports("[{port: 'http', endPort: 90}]"), "spec.ingress[0].ports[0].endPort",
            "may not be specified when `port` is non-numeric");
    }

    @Test
    void shouldCallAQuotedNumberAPortNameAndHintToUnquoteWhenPortIsQuoted()
    {
        onlyError(ports("[{port: '80'}]"), "spec.ingress[0].ports[0].port",
            "Invalid value: \"80\": must contain at least one letter (a-z)",
            "is quoted, so Kubernetes reads it as a port name: write port: 80 without quotes");
    }

    @Test
    void shouldReportBothErrorsWhenAQuotedPortHasAnEndPort()
    {
        final NetworkPolicyDecoder.Decoded decoded = ports("[{port: '8080', endPort: 8090}]");

        assertEquals(List.of("spec.ingress[0].ports[0].endPort", "spec.ingress[0].ports[0].port"), paths(decoded));
        assertEquals(true, decoded.errors().getFirst().message().contains("write port: 8080 without quotes"));
    }

    @Test
    void shouldRejectPortNameWhenLongerThanFifteenCharacters()
    {
        onlyError(ports("[{port: 'abcdefghijklmnop'}]"), "spec.ingress[0].ports[0].port",
            "must be no more than 15 characters");
    }

    @Test
    void shouldReportEachBrokenRuleWhenAPortNameBreaksSeveral()
    {
        final NetworkPolicyDecoder.Decoded decoded = ports("[{port: '-Web--'}]");

        assertEquals(List.of(
            "Invalid value: \"-Web--\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
            "Invalid value: \"-Web--\": must not contain consecutive hyphens",
            "Invalid value: \"-Web--\": must not begin or end with a hyphen"),
            decoded.errors().stream().map(FieldError::message).toList());
    }

    @Test
    void shouldRejectEndPortWhenQuoted()
    {
        onlyError(ports("[{port: 80, endPort: '90'}]"), "spec.ingress[0].ports[0].endPort",
            "must be an integer, got a string", "write 90 without quotes");
    }

    @Test
    void shouldRejectPortWhenNeitherNumberNorName()
    {
        onlyError(ports("[{port: true}]"), "spec.ingress[0].ports[0].port", "must be a port number or a port name");
    }

    @Test
    void shouldRejectPortWhenBeyondInt32()
    {
        onlyError(ports("[{port: 4294967376}]"), "spec.ingress[0].ports[0].port", "must be a 32-bit integer");
    }

    @Test
    void shouldCheckEgressPortsWhenInEgressRules()
    {
        onlyError(decodeSpec("{egress: [{ports: [{port: 443, endPort: 80}]}]}"), "spec.egress[0].ports[0].endPort");
    }
}
