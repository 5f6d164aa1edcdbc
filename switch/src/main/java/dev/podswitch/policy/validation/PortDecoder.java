package dev.podswitch.policy.validation;

import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.policy.model.PolicyPort;

import java.util.List;
import java.util.Map;

import static dev.podswitch.policy.validation.Decoding.field;

/**
 * {@code ports} entries, as ValidateNetworkPolicyPort checks them after SetDefaults_NetworkPolicyPort
 * (protocol TCP). {@code port} is an IntOrString: a YAML number is a port number, anything quoted is
 * a port name, even "80", which then fails the name rules for want of a letter.
 */
final class PortDecoder
{
    private static final List<String> PORT_FIELDS = List.of("protocol", "port", "endPort");
    private static final List<String> PROTOCOLS = IpProtocol.portedNames();

    private PortDecoder()
    {
    }

    static PolicyPort port(final Decoding decoding, final Object value, final String path)
    {
        final Map<String, Object> fields = decoding.object(value, path, "NetworkPolicyPort", PORT_FIELDS, true);
        final IpProtocol protocol = protocol(decoding, fields.get("protocol"), field(path, "protocol"));
        final String portPath = field(path, "port");
        final String endPortPath = field(path, "endPort");
        final Object portValue = fields.get("port");
        final Integer endPort = decoding.int32(fields.get("endPort"), endPortPath);
        if (portValue == null)
        {
            if (endPort != null)
            {
                decoding.invalid(endPortPath, endPort, "may not be specified when `port` is not specified");
            }
            return new PolicyPort(protocol, null, null, endPort);
        }
        if (portValue instanceof Number number)
        {
            final Integer port = decoding.int32(number, portPath);
            if (port == null)
            {
                return null;
            }
            checkNumber(decoding, portPath, port);
            if (endPort != null)
            {
                if (endPort < port)
                {
                    decoding.invalid(endPortPath, endPort, "must be greater than or equal to `port` (" + port + ")");
                }
                checkNumber(decoding, endPortPath, endPort);
            }
            return new PolicyPort(protocol, port, null, endPort);
        }
        if (portValue instanceof String name)
        {
            final String quotedNumber = Decoding.isDigits(name) ?
                "; \"" + name + "\" is quoted, so Kubernetes reads it as a port name: write port: " + name +
                    " without quotes for the number" : "";
            if (endPort != null)
            {
                decoding.invalid(endPortPath, endPort, "may not be specified when `port` is non-numeric" + quotedNumber);
            }
            for (final String problem : KubeNames.portName(name))
            {
                decoding.invalid(portPath, name, problem + (problem.contains("letter") ? quotedNumber : ""));
            }
            return new PolicyPort(protocol, null, name, endPort);
        }
        decoding.wrongType(portPath, portValue, "a port number or a port name", "");
        return null;
    }

    private static void checkNumber(final Decoding decoding, final String path, final int port)
    {
        final String problem = KubeNames.portNumber(port);
        if (problem != null)
        {
            decoding.invalid(path, port, problem);
        }
    }

    private static IpProtocol protocol(final Decoding decoding, final Object value, final String path)
    {
        final String name = decoding.string(value, path);
        if (name == null)
        {
            return IpProtocol.TCP;
        }
        if (PROTOCOLS.contains(name))
        {
            return IpProtocol.valueOf(name);
        }
        final String upper = name.toUpperCase(java.util.Locale.ROOT);
        final String hint;
        if (PROTOCOLS.contains(upper))
        {
            hint = "; protocols are upper case: write " + upper;
        }
        else if ("ICMP".equals(upper))
        {
            hint = "; NetworkPolicy cannot name ICMP: a rule without ports allows every protocol, ICMP included";
        }
        else
        {
            hint = "";
        }
        decoding.notSupported(path, name, PROTOCOLS, hint);
        return null;
    }
}
