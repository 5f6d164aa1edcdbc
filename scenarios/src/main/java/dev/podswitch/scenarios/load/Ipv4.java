package dev.podswitch.scenarios.load;

/**
 * Just enough IPv4 to check addresses and CIDRs at load time; the ipam module owns allocation.
 * Addresses are unsigned 32-bit values held in a long.
 */
final class Ipv4
{
    private Ipv4()
    {
    }

    record Cidr(long base, int prefixLength)
    {
        long size()
        {
            return 1L << (32 - prefixLength);
        }

        boolean contains(final long address)
        {
            return address >= base && address < base + size();
        }

        boolean overlaps(final Cidr other)
        {
            return base < other.base + other.size() && other.base < base + size();
        }

        @Override
        public String toString()
        {
            return format(base) + "/" + prefixLength;
        }
    }

    /** The address, or -1 when {@code text} is not a dotted quad of decimal octets. */
    static long parseAddress(final String text)
    {
        final String[] parts = text.split("\\.", -1);
        if (parts.length != 4)
        {
            return -1;
        }
        long address = 0;
        for (final String part : parts)
        {
            // Leading zeros are rejected, as Go's net.ParseIP does: "010" is ambiguous (octal?).
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit) ||
                part.length() > 1 && part.charAt(0) == '0')
            {
                return -1;
            }
            final int octet = Integer.parseInt(part);
            if (octet > 255)
            {
                return -1;
            }
            address = address << 8 | octet;
        }
        return address;
    }

    /** The CIDR, or null when {@code text} is not {@code a.b.c.d/n}; host bits may be set ({@link #hasHostBits}). */
    static Cidr parseCidr(final String text)
    {
        final int slash = text.indexOf('/');
        if (slash < 0)
        {
            return null;
        }
        final long address = parseAddress(text.substring(0, slash));
        final String prefix = text.substring(slash + 1);
        if (address < 0 || prefix.isEmpty() || prefix.length() > 2 || !prefix.chars().allMatch(Character::isDigit))
        {
            return null;
        }
        final int prefixLength = Integer.parseInt(prefix);
        return prefixLength > 32 ? null : new Cidr(address, prefixLength);
    }

    static boolean hasHostBits(final Cidr cidr)
    {
        return (cidr.base() & (cidr.size() - 1)) != 0;
    }

    static Cidr network(final Cidr cidr)
    {
        return new Cidr(cidr.base() & ~(cidr.size() - 1) & 0xFFFF_FFFFL, cidr.prefixLength());
    }

    static String format(final long address)
    {
        return (address >>> 24 & 0xFF) + "." + (address >>> 16 & 0xFF) + "." + (address >>> 8 & 0xFF) + "." +
            (address & 0xFF);
    }
}
