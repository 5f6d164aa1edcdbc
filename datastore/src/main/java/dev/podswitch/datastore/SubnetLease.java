package dev.podswitch.datastore;

import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.ipam.cidr.Ipv4Cidr;

/**
 * A node's claim on a pod subnet, as flannel keeps one: the subnet is the key; the node, the
 * address its VXLAN packets go to and the inner destination MAC they carry are the value. The
 * claim lives as long as its etcd lease.
 *
 * @param vtepMac   the MAC frames to the node's pods carry as inner destination (its gateway's).
 * @param leaseId   the etcd lease the key is bound to (0 when read from a listing that had none).
 */
public record SubnetLease(Ipv4Cidr subnet, String node, int underlayAddress, long vtepMac, long leaseId)
{
    public String underlayText()
    {
        return Ipv4.format(underlayAddress);
    }

    public static String macText(final long mac)
    {
        final StringBuilder text = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8)
        {
            text.append(text.isEmpty() ? "" : ":").append(String.format("%02x", (mac >>> shift) & 0xFF));
        }
        return text.toString();
    }

    /** {@code 0a:58:0a:f4:01:01} → its 48 bits, or -1 when the text is not a MAC. */
    public static long parseMac(final String text)
    {
        final String[] parts = text.split(":");
        if (parts.length != 6)
        {
            return -1;
        }
        long mac = 0;
        for (final String part : parts)
        {
            if (part.length() != 2)
            {
                return -1;
            }
            try
            {
                mac = (mac << 8) | Integer.parseInt(part, 16);
            }
            catch (final NumberFormatException notHex)
            {
                return -1;
            }
        }
        return mac;
    }
}
