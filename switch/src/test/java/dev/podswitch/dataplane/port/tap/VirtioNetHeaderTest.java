package dev.podswitch.dataplane.port.tap;

import dev.podswitch.dataplane.offload.Offload;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The virtio-net header in both directions, and the headers a port must refuse rather than pass on. */
class VirtioNetHeaderTest
{
    private static final int FRAME = 20_000;
    private final MemorySegment header = Arena.ofAuto().allocate(VirtioNetHeader.LENGTH);
    private final MemorySegment frame = Arena.ofAuto().allocate(FRAME);

    @Test
    void shouldReadWhatItWroteForATcpSuperFrame()
    {
        frame.set(ValueLayout.JAVA_BYTE, 34 + 12, (byte)0x80); // TCP data offset 8 words: 32-byte header
        final long request = Offload.of(Offload.FLAG_NEEDS_CHECKSUM, Offload.GSO_TCPV4, 1448, 34, 16);
        VirtioNetHeader.write(header, request, frame, 0);
        assertEquals(request, VirtioNetHeader.read(header, 0, FRAME));
        assertEquals(34 + 32, header.get(ValueLayout.JAVA_SHORT_UNALIGNED, 2), "hdr_len: Ethernet + IP + TCP headers");
    }

    @Test
    void shouldReadZeroesAsACompleteFrame()
    {
        assertEquals(Offload.NONE, VirtioNetHeader.read(header, 0, FRAME));
    }

    @Test
    void shouldKeepOnlyTheFlagWhenTheKernelSaysTheChecksumIsValid()
    {
        header.set(ValueLayout.JAVA_BYTE, 0, (byte)Offload.FLAG_CHECKSUM_VALID);
        header.set(ValueLayout.JAVA_SHORT_UNALIGNED, 6, (short)999);
        assertEquals(Offload.of(Offload.FLAG_CHECKSUM_VALID, 0, 0, 0, 0), VirtioNetHeader.read(header, 0, FRAME));
    }

    @Test
    void shouldRefuseHeadersNoKernelWithOurSettingsWrites()
    {
        header.set(ValueLayout.JAVA_BYTE, 0, (byte)0x40);
        assertEquals(VirtioNetHeader.INVALID, VirtioNetHeader.read(header, 0, FRAME), "unknown flag");
        header.set(ValueLayout.JAVA_BYTE, 0, (byte)Offload.FLAG_NEEDS_CHECKSUM);
        header.set(ValueLayout.JAVA_SHORT_UNALIGNED, 6, (short)(FRAME - 10));
        header.set(ValueLayout.JAVA_SHORT_UNALIGNED, 8, (short)16);
        assertEquals(VirtioNetHeader.INVALID, VirtioNetHeader.read(header, 0, FRAME), "checksum field beyond the frame");
        header.set(ValueLayout.JAVA_SHORT_UNALIGNED, 6, (short)34);
        header.set(ValueLayout.JAVA_BYTE, 1, (byte)Offload.GSO_UDP);
        header.set(ValueLayout.JAVA_SHORT_UNALIGNED, 4, (short)1448);
        assertEquals(VirtioNetHeader.INVALID, VirtioNetHeader.read(header, 0, FRAME), "UFO was never enabled");
        header.set(ValueLayout.JAVA_BYTE, 1, (byte)Offload.GSO_TCPV4);
        header.set(ValueLayout.JAVA_SHORT_UNALIGNED, 4, (short)0);
        assertEquals(VirtioNetHeader.INVALID, VirtioNetHeader.read(header, 0, FRAME), "GSO without a segment size");
        header.set(ValueLayout.JAVA_SHORT_UNALIGNED, 4, (short)1448);
        header.set(ValueLayout.JAVA_BYTE, 0, (byte)0);
        assertEquals(VirtioNetHeader.INVALID, VirtioNetHeader.read(header, 0, FRAME), "GSO without a checksum request");
    }
}
