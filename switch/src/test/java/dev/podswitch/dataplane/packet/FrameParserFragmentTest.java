package dev.podswitch.dataplane.packet;

import dev.podswitch.dataplane.reassembly.Fragments;
import dev.podswitch.dataplane.stats.DropReason;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.List;

import static dev.podswitch.dataplane.packet.TestFrames.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the parser reads of IPv4 fragments, on real bytes: a fragment is reported as such with its
 * L3 fields and where its payload lies, and never with ports (a later fragment has none; a first
 * one holds part of a datagram); the datagram's L4 header is read from its first fragment once
 * the datagram is whole, and must lie inside that fragment.
 */
class FrameParserFragmentTest
{
    private static final long MAC = 0x0A58_0AF4_0002L;
    private static final long GATEWAY_MAC = 0x0A58_0AF4_0001L;
    private static final int SOURCE = ip(10, 244, 0, 2);
    private static final int DESTINATION = ip(10, 244, 0, 3);

    private final FrameParser parser = new FrameParser();
    private final PacketMeta meta = new PacketMeta();
    private final byte[] udp = TestFrames.udp(SOURCE, DESTINATION, 5353, 53, Fragments.pattern(2_992));
    private final List<byte[]> fragments = Fragments.cut(MAC, GATEWAY_MAC, SOURCE, DESTINATION, 17, 0xBEEF, udp, 1_480);

    private DropReason parse(final byte[] frame)
    {
        return parser.parse(MemorySegment.ofArray(frame), 0, frame.length, meta);
    }

    private DropReason parseFirst(final byte[] frame, final int datagramL4Length)
    {
        return parser.parseFirstFragment(MemorySegment.ofArray(frame), 0, frame.length, datagramL4Length, meta);
    }

    @Test
    void shouldReadL3AndWhereThePayloadLiesButNoPortsWhenTheFrameIsAFragment()
    {
        assertEquals(DropReason.IP_FRAGMENT, parse(fragments.get(0)));
        assertEquals(SOURCE, meta.ipSource);
        assertEquals(DESTINATION, meta.ipDestination);
        assertEquals(17, meta.ipProtocol);
        assertEquals(0xBEEF, meta.ipIdentification);
        assertEquals(0, meta.fragmentOffset);
        assertTrue(meta.moreFragments);
        assertTrue(meta.isFragment());
        assertEquals(1_480, meta.l4Length);
        assertEquals(0, meta.destinationPort, "a fragment's ports are not read");

        assertEquals(DropReason.IP_FRAGMENT, parse(fragments.get(2)));
        assertEquals(2_960, meta.fragmentOffset);
        assertFalse(meta.moreFragments);
        assertEquals(udp.length - 2_960, meta.l4Length);
    }

    @Test
    void shouldReadTheDatagramsPortsFromItsFirstFragment()
    {
        assertNull(parseFirst(fragments.get(0), udp.length));

        assertEquals(5353, meta.sourcePort);
        assertEquals(53, meta.destinationPort);
        assertEquals(1_480, meta.l4Length, "what this fragment holds, so nothing reads past it");
    }

    @Test
    void shouldRefuseTheDatagramWhenItsUdpLengthIsNotWithinIt()
    {
        assertEquals(DropReason.BAD_UDP_LENGTH, parseFirst(fragments.get(0), udp.length - 8));
    }

    @Test
    void shouldRefuseTheDatagramWhenItsFirstFragmentIsTooShortForTheL4Header()
    {
        final byte[] tcp = TestFrames.tcp(SOURCE, DESTINATION, 40000, 80, 0x02, new byte[16]);
        final byte[] tiny = Fragments.fragment(MAC, GATEWAY_MAC, SOURCE, DESTINATION, 6, 1, tcp, 0, 8, true);

        assertEquals(DropReason.TRUNCATED_L4, parseFirst(tiny, tcp.length));
    }

    @Test
    void shouldReadNoL4WhenAskedForTheFirstFragmentWithALaterOne()
    {
        assertEquals(DropReason.IP_FRAGMENT, parseFirst(fragments.get(1), udp.length));
        assertEquals(0, meta.destinationPort);
    }

    @Test
    void shouldParseWholeWhenAskedForTheFirstFragmentOfAPacketThatIsNoFragment()
    {
        final byte[] whole = TestFrames.pad(TestFrames.ethernet(GATEWAY_MAC, MAC, 0x0800,
            TestFrames.ipv4(17, SOURCE, DESTINATION, 64, TestFrames.udp(SOURCE, DESTINATION, 1, 2, new byte[4]))));

        assertNull(parseFirst(whole, 12));
        assertFalse(meta.isFragment());
        assertEquals(2, meta.destinationPort);
    }
}
