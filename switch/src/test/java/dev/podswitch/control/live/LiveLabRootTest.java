package dev.podswitch.control.live;

import dev.podswitch.control.ClusterOptions;
import dev.podswitch.control.ClusterDataplane;
import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.dataplane.stats.DatapathCounters;
import dev.podswitch.dataplane.stats.DropReason;
import dev.podswitch.ipam.cidr.Ipv4;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The live lab end to end, with kernel stacks in namespaces: pod a on node-1, pods b and c on
 * node-2 (memory VXLAN underlay between the nodes, node agents on their own threads). Needs root,
 * /dev/net/tun, iproute2 and ping: skips with the reason elsewhere, fails under CI=true.
 */
@Tag("root")
class LiveLabRootTest
{
    private static final String PING = IpCommand.locate("ping", "/usr/bin/ping", "/bin/ping");
    private static final int TCP_PORT = 8080;

    private ClusterDataplane cluster;
    private LiveLab lab;

    @BeforeEach
    void setUp()
    {
        final boolean ci = "true".equals(System.getenv("CI"));
        final String missing = !LiveLab.isAvailable() ? LiveLab.unavailabilityCause().getMessage()
            : PING == null ? "ping is not installed (apt-get install iputils-ping)" : null;
        if (missing != null && ci)
        {
            fail("CI=true: the live-lab tests must run, but " + missing);
        }
        assumeTrue(missing == null, () -> "root test skipped: " + missing);
        cluster = ClusterDataplane.create(ClusterOptions.of("10.244.0.0/16", 24, List.of("node-1", "node-2"),
            ClusterOptions.Underlay.MEMORY).withThreading(2, IdleMode.BLOCKING));
        lab = new LiveLab(cluster);
    }

    @AfterEach
    void tearDown()
    {
        try
        {
            if (lab != null)
            {
                lab.close();
            }
        }
        finally
        {
            if (cluster != null)
            {
                cluster.close();
            }
        }
    }

    @Test
    void shouldMarkEveryNamespaceAndTapItMakesAsPodswitchsWhenAddingPods()
    {
        final LivePod a = lab.addPod("a", "node-1");
        final LivePod h = lab.addHost("h", "node-2", Ipv4.parse("192.168.100.10"));

        for (final LivePod pod : List.of(a, h))
        {
            assertTrue(NetworkNamespaces.isOwned(pod.namespace()), pod.namespace() + " carries the mark on its lo");
            assertTrue(NetworkNamespaces.isMarked(IpCommand.ip("-n", pod.namespace(), "-o", "link", "show", "dev",
                pod.interfaceName())), "and its TAP too");
        }
        assertTrue(LiveLab.ownedLeftoverNamespaces().containsAll(List.of(a.namespace(), h.namespace())));
    }

    @Test
    void shouldPingAndConnectAcrossNodesWithoutNatWhenPodsAreLiveNamespaces() throws Exception
    {
        final LivePod a = lab.addPod("a", "node-1");
        final LivePod b = lab.addPod("b", "node-2");
        final LivePod c = lab.addPod("c", "node-2");
        final DatapathCounters node1 = cluster.node("node-1").datapath().counters();
        final DatapathCounters node2 = cluster.node("node-2").datapath().counters();

        assertPings(a, b);
        assertPings(a, c);
        assertPings(c, b);
        assertTrue(node1.forwardedCount() >= 2, "node-1 forwarded a's echo requests: " + node1.forwardedCount());
        assertTrue(node2.forwardedCount() >= 4, "node-2 forwarded replies and c's requests: " + node2.forwardedCount());
        assertTrue(a.port().transmittedCount() >= 2, "echo replies reached a's TAP: " + a.port());

        final long forwardedBefore = node1.forwardedCount();
        final ServerSocket listener = b.callIn(() ->
        {
            final ServerSocket socket = new ServerSocket();
            socket.bind(new InetSocketAddress(InetAddress.getByName(b.ipText()), TCP_PORT));
            return socket;
        });
        try (listener)
        {
            final CompletableFuture<String> served = CompletableFuture.supplyAsync(() -> serveOnce(listener));
            final String answer = a.callIn(() ->
            {
                try (Socket client = new Socket())
                {
                    client.connect(new InetSocketAddress(InetAddress.getByName(b.ipText()), TCP_PORT), 3_000);
                    client.setSoTimeout(3_000);
                    client.getOutputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
                    return new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                }
            });
            final String peerSeenByB = served.get(5, TimeUnit.SECONDS);
            assertEquals(a.ipText(), peerSeenByB, "b saw a's own pod IP: no NAT");
            assertEquals("you are " + a.ipText() + "\n", answer);
        }
        assertTrue(node1.forwardedCount() - forwardedBefore >= 4,
            "node-1 forwarded the TCP handshake, data and close: " + (node1.forwardedCount() - forwardedBefore));
        assertEquals(0, cluster.agentErrorCount(), () -> "agent errors: " + cluster.errors());
    }

    @Test
    void shouldDeliverAUdpDatagramLargerThanTheMtuWhenTheSendersKernelFragmentsIt() throws Exception
    {
        final LivePod a = lab.addPod("a", "node-1");
        final LivePod b = lab.addPod("b", "node-2");
        final LivePod c = lab.addPod("c", "node-2");
        final byte[] payload = new byte[4_000];
        for (int i = 0; i < payload.length; i++)
        {
            payload[i] = (byte)(i * 31);
        }
        final DatagramSocket receiver = b.callIn(() ->
        {
            final DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(b.ipText()),
                TCP_PORT));
            socket.setSoTimeout(5_000);
            return socket;
        });
        try (receiver)
        {
            for (final LivePod sender : List.of(a, c))
            {
                sender.callIn(() ->
                {
                    try (DatagramSocket socket = new DatagramSocket())
                    {
                        socket.send(new DatagramPacket(payload, payload.length,
                            new InetSocketAddress(InetAddress.getByName(b.ipText()), TCP_PORT)));
                    }
                    return null;
                });
                final DatagramPacket received = new DatagramPacket(new byte[8_192], 8_192);
                receiver.receive(received);
                assertEquals(sender.ipText(), received.getAddress().getHostAddress());
                assertArrayEquals(payload, Arrays.copyOf(received.getData(), received.getLength()),
                    sender.name() + " -> b: the kernel cut it at the TAP's MTU, the switch carried every fragment");
            }
        }
        for (final String node : List.of("node-1", "node-2"))
        {
            // Counters only: what the reassembly holds is the node thread's, still running here.
            final DatapathCounters counters = cluster.node(node).datapath().counters();
            assertEquals(0, counters.droppedCount(DropReason.IP_FRAGMENT), node + ": " + counters.drops());
        }
        assertEquals(0, cluster.agentErrorCount(), () -> "agent errors: " + cluster.errors());
    }

    @Test
    void shouldDropAsSpoofedWhenAPodTakesAnotherAddress()
    {
        final LivePod a = lab.addPod("a", "node-1");
        final LivePod b = lab.addPod("b", "node-2");
        assertPings(a, b);
        final DatapathCounters node1 = cluster.node("node-1").datapath().counters();
        final long spoofedBefore = node1.droppedCount(DropReason.SPOOFED_SOURCE);

        final String forged = Ipv4.format(a.ip() + 50) + "/" + a.prefixLength();
        IpCommand.ip("-n", a.namespace(), "addr", "flush", "dev", a.interfaceName());
        IpCommand.ip("-n", a.namespace(), "addr", "add", forged, "dev", a.interfaceName());
        IpCommand.ip("-n", a.namespace(), "route", "add", "default", "via", Ipv4.format(a.gatewayIp()));

        final IpCommand.Result ping = a.exec(PING, "-c", "1", "-W", "1", b.ipText());
        assertFalse(ping.succeeded(), "a forged source must not get through:\n" + ping.output());
        assertTrue(node1.droppedCount(DropReason.SPOOFED_SOURCE) > spoofedBefore,
            "node-1 dropped a's frames as " + DropReason.SPOOFED_SOURCE + ": " + node1.drops());
    }

    private static void assertPings(final LivePod from, final LivePod to)
    {
        final IpCommand.Result ping = from.exec(PING, "-c", "1", "-W", "2", to.ipText());
        assertTrue(ping.succeeded(), () -> from.name() + " -> " + to.name() + " (" + to.ipText() + "):\n" + ping.output());
    }

    /** Accepts one connection, answers with the peer address it saw, and returns that address. */
    private static String serveOnce(final ServerSocket listener)
    {
        try
        {
            listener.setSoTimeout(5_000);
            try (Socket accepted = listener.accept())
            {
                final String peer = accepted.getInetAddress().getHostAddress();
                final InputStream in = accepted.getInputStream();
                int next;
                do
                {
                    next = in.read();
                }
                while (next != '\n' && next != -1);
                final OutputStream out = accepted.getOutputStream();
                out.write(("you are " + peer + "\n").getBytes(StandardCharsets.US_ASCII));
                return peer;
            }
        }
        catch (final Exception failed)
        {
            throw new IllegalStateException("b's listener failed", failed);
        }
    }
}
