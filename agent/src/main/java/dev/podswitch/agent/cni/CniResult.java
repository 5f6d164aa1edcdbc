package dev.podswitch.agent.cni;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * ADD's result (SPEC "Success"): the interface made (with its sandbox, the CNI_NETNS), its
 * address with the node gateway, the default route via the gateway, and the config's {@code dns}
 * if it had one. Chained after another plugin, what that plugin returned ({@code prevResult}) is
 * kept and podswitch's interface, address and route are added to it, with the address's
 * {@code interface} index pointing at podswitch's entry.
 */
final class CniResult
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private CniResult()
    {
    }

    static String of(final CniAttachment attachment, final String version, final JsonNode previous, final JsonNode dns)
    {
        final ObjectNode result = previous instanceof final ObjectNode earlier ? earlier.deepCopy() : JSON.createObjectNode();
        result.put("cniVersion", version);
        final ArrayNode interfaces = array(result, "interfaces");
        final int index = interfaces.size();
        interfaces.addObject().put("name", attachment.ifName()).put("mac", attachment.mac())
            .put("sandbox", attachment.netns());
        array(result, "ips").addObject().put("address", attachment.ip() + "/" + attachment.prefixLength())
            .put("gateway", attachment.gateway()).put("interface", index);
        array(result, "routes").addObject().put("dst", "0.0.0.0/0").put("gw", attachment.gateway());
        if (dns != null && dns.isObject() && !result.has("dns"))
        {
            result.set("dns", dns.deepCopy());
        }
        return result.toPrettyString() + "\n";
    }

    private static ArrayNode array(final ObjectNode result, final String field)
    {
        final JsonNode existing = result.get(field);
        if (existing instanceof final ArrayNode array)
        {
            return array;
        }
        return result.putArray(field);
    }
}
