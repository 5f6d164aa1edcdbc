package dev.podswitch.policy.validation;

import dev.podswitch.ipam.cidr.IpText;
import dev.podswitch.ipam.cidr.Ipv4Cidr;
import dev.podswitch.policy.model.IpBlock;
import dev.podswitch.policy.model.LabelSelector;
import dev.podswitch.policy.model.PolicyPeer;
import inet.ipaddr.IPAddress;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.podswitch.policy.validation.Decoding.field;
import static dev.podswitch.policy.validation.Decoding.index;

/** {@code from}/{@code to} entries, as ValidateNetworkPolicyPeer and ValidateIPBlock check them. */
final class PeerDecoder
{
    private static final List<String> PEER_FIELDS = List.of("podSelector", "namespaceSelector", "ipBlock");
    private static final List<String> IP_BLOCK_FIELDS = List.of("cidr", "except");

    private PeerDecoder()
    {
    }

    /**
     * A null entry ({@code - } alone) is Go's zero-value peer, which names nothing; {} selectors do
     * count as set, and podSelector with namespaceSelector is the one allowed pair (an AND).
     */
    static PolicyPeer peer(final Decoding decoding, final Object value, final String path)
    {
        final Map<String, Object> fields = decoding.object(value, path, "NetworkPolicyPeer", PEER_FIELDS, true);
        final Object podValue = fields.get("podSelector");
        final Object namespaceValue = fields.get("namespaceSelector");
        final Object ipBlockValue = fields.get("ipBlock");
        final LabelSelector podSelector = SelectorDecoder.selector(decoding, podValue, field(path, "podSelector"));
        final LabelSelector namespaceSelector =
            SelectorDecoder.selector(decoding, namespaceValue, field(path, "namespaceSelector"));
        final IpBlock ipBlock = ipBlockValue == null ? null : ipBlock(decoding, ipBlockValue, field(path, "ipBlock"));
        final int peers = (podValue == null ? 0 : 1) + (namespaceValue == null ? 0 : 1) + (ipBlockValue == null ? 0 : 1);
        if (peers == 0)
        {
            decoding.required(path, "must specify a peer (podSelector, namespaceSelector or ipBlock); to allow " +
                "every peer, leave out from/to instead of writing an empty entry");
        }
        else if (peers > 1 && ipBlockValue != null)
        {
            decoding.forbidden(path, "may not specify both ipBlock and another peer; to allow either, make the " +
                "ipBlock its own list entry (\"- ipBlock:\")");
        }
        return new PolicyPeer(podSelector, namespaceSelector, ipBlock);
    }

    private static IpBlock ipBlock(final Decoding decoding, final Object value, final String path)
    {
        final Map<String, Object> fields = decoding.object(value, path, "IPBlock", IP_BLOCK_FIELDS, true);
        final String cidrPath = field(path, "cidr");
        final Object cidrValue = fields.get("cidr");
        final String cidrText = decoding.string(cidrValue, cidrPath);
        if (cidrValue == null || "".equals(cidrText))
        {
            decoding.required(cidrPath, "");
            return null;
        }
        if (cidrText == null)
        {
            return null;
        }
        final IPAddress cidr = CidrText.parse(decoding, cidrText, cidrPath);
        if (cidr == null)
        {
            // As upstream: except entries are only checked against a cidr that parsed.
            return null;
        }
        final String exceptPath = field(path, "except");
        final List<Object> exceptValues = decoding.list(fields.get("except"), exceptPath);
        final List<Ipv4Cidr> except = new ArrayList<>(exceptValues.size());
        for (int i = 0; i < exceptValues.size(); i++)
        {
            final String entryPath = index(exceptPath, i);
            final String text = decoding.string(exceptValues.get(i), entryPath);
            final IPAddress entry = text == null ? null : CidrText.parse(decoding, text, entryPath);
            if (entry == null)
            {
                continue;
            }
            if (!IpText.isStrictSubset(entry, cidr))
            {
                decoding.invalid(entryPath, text, "must be a strict subset of `cidr` (" + cidr.toCanonicalString() +
                    ")" + (entry.equals(cidr) ? ": excepting the whole cidr leaves nothing to allow" : ""));
            }
            except.add(Ipv4Cidr.of(entry));
        }
        return new IpBlock(Ipv4Cidr.of(cidr), except);
    }
}
