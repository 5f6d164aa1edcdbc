package dev.podswitch.ipam.cidr;

import inet.ipaddr.AddressStringException;
import inet.ipaddr.AddressStringParameters.RangeParameters;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import inet.ipaddr.IPAddressStringParameters;
import inet.ipaddr.ipv4.IPv4AddressStringParameters;
import inet.ipaddr.ipv6.IPv6AddressStringParameters;

import java.util.Objects;

/**
 * The one place where podswitch reads IP addresses and CIDRs written as text (scenario files, manifests,
 * cluster options, CNI results, the IPAM state file), IPv4 and IPv6, built on the IPAddress library.
 * The control plane works with the {@link IPAddress} values it returns; IPAM and the data plane convert them
 * once to their {@code int} forms ({@link Ipv4#parse}, {@link Ipv4Cidr#of}) and never parse on a hot path.
 * <p>
 * Two sets of rules, because Kubernetes itself has two:
 * <ul>
 * <li><b>strict</b> ({@link #address}, {@link #cidr}, {@link #network}), for podswitch's own inputs and as Go's
 * net/netip and the API server's StrictIPCIDRValidation read them: IPv4 as four decimal octets 0-255 with no
 * leading zeros (some tools read "010" as octal 8), IPv6 as RFC 4291 text with at most four hex digits a group,
 * an embedded IPv4 tail allowed, no zone; a prefix length in decimal without leading zeros.</li>
 * <li><b>legacy</b> ({@link #legacy}), the API server's ParseIPSloppy/ParseCIDRSloppy (k8s.io/utils/net, Go 1.16's
 * parser) that validates legacy fields such as ipBlock.cidr while StrictIPCIDRValidation is off, as it is by
 * default: the same forms, but any number of leading zeros, read as decimal.</li>
 * </ul>
 * IPAddress on its own is lenient (inet_aton "1.2.3", hex, octal, ranges, wildcards, masks, zones, surrounding
 * spaces); both rule sets turn all of that off, so nothing is accepted that Go's parsers refuse.
 * <p>
 * Errors are {@link CidrFormatException}s whose message names the input and what is wrong with it. IPAddress
 * decides what is valid; only when it refuses an IPv4 text does this class look at the text again, to say which
 * octet or which prefix length is wrong in the words podswitch has always used.
 */
public final class IpText
{
    /** What IPAddress's messages say between the input and the reason. */
    private static final String LIBRARY_ERROR = "IP Address error: ";
    private static final String CIDR_EXAMPLE = "expected an address and a prefix length like 10.244.0.0/16";

    private static final IPAddressStringParameters STRICT_ADDRESS = rules(false, false);
    private static final IPAddressStringParameters STRICT_CIDR = rules(false, true);
    private static final IPAddressStringParameters LEGACY = rules(true, true);

    private IpText()
    {
    }

    /** One address, IPv4 or IPv6, by the strict rules; no prefix length. */
    public static IPAddress address(final String text)
    {
        Objects.requireNonNull(text, "text");
        final IPAddress address = parseOrNull(text, STRICT_ADDRESS);
        if (address != null)
        {
            return address;
        }
        final boolean ipv6 = text.indexOf(':') >= 0;
        final String ipv4Problem = ipv6 ? null : ipv4Problem(text);
        final String reason = ipv4Problem == null ? libraryReason(text, STRICT_ADDRESS) : ipv4Problem;
        throw new CidrFormatException("invalid " + (ipv6 ? "IPv6" : "IPv4") + " address '" + text + "': " + reason,
            reason);
    }

    /**
     * An address and a prefix length, by the strict rules, as written: host bits may be set (see
     * {@link #isNetwork}), for callers that explain that case in their own words. {@link #network} refuses it.
     */
    public static IPAddress cidr(final String text)
    {
        Objects.requireNonNull(text, "text");
        final IPAddress cidr = parseOrNull(text, STRICT_CIDR);
        if (cidr != null && cidr.isPrefixed() && !hasLeadingZero(text.substring(text.indexOf('/') + 1)))
        {
            return cidr;
        }
        final String reason = cidrProblem(text);
        throw invalidCidr(text, reason == null ? libraryReason(text, STRICT_CIDR) : reason);
    }

    /**
     * A network by the strict rules: the address must be the network address, so a typo such as 10.0.0.1/24 for
     * 10.0.0.0/24 is reported instead of silently meaning something else. The result is the whole prefix block.
     */
    public static IPAddress network(final String text)
    {
        final IPAddress cidr = cidr(text);
        if (!isNetwork(cidr))
        {
            throw new CidrFormatException("host bits set: " + text + " is not a network address, did you mean " +
                networkOf(cidr).toCanonicalString() + "?");
        }
        return networkOf(cidr);
    }

    /**
     * An address, or an address and a prefix length, by the API server's legacy rules (leading zeros allowed and
     * read as decimal, host bits kept as written); null when the API server would refuse it. Its message for that
     * ("must be a valid CIDR value") does not say why, so neither does this.
     */
    public static IPAddress legacy(final String text)
    {
        Objects.requireNonNull(text, "text");
        return parseOrNull(text, LEGACY);
    }

    /** Whether a prefixed address is its network's address (no host bits set): 10.0.0.0/8 is, 10.0.0.1/8 not. */
    public static boolean isNetwork(final IPAddress cidr)
    {
        return cidr.getLower().withoutPrefixLength().equals(networkOf(cidr).getLower().withoutPrefixLength());
    }

    /** The prefix block a prefixed address lies in: 10.0.0.1/8 gives 10.0.0.0/8. */
    public static IPAddress networkOf(final IPAddress cidr)
    {
        requirePrefixed(cidr);
        return cidr.toPrefixBlock();
    }

    /**
     * Whether {@code inner} is a strict subset of {@code outer}: inside it and with a longer prefix, the API
     * server's rule for ipBlock.except. Networks of different IP versions never contain each other.
     */
    public static boolean isStrictSubset(final IPAddress inner, final IPAddress outer)
    {
        requirePrefixed(inner);
        requirePrefixed(outer);
        return inner.getIPVersion() == outer.getIPVersion() &&
            inner.getNetworkPrefixLength() > outer.getNetworkPrefixLength() &&
            networkOf(outer).contains(networkOf(inner));
    }

    private static void requirePrefixed(final IPAddress cidr)
    {
        if (!cidr.isPrefixed())
        {
            throw new IllegalArgumentException(cidr + " has no prefix length");
        }
    }

    private static IPAddress parseOrNull(final String text, final IPAddressStringParameters rules)
    {
        // IPAddressString trims what it is given; Go's parsers take no surrounding space, so neither do we.
        if (text.isEmpty() || text.charAt(0) <= ' ' || text.charAt(text.length() - 1) <= ' ')
        {
            return null;
        }
        if (hasHugePrefixLength(text))
        {
            return null;
        }
        return new IPAddressString(text, rules).getAddress();
    }

    /**
     * Whether the text after a {@code /} is a run of digits too long for any prefix length. IPAddress
     * 5.6.2 overflows on such a run (an index of -477218589 from {@code 1.2.3.4/99999999999}) and
     * throws instead of refusing it; no address family has a prefix length of more than 3 digits,
     * and leading zeros beyond 8 say nothing a valid CIDR needs.
     */
    private static boolean hasHugePrefixLength(final String text)
    {
        final int slash = text.lastIndexOf('/');
        return slash >= 0 && text.length() - slash - 1 > 9;
    }

    private static String libraryReason(final String text, final IPAddressStringParameters rules)
    {
        if (hasHugePrefixLength(text))
        {
            return "prefix length out of range";
        }
        try
        {
            new IPAddressString(text, rules).validate();
            return "surrounding white space";
        }
        catch (final AddressStringException ex)
        {
            final String message = ex.getMessage();
            final int at = message.indexOf(LIBRARY_ERROR);
            return at < 0 ? message : message.substring(at + LIBRARY_ERROR.length());
        }
    }

    private static CidrFormatException invalidCidr(final String text, final String reason)
    {
        return new CidrFormatException("invalid CIDR '" + text + "': " + reason, reason);
    }

    /** Why {@code text}, which IPAddress refused as a strict CIDR, is none; null when none of these rules says. */
    private static String cidrProblem(final String text)
    {
        if (text.isEmpty())
        {
            return "empty string, " + CIDR_EXAMPLE;
        }
        final int slash = text.indexOf('/');
        if (slash < 0)
        {
            return "missing prefix length, " + CIDR_EXAMPLE;
        }
        final String addressText = text.substring(0, slash);
        final IPAddress address;
        try
        {
            address = address(addressText);
        }
        catch (final CidrFormatException ex)
        {
            return ex.getMessage();
        }
        return prefixLengthProblem(text.substring(slash + 1), address.getBitCount());
    }

    private static String prefixLengthProblem(final String prefix, final int maxPrefixLength)
    {
        if (prefix.isEmpty())
        {
            return "missing prefix length after '/'";
        }
        if (prefix.length() > 3 || !isDecimal(prefix))
        {
            return "prefix length '" + prefix + "' is not a number 0-" + maxPrefixLength;
        }
        if (hasLeadingZero(prefix))
        {
            return "prefix length '" + prefix + "' has a leading zero";
        }
        final int prefixLength = Integer.parseInt(prefix);
        return prefixLength > maxPrefixLength ?
            "prefix length " + prefixLength + " out of range 0-" + maxPrefixLength : null;
    }

    /** Why {@code text}, which IPAddress refused as a strict IPv4 address, is none; null when no rule here says. */
    private static String ipv4Problem(final String text)
    {
        if (text.isEmpty())
        {
            return "empty string";
        }
        final String[] octets = text.split("\\.", -1);
        for (int i = 0; i < octets.length; i++)
        {
            if (i == 4)
            {
                return "more than four octets";
            }
            final String problem = octetProblem(octets[i]);
            if (problem != null)
            {
                return problem;
            }
        }
        return octets.length == 4 ? null : "expected four octets, found " + octets.length;
    }

    private static String octetProblem(final String octet)
    {
        if (octet.isEmpty())
        {
            return "empty octet";
        }
        if (octet.length() > 3 || !isDecimal(octet))
        {
            return "octet '" + octet + "' is not a number 0-255";
        }
        if (hasLeadingZero(octet))
        {
            return "octet '" + octet + "' has a leading zero";
        }
        final int value = Integer.parseInt(octet);
        return value > 255 ? "octet " + value + " out of range 0-255" : null;
    }

    private static boolean hasLeadingZero(final String number)
    {
        return number.length() > 1 && number.charAt(0) == '0';
    }

    private static boolean isDecimal(final String text)
    {
        for (int i = 0; i < text.length(); i++)
        {
            if (text.charAt(i) < '0' || text.charAt(i) > '9')
            {
                return false;
            }
        }
        return true;
    }

    /**
     * Turns off everything IPAddress accepts beyond Go's parsers; {@code leadingZeros} is the legacy rule,
     * {@code prefix} whether a prefix length may follow.
     */
    private static IPAddressStringParameters rules(final boolean leadingZeros, final boolean prefix)
    {
        final IPAddressStringParameters.Builder builder = new IPAddressStringParameters.Builder()
            .allowEmpty(false)
            .allowAll(false)
            .allowSingleSegment(false)
            .allowPrefixOnly(false)
            .allowMask(false)
            .allowPrefix(prefix)
            .allowWildcardedSeparator(false)
            .setRangeOptions(RangeParameters.NO_RANGE)
            .allow_inet_aton(false);
        final IPv4AddressStringParameters.Builder ipv4 = builder.getIPv4AddressParametersBuilder();
        // Prefix lengths keep their leading zeros here: IPAddress 5.6.2 told to refuse them refuses "/0" too
        // (it counts that zero as leading), so the strict rule for them is cidr()'s own.
        ipv4.allowBinary(false)
            .allowLeadingZeros(leadingZeros)
            .allowUnlimitedLeadingZeros(leadingZeros)
            .allowPrefixLengthLeadingZeros(true)
            .allowPrefixesBeyondAddressSize(false);
        final IPv6AddressStringParameters.Builder ipv6 = builder.getIPv6AddressParametersBuilder();
        ipv6.allowZone(false)
            .allowEmptyZone(false)
            .allowBase85(false)
            .allowMixed(true)
            .allowBinary(false)
            // Leading zeros inside a group's four hex digits are ordinary IPv6 ("2001:0db8::"); more are not.
            .allowLeadingZeros(true)
            .allowUnlimitedLeadingZeros(leadingZeros)
            .allowPrefixLengthLeadingZeros(true)
            .allowPrefixesBeyondAddressSize(false);
        // Set after the group rules above, which also reach the embedded IPv4 part (::ffff:10.0.0.1).
        ipv6.getEmbeddedIPv4AddressParametersBuilder()
            .allowBinary(false)
            .allowLeadingZeros(leadingZeros)
            .allowUnlimitedLeadingZeros(leadingZeros);
        return builder.toParams();
    }
}
