package dev.podswitch.dataplane.offload;

/**
 * What a frame still asks of whoever sends it on, packed into one {@code long} that travels with
 * the frame through the ring and the pipeline (no object per frame): the work a NIC's offload
 * engine would do. Zero means none — a complete frame with final checksums, at most MTU-sized.
 * The fields are those of the virtio-net header a TAP device with offloads hands over:
 *
 * <ul>
 *   <li><b>needs checksum</b>: the L4 checksum field holds only the pseudo-header sum; the sender
 *       must sum {@code [checksumStart, end)} and store the result at
 *       {@code checksumStart + checksumOffset}.</li>
 *   <li><b>checksum valid</b>: the kernel already verified the L4 checksum (passed through as is).</li>
 *   <li><b>GSO</b>: a TCP "super-frame" of up to 64 KiB that must leave as segments of at most
 *       {@code segmentSize} payload bytes, as TSO on a NIC would cut it.</li>
 * </ul>
 *
 * Layout, low to high bits: flags (8), GSO type (8), segment size (16), checksum start (16),
 * checksum offset (16).
 */
public final class Offload
{
    public static final long NONE = 0;
    /** VIRTIO_NET_HDR_F_NEEDS_CSUM. */
    public static final int FLAG_NEEDS_CHECKSUM = 1;
    /** VIRTIO_NET_HDR_F_DATA_VALID. */
    public static final int FLAG_CHECKSUM_VALID = 2;
    public static final int GSO_NONE = 0;
    public static final int GSO_TCPV4 = 1;
    public static final int GSO_UDP = 3;
    public static final int GSO_TCPV6 = 4;
    /** Set with a TCP GSO type when the stream uses ECN (the first segment carries CWR). */
    public static final int GSO_ECN = 0x80;

    private Offload()
    {
    }

    public static long of(final int flags, final int gsoType, final int segmentSize, final int checksumStart,
        final int checksumOffset)
    {
        return (flags & 0xFFL) | (gsoType & 0xFFL) << 8 | (segmentSize & 0xFFFFL) << 16
            | (checksumStart & 0xFFFFL) << 32 | (checksumOffset & 0xFFFFL) << 48;
    }

    public static int flags(final long offload)
    {
        return (int)(offload & 0xFF);
    }

    public static int gsoType(final long offload)
    {
        return (int)(offload >>> 8 & 0xFF);
    }

    public static int segmentSize(final long offload)
    {
        return (int)(offload >>> 16 & 0xFFFF);
    }

    public static int checksumStart(final long offload)
    {
        return (int)(offload >>> 32 & 0xFFFF);
    }

    public static int checksumOffset(final long offload)
    {
        return (int)(offload >>> 48 & 0xFFFF);
    }

    public static boolean needsChecksum(final long offload)
    {
        return (offload & FLAG_NEEDS_CHECKSUM) != 0;
    }

    public static boolean isSegmented(final long offload)
    {
        return (gsoType(offload) & ~GSO_ECN) != GSO_NONE;
    }

    /** Whether a receiver must do anything before the frame is an ordinary, complete one. */
    public static boolean needsWork(final long offload)
    {
        return needsChecksum(offload) || isSegmented(offload);
    }

    public static String describe(final long offload)
    {
        if (offload == NONE)
        {
            return "none";
        }
        return "flags=" + flags(offload) + " gso=" + gsoType(offload) + " segment=" + segmentSize(offload)
            + " csum=" + checksumStart(offload) + "+" + checksumOffset(offload);
    }
}
