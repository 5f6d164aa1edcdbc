package dev.podswitch.dataplane.port.tap;

import dev.podswitch.control.live.IpCommand;
import dev.podswitch.control.live.NetworkNamespaces;
import dev.podswitch.dataplane.packet.ArpFlyweight;
import dev.podswitch.dataplane.packet.EthernetFlyweight;
import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.ring.FrameRing;
import dev.podswitch.dataplane.stats.DatapathCounters;
import dev.podswitch.ipam.cidr.Ipv4;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A TAP port against a real kernel stack, without the switch: the TAP goes into a namespace of its
 * own with 10.99.0.1/24; a datagram sent there to 10.99.0.2 makes the kernel ARP for it out of the
 * TAP (receive path), and the ARP reply the test transmits lands in the kernel's neighbour table
 * (transmit path). Root only: skips elsewhere, fails under CI=true.
 */
@Tag("root")
class TapPortRootTest
{
    private static final long POD_MAC = 0x0A58_0A63_0001L;
    private static final long PEER_MAC = 0x0A58_0A63_0002L;
    private static final int POD_IP = Ipv4.parse("10.99.0.1");
    private static final int PEER_IP = Ipv4.parse("10.99.0.2");

    private final String name = "psw" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    private TapPort port;
    private boolean namespaceCreated;

    static void requireTap()
    {
        final boolean ci = "true".equals(System.getenv("CI"));
        if (!TapDevice.isAvailable() && ci)
        {
            fail("CI=true: TAP tests must run, but " + TapDevice.unavailabilityCause().getMessage());
        }
        assumeTrue(TapDevice.isAvailable(), () -> "root test skipped: " + TapDevice.unavailabilityCause().getMessage());
    }

    @BeforeEach
    void setUp()
    {
        requireTap();
        port = new TapPort(1, TapDevice.open(name), Frame.EMULATED_CAPACITY);
        IpCommand.ip("netns", "add", name);
        namespaceCreated = true;
        IpCommand.ip("link", "set", name, "netns", name);
        IpCommand.ip("-n", name, "link", "set", name, "address", "0a:58:0a:63:00:01");
        IpCommand.ip("-n", name, "link", "set", name, "addrgenmode", "none");
        IpCommand.ip("-n", name, "addr", "add", "10.99.0.1/24", "dev", name);
        IpCommand.ip("-n", name, "link", "set", name, "up");
    }

    @AfterEach
    void tearDown()
    {
        try
        {
            if (port != null)
            {
                port.close();
            }
        }
        finally
        {
            if (namespaceCreated)
            {
                IpCommand.ip("netns", "delete", name);
            }
        }
    }

    @Test
    void shouldReceiveTheKernelsArpRequestAndDeliverOurReplyWhenThePodSendsToANeighbour() throws Exception
    {
        final DatapathCounters counters = new DatapathCounters();
        final FrameRing ring = new FrameRing(64, Frame.EMULATED_CAPACITY, counters);
        assertEquals(0, port.poll(ring, 32), "nothing is waiting before the pod sends");

        NetworkNamespaces.callIn(name, () ->
        {
            try (DatagramSocket socket = new DatagramSocket())
            {
                socket.send(new DatagramPacket(new byte[8], 8, InetAddress.getByName(Ipv4.format(PEER_IP)), 9));
            }
            return null;
        });

        final MemorySegment request = Arena.ofAuto().allocate(Frame.EMULATED_CAPACITY);
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        final int[] length = {0};
        while (length[0] == 0 && System.nanoTime() < deadlineNs)
        {
            port.poll(ring, 32);
            ring.drain((frame, sequence, endOfBatch) ->
            {
                final EthernetFlyweight ethernet = new EthernetFlyweight().wrap(frame.segment(), 0);
                if (ethernet.etherType() == EthernetFlyweight.ETHER_TYPE_ARP && length[0] == 0)
                {
                    MemorySegment.copy(frame.segment(), 0, request, 0, frame.length());
                    length[0] = frame.length();
                    assertEquals(1, frame.inPortId());
                }
                return true;
            });
            Thread.sleep(10);
        }
        assertTrue(length[0] > 0, "the kernel's ARP request came out of the TAP: " + port);
        final ArpFlyweight arp = new ArpFlyweight().wrap(request, EthernetFlyweight.HEADER_LENGTH);
        assertEquals(ArpFlyweight.OPERATION_REQUEST, arp.operation());
        assertEquals(POD_MAC, arp.senderMac());
        assertEquals(POD_IP, arp.senderIp());
        assertEquals(PEER_IP, arp.targetIp());
        assertEquals(0, port.badOffloadDropCount(), "every header the kernel wrote was valid");

        new EthernetFlyweight().wrap(request, 0).destinationMac(POD_MAC).sourceMac(PEER_MAC);
        arp.initEthernetIpv4(ArpFlyweight.OPERATION_REPLY).senderMac(PEER_MAC).senderIp(PEER_IP)
            .targetMac(POD_MAC).targetIp(POD_IP);
        assertTrue(port.transmit(request, 0, EthernetFlyweight.HEADER_LENGTH + ArpFlyweight.LENGTH));
        assertEquals(1, port.transmittedCount());

        String neighbours = "";
        while (System.nanoTime() < deadlineNs && !neighbours.contains("0a:58:0a:63:00:02"))
        {
            Thread.sleep(10);
            neighbours = IpCommand.ip("-n", name, "neigh", "show", "10.99.0.2");
        }
        assertTrue(neighbours.contains("0a:58:0a:63:00:02"), "the kernel learnt our ARP reply: " + neighbours);
        assertFalse(neighbours.contains("FAILED"), neighbours);
    }
}
