package dev.podswitch.dataplane.port.tap;

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
 * With offloads off (TUNSETOFFLOAD 0) the kernel never sets {@code gso_type} or
 * {@code NEEDS_CSUM}; a frame that has them anyway is not a complete frame the pipeline could
 * parse, so the port drops and counts it. Stateless.
 */
final class VirtioNetHeader
{
    /** With {@code num_buffers}: the size set through TUNSETVNETHDRSZ. */
    static final int LENGTH = 12;
    static final int FLAGS_OFFSET = 0;
    static final int GSO_TYPE_OFFSET = 1;
    static final byte FLAG_NEEDS_CSUM = 1;
    static final byte GSO_NONE = 0;

    private VirtioNetHeader()
    {
    }

    /** Whether the header at {@code offset} describes a complete frame: no segmentation, checksums done. */
    static boolean isCompleteFrame(final MemorySegment buffer, final long offset)
    {
        return buffer.get(ValueLayout.JAVA_BYTE, offset + GSO_TYPE_OFFSET) == GSO_NONE
            && (buffer.get(ValueLayout.JAVA_BYTE, offset + FLAGS_OFFSET) & FLAG_NEEDS_CSUM) == 0;
    }
}
