package dev.podswitch.policy.validation;

import dev.podswitch.ipam.cidr.IpText;
import inet.ipaddr.IPAddress;

/**
 * ipBlock CIDRs, read as the API server reads them. Its check for these legacy fields
 * (IsValidCIDRForLegacyField) is strict only with the StrictIPCIDRValidation feature gate, which is
 * alpha and off by default (1.33 onwards); without it the value goes through ParseCIDRSloppy
 * ({@link IpText#legacy}), which accepts leading zeros ("010.0.0.0/08", read as decimal) and host
 * bits ("192.168.5.10/24", meaning 192.168.5.0/24). So podswitch accepts both, masks the host bits,
 * and records the API server's wording for the ambiguity as a warning instead of rejecting a policy
 * a real cluster stores. Stricter {@link IpText#network} is for podswitch's own config.
 */
final class CidrText
{
    static final String INVALID = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";

    private CidrText()
    {
    }

    /** The network (a prefix block), or null after recording why {@code text} is none. */
    static IPAddress parse(final Decoding decoding, final String text, final String path)
    {
        final IPAddress written = IpText.legacy(text);
        if (written != null && written.isIPv6())
        {
            // Valid Kubernetes, but the emulated cluster and the model are IPv4 only.
            decoding.invalid(path, text, "IPv6 CIDRs are valid in Kubernetes but not supported by podswitch, which " +
                "emulates a single-stack IPv4 cluster");
            return null;
        }
        if (written == null || !written.isPrefixed())
        {
            decoding.invalid(path, text, INVALID + (written == null ? "" : "; add a prefix length, e.g. \"" + text +
                "/" + written.getBitCount() + "\" for this one address"));
            return null;
        }
        final IPAddress network = IpText.networkOf(written);
        if (!IpText.isNetwork(written))
        {
            decoding.warn(path, "CIDR value \"" + text + "\" is ambiguous in this context (should be \"" +
                network.toCanonicalString() + "\" or \"" + written.withoutPrefixLength().toCanonicalString() + "/" +
                written.getBitCount() + "\"?)");
        }
        else if (!text.equals(network.toCanonicalString()))
        {
            decoding.warn(path, "non-standard CIDR value \"" + text + "\" will be considered invalid in a future " +
                "Kubernetes release: use \"" + network.toCanonicalString() + "\"");
        }
        return network;
    }
}
