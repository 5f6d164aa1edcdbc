package dev.podswitch.ipam.cidr;

import inet.ipaddr.IPAddress;

/**
 * An IPv4 network in CIDR notation: a network address with no host bits set and a prefix length 0-32.
 * Immutable; the address is an unsigned {@code int} (see {@link Ipv4}).
 * <p>
 * Host addresses follow RFC 3021 for the two small prefixes: a /31 has two usable hosts and no broadcast,
 * a /32 is the single host. Everything shorter reserves the network and the broadcast address.
 */
public record Ipv4Cidr(int network, int prefixLength)
{
    public static final int MAX_PREFIX_LENGTH = 32;

    public Ipv4Cidr
    {
        if (prefixLength < 0 || prefixLength > MAX_PREFIX_LENGTH)
        {
            throw new CidrFormatException("prefix length " + prefixLength + " out of range 0-32");
        }
        if ((network & ~mask(prefixLength)) != 0)
        {
            throw hostBitsSet(Ipv4.format(network) + "/" + prefixLength, network, prefixLength);
        }
    }

    /**
     * Parses "a.b.c.d/n" strictly: the address must be the network address, so a typo such as 10.0.0.1/24 for
     * 10.0.0.0/24 is reported instead of silently meaning something else. The rules and messages are
     * {@link IpText#network}'s.
     */
    public static Ipv4Cidr parse(final String text)
    {
        final IPAddress network = IpText.network(text);
        if (!network.isIPv4())
        {
            final String reason = "an IPv6 network, where podswitch takes IPv4 only";
            throw new CidrFormatException("invalid CIDR '" + text + "': " + reason, reason);
        }
        return of(network);
    }

    /** The {@code int} form of an IPv4 network from {@link IpText}: host bits, if any, are masked off. */
    public static Ipv4Cidr of(final IPAddress cidr)
    {
        final IPAddress network = IpText.networkOf(cidr);
        if (!network.isIPv4())
        {
            throw new IllegalArgumentException(cidr + " is not an IPv4 network");
        }
        return new Ipv4Cidr(network.getLower().toIPv4().intValue(), network.getNetworkPrefixLength());
    }

    public static int mask(final int prefixLength)
    {
        return prefixLength == 0 ? 0 : -1 << (MAX_PREFIX_LENGTH - prefixLength);
    }

    public int netmask()
    {
        return mask(prefixLength);
    }

    public long size()
    {
        return 1L << (MAX_PREFIX_LENGTH - prefixLength);
    }

    public int broadcast()
    {
        return network | ~mask(prefixLength);
    }

    public int firstHost()
    {
        return prefixLength >= 31 ? network : network + 1;
    }

    public int lastHost()
    {
        return prefixLength >= 31 ? broadcast() : broadcast() - 1;
    }

    public boolean contains(final int address)
    {
        return (address & mask(prefixLength)) == network;
    }

    public boolean contains(final Ipv4Cidr other)
    {
        return other.prefixLength >= prefixLength && contains(other.network);
    }

    /**
     * How many subnets of the given prefix length this network splits into.
     */
    public long subnetCount(final int newPrefixLength)
    {
        checkSubnetPrefixLength(newPrefixLength);
        return 1L << (newPrefixLength - prefixLength);
    }

    /**
     * The index-th subnet of the given prefix length, counting from 0 at this network's address:
     * 10.244.0.0/16 subnet(24, 1) is 10.244.1.0/24.
     */
    public Ipv4Cidr subnet(final int newPrefixLength, final long index)
    {
        final long count = subnetCount(newPrefixLength);
        if (index < 0 || index >= count)
        {
            throw new IllegalArgumentException("subnet index " + index + " out of range 0-" + (count - 1) +
                ": " + this + " has " + count + " /" + newPrefixLength + " subnets");
        }
        final long offset = index << (MAX_PREFIX_LENGTH - newPrefixLength);
        return new Ipv4Cidr((int)(Integer.toUnsignedLong(network) + offset), newPrefixLength);
    }

    /**
     * The inverse of {@link #subnet(int, long)} for a subnet this network contains.
     */
    public long subnetIndex(final Ipv4Cidr subnet)
    {
        if (!contains(subnet))
        {
            throw new IllegalArgumentException(subnet + " is not inside " + this);
        }
        return (Integer.toUnsignedLong(subnet.network) - Integer.toUnsignedLong(network)) >>>
            (MAX_PREFIX_LENGTH - subnet.prefixLength);
    }

    @Override
    public String toString()
    {
        return Ipv4.format(network) + "/" + prefixLength;
    }

    private void checkSubnetPrefixLength(final int newPrefixLength)
    {
        if (newPrefixLength < prefixLength || newPrefixLength > MAX_PREFIX_LENGTH)
        {
            throw new IllegalArgumentException("subnet prefix length " + newPrefixLength + " out of range " +
                prefixLength + "-32 for " + this);
        }
    }

    private static CidrFormatException hostBitsSet(final String text, final int address, final int prefixLength)
    {
        return new CidrFormatException("host bits set: " + text + " is not a network address, did you mean " +
            Ipv4.format(address & mask(prefixLength)) + "/" + prefixLength + "?");
    }
}
