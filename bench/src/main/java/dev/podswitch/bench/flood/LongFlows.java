package dev.podswitch.bench.flood;

import dev.podswitch.bench.packet.FrameWriter;
import dev.podswitch.control.Attachment;
import dev.podswitch.dataplane.packet.PacketMeta;
import dev.podswitch.dataplane.packet.TcpFlyweight;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The other pods' long-lived TCP connections: each flow a client port {@code FIRST_CLIENT_PORT + i}
 * to a server's {@link #SERVER_PORT}, opened once by a real three-way handshake before the flood
 * starts (so the connection tables hold it as established and assured), then sending steadily in
 * both directions every round. The segments are crafted here and counted by the receivers'
 * {@link FlowTap}s — a virtual endpoint ignores data segments — so a lost segment is seen per flow
 * and direction. Loss = segments offered − segments that arrived; a segment the ring refused
 * counts as lost, as the switch dropped it.
 *
 * <p>The server → client direction is the sharp test: clients are isolated for ingress, so those
 * segments pass only as replies of a tracked connection. Driver thread for sending, node threads
 * for {@link #arrived}; the driver reads the counts after {@code runUntilIdle}.
 */
final class LongFlows
{
    static final int SERVER_PORT = 5001;
    static final int FIRST_CLIENT_PORT = 20_000;
    private static final int FRAME_LENGTH = 128;
    private static final int DATA = TcpFlyweight.FLAG_ACK | TcpFlyweight.FLAG_PSH;

    private final Attachment[] client;
    private final Attachment[] server;
    private final long[] offeredToServer;
    private final long[] offeredToClient;
    private final long[] arrivedAtServer;
    private final long[] arrivedAtClient;
    private final FrameWriter writer = new FrameWriter();
    private final MemorySegment frame = Arena.ofAuto().allocate(FRAME_LENGTH, 64);
    private long misdelivered;

    LongFlows(final Attachment[] clients, final Attachment[] servers, final int flows)
    {
        client = new Attachment[flows];
        server = new Attachment[flows];
        for (int i = 0; i < flows; i++)
        {
            client[i] = clients[i % clients.length];
            server[i] = servers[(i / clients.length + i) % servers.length];
        }
        offeredToServer = new long[flows];
        offeredToClient = new long[flows];
        arrivedAtServer = new long[flows];
        arrivedAtClient = new long[flows];
    }

    int count()
    {
        return client.length;
    }

    /** The three-way handshake of flow {@code i}, step 0 (SYN), 1 (SYN-ACK) or 2 (ACK); returns whether the ring took it. */
    boolean handshake(final int i, final int step)
    {
        return switch (step)
        {
            case 0 -> toServer(i, TcpFlyweight.FLAG_SYN);
            case 1 -> toClient(i, TcpFlyweight.FLAG_SYN | TcpFlyweight.FLAG_ACK);
            default -> toServer(i, TcpFlyweight.FLAG_ACK);
        };
    }

    /** One data segment of flow {@code i} in the direction asked, counted as offered. */
    void send(final int i, final boolean towardServer)
    {
        if (towardServer)
        {
            offeredToServer[i]++;
            toServer(i, DATA);
        }
        else
        {
            offeredToClient[i]++;
            toClient(i, DATA);
        }
    }

    private boolean toServer(final int i, final int flags)
    {
        final Attachment from = client[i];
        writer.tcp(frame, 0, FRAME_LENGTH, from.mac(), from.node().gatewayMac(), from.ip(), server[i].ip(),
            FIRST_CLIENT_PORT + i, SERVER_PORT, flags);
        return from.node().datapath().ring().offer(from.port().id(), frame, 0, FRAME_LENGTH);
    }

    private boolean toClient(final int i, final int flags)
    {
        final Attachment from = server[i];
        writer.tcp(frame, 0, FRAME_LENGTH, from.mac(), from.node().gatewayMac(), from.ip(), client[i].ip(),
            SERVER_PORT, FIRST_CLIENT_PORT + i, flags);
        return from.node().datapath().ring().offer(from.port().id(), frame, 0, FRAME_LENGTH);
    }

    /** Whether a frame {@code meta} describes, arriving at {@code at}, belongs to a long flow (then it is counted). */
    boolean arrived(final Attachment at, final PacketMeta meta, final boolean atServer)
    {
        final int clientPort = atServer ? meta.sourcePort : meta.destinationPort;
        final int serverPort = atServer ? meta.destinationPort : meta.sourcePort;
        final int i = clientPort - FIRST_CLIENT_PORT;
        if (serverPort != SERVER_PORT || i < 0 || i >= client.length)
        {
            return false;
        }
        final Attachment expected = atServer ? server[i] : client[i];
        final Attachment peer = atServer ? client[i] : server[i];
        if (expected != at || meta.ipSource != peer.ip())
        {
            misdelivered++;
        }
        else if (atServer)
        {
            arrivedAtServer[i]++;
        }
        else
        {
            arrivedAtClient[i]++;
        }
        return true;
    }

    long offered()
    {
        return sum(offeredToServer) + sum(offeredToClient);
    }

    long arrived()
    {
        return sum(arrivedAtServer) + sum(arrivedAtClient);
    }

    /** Segments offered and not arrived, server → client direction only (the one that needs conntrack). */
    long lostTowardClients()
    {
        return sum(offeredToClient) - sum(arrivedAtClient);
    }

    /** Flows that lost at least one segment in either direction. */
    int flowsWithLoss()
    {
        int flows = 0;
        for (int i = 0; i < client.length; i++)
        {
            if (arrivedAtServer[i] != offeredToServer[i] || arrivedAtClient[i] != offeredToClient[i])
            {
                flows++;
            }
        }
        return flows;
    }

    long misdelivered()
    {
        return misdelivered;
    }

    /** Counts start from zero after the handshake, so that only the steady segments are measured. */
    void resetCounts()
    {
        Arrays.fill(offeredToServer, 0);
        Arrays.fill(offeredToClient, 0);
        Arrays.fill(arrivedAtServer, 0);
        Arrays.fill(arrivedAtClient, 0);
    }

    /** Whether every flow saw each step of its handshake arrive, read from the counts before {@link #resetCounts}. */
    boolean handshakeArrived(final int step, final int i)
    {
        return step == 1 ? arrivedAtClient[i] >= 1 : arrivedAtServer[i] >= (step == 0 ? 1 : 2);
    }

    private static long sum(final long[] values)
    {
        long total = 0;
        for (final long value : values)
        {
            total += value;
        }
        return total;
    }
}
