package dev.podswitch.control.live;

import dev.podswitch.control.ClusterOptions;
import dev.podswitch.control.ClusterDataplane;
import dev.podswitch.dataplane.NodeDatapath;
import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.dataplane.capture.FrameMirror;
import dev.podswitch.dataplane.offload.SoftwareOffload;
import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.stats.DropReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * TAP offloads end to end: kernel TCP stacks in namespaces send 64 KiB super-frames with partial
 * checksums. On one node they cross from TAP to TAP whole (the receiving kernel finishes them);
 * across nodes the switch cuts them into MSS-sized segments with full checksums before VXLAN. A
 * bulk transfer each way must arrive byte-exact (a wrong checksum or sequence number would stall
 * or corrupt it), and the mirrors prove which path each took. Root only; fails under CI=true.
 */
@Tag("root")
class LiveOffloadRootTest
{
    private static final int TCP_PORT = 5201;
    private static final int TRANSFER_BYTES = 24 << 20;
    private static final int MTU_FRAME = 1514;

    private ClusterDataplane cluster;
    private LiveLab lab;

    @BeforeEach
    void setUp()
    {
        final boolean ci = "true".equals(System.getenv("CI"));
        if (!LiveLab.isAvailable() && ci)
        {
            fail("CI=true: the live offload tests must run, but " + LiveLab.unavailabilityCause().getMessage());
        }
        assumeTrue(LiveLab.isAvailable(), () -> "root test skipped: " + LiveLab.unavailabilityCause().getMessage());
        cluster = ClusterDataplane.create(ClusterOptions.of("10.244.0.0/16", 24, List.of("node-1", "node-2"),
            ClusterOptions.Underlay.UDP).withThreading(2, IdleMode.BLOCKING).withFrames(512, Frame.OFFLOAD_CAPACITY));
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
    void shouldCarrySuperFramesWholeBetweenPodsOfOneNodeAndSegmentThemIntoTheTunnel() throws Exception
    {
        final LivePod a = lab.addPod("a", "node-1");
        final LivePod b = lab.addPod("b", "node-1");
        final LivePod c = lab.addPod("c", "node-2");
        final NodeDatapath node1 = cluster.node("node-1").datapath();
        final LargestFrames intoB = new LargestFrames();
        final LargestFrames tunnelOut = new LargestFrames();
        node1.mirror(b.port().id(), intoB);
        node1.mirror(NodeDatapath.TUNNEL_PORT_ID, tunnelOut);
        final SoftwareOffload software = node1.softwareOffload();
        final long segmentsBefore = software.segmentsMade();

        transfer(a, b);
        assertTrue(a.port().offloadedCount() > 0, "a's kernel handed over frames with offload requests: " + a.port());
        assertTrue(intoB.largestTransmitted.get() > MTU_FRAME,
            "super-frames crossed to b whole; largest: " + intoB.largestTransmitted.get());

        transfer(a, c);
        assertTrue(software.segmentsMade() > segmentsBefore, "the switch segmented for the tunnel");
        assertTrue(tunnelOut.largestTransmitted.get() > 0, "frames went into the tunnel");
        assertTrue(tunnelOut.largestTransmitted.get() <= MTU_FRAME + 50,
            "no outer frame is larger than an MTU-sized inner frame plus VXLAN: " + tunnelOut.largestTransmitted.get());

        final long mergedBefore = cluster.node("node-2").datapath().tunnel().coalescer().framesBuilt();
        transfer(a, c);
        assertTrue(cluster.node("node-2").datapath().tunnel().coalescer().framesBuilt() > mergedBefore,
            "node-2 merged the segments of a's super-frames again on receive (UDP GRO train -> TCP GRO)");

        transfer(c, a);
        final long badOffload = cluster.nodes().values().stream()
            .mapToLong(node -> node.datapath().counters().droppedCount(DropReason.BAD_OFFLOAD)).sum();
        assertEquals(0, badOffload, "no offload request was refused");
        assertEquals(0, cluster.agentErrorCount(), () -> "agent errors: " + cluster.errors());
        node1.mirror(b.port().id(), null);
        node1.mirror(NodeDatapath.TUNNEL_PORT_ID, null);
    }

    /** Sends {@link #TRANSFER_BYTES} of random data from one pod to another; both ends hash what they saw. */
    private static void transfer(final LivePod from, final LivePod to) throws Exception
    {
        final byte[] block = new byte[1 << 16];
        new Random(from.ip() ^ to.ip()).nextBytes(block);
        final ServerSocket listener = to.callIn(() ->
        {
            final ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(to.ipText()), TCP_PORT));
            return socket;
        });
        try (listener)
        {
            final CompletableFuture<String> received = CompletableFuture.supplyAsync(() -> hashAll(listener));
            final String sent = from.callIn(() ->
            {
                final MessageDigest digest = MessageDigest.getInstance("SHA-256");
                try (Socket client = new Socket())
                {
                    client.connect(new InetSocketAddress(InetAddress.getByName(to.ipText()), TCP_PORT), 3_000);
                    client.setSoTimeout(10_000);
                    final DataOutputStream out = new DataOutputStream(client.getOutputStream());
                    for (int sentBytes = 0; sentBytes < TRANSFER_BYTES; sentBytes += block.length)
                    {
                        block[0] = (byte)sentBytes;
                        out.write(block);
                        digest.update(block);
                    }
                    client.shutdownOutput();
                    client.getInputStream().readAllBytes();
                }
                return HexFormat.of().formatHex(digest.digest());
            });
            assertEquals(sent, received.get(30, TimeUnit.SECONDS),
                from.name() + " -> " + to.name() + ": every byte arrived, in order");
        }
    }

    private static String hashAll(final ServerSocket listener)
    {
        try (Socket peer = listener.accept())
        {
            peer.setSoTimeout(10_000);
            final MessageDigest digest = MessageDigest.getInstance("SHA-256");
            final InputStream in = new DataInputStream(peer.getInputStream());
            final byte[] buffer = new byte[1 << 16];
            int read;
            while ((read = in.read(buffer)) >= 0)
            {
                digest.update(buffer, 0, read);
            }
            Arrays.fill(buffer, (byte)0);
            return HexFormat.of().formatHex(digest.digest());
        }
        catch (final Exception failed)
        {
            throw new IllegalStateException(failed);
        }
    }

    /** Remembers the largest frame seen each way (pipeline thread writes, the test reads). */
    private static final class LargestFrames implements FrameMirror
    {
        final AtomicInteger largestReceived = new AtomicInteger();
        final AtomicInteger largestTransmitted = new AtomicInteger();

        @Override
        public void received(final MemorySegment frame, final long offset, final int length, final int tunnelSourceIp,
            final long nowNs)
        {
            largestReceived.accumulateAndGet(length, Math::max);
        }

        @Override
        public void transmitted(final MemorySegment frame, final long offset, final int length, final long nowNs)
        {
            largestTransmitted.accumulateAndGet(length, Math::max);
        }
    }
}
