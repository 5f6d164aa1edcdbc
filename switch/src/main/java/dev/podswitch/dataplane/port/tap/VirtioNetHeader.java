package dev.podswitch.dataplane.port.tap;

import dev.podswitch.dataplane.offload.Offload;
import dev.podswitch.dataplane.offload.OffloadCheck;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The virtio-net header that prefixes every frame on a TAP fd opened with {@code IFF_VNET_HDR}
 * ({@code struct virtio_net_hdr_mrg_rxbuf}, linux/virtio_net.h), little-endian on x86_64:
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------+---------------+-------------------------------+
 *  |     flags     |   gso_type    |            hdr_len            |
 *  +---------------+---------------+-------------------------------+
 *  |           gso_size            |          csum_start           |
 *  +-------------------------------+-------------------------------+
 *  |          csum_offset          |          num_buffers          |
 *  +-------------------------------+-------------------------------+
 * </pre>
 *
 * Read, it becomes the frame's {@link Offload} word; written, it is rebuilt from it. Stateless.
 */
final class VirtioNetHeader
{
    /** With {@code num_buffers}: the size set through TUNSETVNETHDRSZ. */
    static final int LENGTH = 12;
    /** A header this switch never reads as valid: the port drops the frame and counts it. */
    static final long INVALID = -1L;
    private static final int FLAGS = 0;
    private static final int GSO_TYPE = 1;
    private static final int HDR_LEN = 2;
    private static final int GSO_SIZE = 4;
    private static final int CSUM_START = 6;
    private static final int CSUM_OFFSET = 8;
    private static final ValueLayout.OfShort U16_LE = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final int KNOWN_FLAGS = Offload.FLAG_NEEDS_CHECKSUM | Offload.FLAG_CHECKSUM_VALID;
    private static final int TCP_DATA_OFFSET = 12;

    private VirtioNetHeader()
    {
    }

    /**
     * The offload request of the frame of {@code frameLength} bytes at {@code frameOffset} of
     * {@code frame}, behind the header at {@code offset}, or {@link #INVALID} when the header is one
     * no kernel with our offload settings would write for that frame: unknown flags or GSO type, GSO
     * without a checksum request, or a request that does not fit the frame — the checksum field
     * anywhere but its TCP or UDP checksum over IPv4, segmentation of anything but TCP over IPv4,
     * a segment size below {@link OffloadCheck#MIN_POD_SEGMENT_SIZE} (see {@link OffloadCheck}).
     */
    static long read(final MemorySegment buffer, final long offset, final MemorySegment frame, final long frameOffset,
        final int frameLength)
    {
        final int flags = buffer.get(ValueLayout.JAVA_BYTE, offset + FLAGS) & 0xFF;
        final int gsoType = buffer.get(ValueLayout.JAVA_BYTE, offset + GSO_TYPE) & 0xFF;
        if (flags == 0 && gsoType == Offload.GSO_NONE)
        {
            return Offload.NONE;
        }
        final int gsoSize = buffer.get(U16_LE, offset + GSO_SIZE) & 0xFFFF;
        final int checksumStart = buffer.get(U16_LE, offset + CSUM_START) & 0xFFFF;
        final int checksumOffset = buffer.get(U16_LE, offset + CSUM_OFFSET) & 0xFFFF;
        final int baseType = gsoType & ~Offload.GSO_ECN;
        final boolean needsChecksum = (flags & Offload.FLAG_NEEDS_CHECKSUM) != 0;
        if ((flags & ~KNOWN_FLAGS) != 0 || baseType != Offload.GSO_NONE && baseType != Offload.GSO_TCPV4
            || baseType != Offload.GSO_NONE && (!needsChecksum || gsoSize == 0))
        {
            return INVALID;
        }
        if (!needsChecksum && baseType == Offload.GSO_NONE)
        {
            // Only "checksum valid": nothing left to do, and it stays true however the frame travels.
            return Offload.of(flags, Offload.GSO_NONE, 0, 0, 0);
        }
        final long offload = Offload.of(flags, gsoType, gsoSize, checksumStart, checksumOffset);
        return OffloadCheck.fits(frame, frameOffset, frameLength, offload, OffloadCheck.MIN_POD_SEGMENT_SIZE)
            ? offload : INVALID;
    }

    /** Writes the header for {@code offload}; {@code frame} is the frame it will precede (for hdr_len). */
    static void write(final MemorySegment header, final long offload, final MemorySegment frame, final long frameOffset)
    {
        header.set(ValueLayout.JAVA_BYTE, FLAGS, (byte)Offload.flags(offload));
        header.set(ValueLayout.JAVA_BYTE, GSO_TYPE, (byte)Offload.gsoType(offload));
        final int checksumStart = Offload.checksumStart(offload);
        int headerLength = 0;
        if (Offload.isSegmented(offload))
        {
            // Ethernet + IP + TCP headers: the kernel copies that much into the linear part.
            headerLength = checksumStart
                + ((frame.get(ValueLayout.JAVA_BYTE, frameOffset + checksumStart + TCP_DATA_OFFSET) & 0xF0) >>> 2);
        }
        else if (Offload.needsChecksum(offload))
        {
            headerLength = checksumStart + Offload.checksumOffset(offload) + 2;
        }
        header.set(U16_LE, HDR_LEN, (short)headerLength);
        header.set(U16_LE, GSO_SIZE, (short)Offload.segmentSize(offload));
        header.set(U16_LE, CSUM_START, (short)checksumStart);
        header.set(U16_LE, CSUM_OFFSET, (short)Offload.checksumOffset(offload));
    }
}
