package dev.podswitch.policy.validation;

import dev.podswitch.ipam.cidr.Ipv4Cidr;

/**
 * ipBlock CIDRs, parsed as leniently as the API server parses them. Its check for these legacy
 * fields (IsValidCIDRForLegacyField) is strict only with the StrictIPCIDRValidation feature gate,
 * which is alpha and off by default (1.33 onwards); without it the value goes through
 * ParseCIDRSloppy, which accepts leading zeros ("010.0.0.0/08", read as decimal) and host bits
 * ("192.168.5.10/24", meaning 192.168.5.0/24). So podswitch accepts both and masks the host bits,
 * and records the API server's wording for the ambiguity as a warning instead of rejecting a
 * policy a real cluster stores. Stricter {@link Ipv4Cidr#parse} is for podswitch's own config.
 */
final class CidrText
{
    static final String INVALID = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";

    private static final int MAX_DECIMAL = 0xFFFFFF;

    private CidrText()
    {
    }

    /** The network, or null after recording why {@code text} is none. */
    static Ipv4Cidr parse(final Decoding decoding, final String text, final String path)
    {
        final int slash = text.indexOf('/');
        final String addressText = slash < 0 ? text : text.substring(0, slash);
        if (addressText.indexOf(':') >= 0)
        {
            // Valid Kubernetes, but the emulated cluster and the model are IPv4 only.
            decoding.invalid(path, text, "IPv6 CIDRs are valid in Kubernetes but not supported by podswitch, which " +
                "emulates a single-stack IPv4 cluster");
            return null;
        }
        final long address = address(addressText);
        final int prefixLength = slash < 0 ? -1 : (int)decimal(text.substring(slash + 1), Ipv4Cidr.MAX_PREFIX_LENGTH);
        if (address < 0 || prefixLength < 0)
        {
            decoding.invalid(path, text, INVALID + hint(text, address, slash));
            return null;
        }
        final Ipv4Cidr network = new Ipv4Cidr((int)address & Ipv4Cidr.mask(prefixLength), prefixLength);
        if (!canonical(text, network, (int)address))
        {
            warn(decoding, path, text, network, (int)address);
        }
        return network;
    }

    private static void warn(
        final Decoding decoding,
        final String path,
        final String text,
        final Ipv4Cidr network,
        final int address)
    {
        if (network.network() != address)
        {
            decoding.warn(path, "CIDR value \"" + text + "\" is ambiguous in this context (should be \"" + network +
                "\" or \"" + new Ipv4Cidr(address, Ipv4Cidr.MAX_PREFIX_LENGTH) + "\"?)");
            return;
        }
        decoding.warn(path, "non-standard CIDR value \"" + text + "\" will be considered invalid in a future " +
            "Kubernetes release: use \"" + network + "\"");
    }

    private static boolean canonical(final String text, final Ipv4Cidr network, final int address)
    {
        return network.network() == address && text.equals(network.toString());
    }

    private static String hint(final String text, final long address, final int slash)
    {
        if (slash < 0 && address >= 0)
        {
            return "; add a prefix length, e.g. \"" + text + "/32\" for this one address";
        }
        return "";
    }

    /** Four dot-separated decimal octets, leading zeros allowed; -1 when malformed. */
    private static long address(final String text)
    {
        final String[] octets = text.split("\\.", -1);
        if (octets.length != 4)
        {
            return -1;
        }
        long address = 0;
        for (final String octet : octets)
        {
            final long value = decimal(octet, 255);
            if (value < 0)
            {
                return -1;
            }
            address = address << 8 | value;
        }
        return address;
    }

    /** Decimal digits only (no sign), at most {@code max}; -1 otherwise. */
    private static long decimal(final String text, final int max)
    {
        if (text.isEmpty())
        {
            return -1;
        }
        long value = 0;
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            if (c < '0' || c > '9')
            {
                return -1;
            }
            value = value * 10 + (c - '0');
            if (value > MAX_DECIMAL)
            {
                return -1;
            }
        }
        return value <= max ? value : -1;
    }
}
