package dev.podswitch.scenarios.live;

import dev.podswitch.dataplane.NodeDatapath;
import dev.podswitch.dataplane.packet.EthernetFlyweight;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.packet.Ipv4Flyweight;
import dev.podswitch.dataplane.packet.PacketBytes;
import dev.podswitch.dataplane.packet.UdpFlyweight;
import dev.podswitch.dataplane.packet.VxlanFlyweight;
import dev.podswitch.dataplane.port.tunnel.TunnelPort;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code podswitch up}'s capture endpoint: a Unix domain socket next to the lab's state file
 * (owner-only, 0600) on which {@code podswitch capture} asks for one port's frames
 * ({@link CaptureProtocol}). Each accepted capture installs a {@link CaptureQueue} as the port's
 * mirror on its node ({@link NodeDatapath#mirror}) and runs a thread that drains the queue into
 * the connection; the capture ends — and the mirror is removed — when the client closes the
 * connection (noticed at the latest by the next one-second statistics record) or the lab stops.
 *
 * <p>For a node's VXLAN tunnel port, frames the node sent are whole outer frames already; frames
 * it received arrive decapsulated with the sending VTEP, so this thread puts outer Ethernet, IPv4,
 * UDP (4789) and VXLAN headers back in front — VTEP addresses and VNI as they were, the outer UDP
 * source port a hash of the inner flow (the real one is not kept) — and the whole tunnel capture
 * decodes as VXLAN both ways.
 */
public final class CaptureServer implements AutoCloseable
{
    /** Captures at once; a further client is refused (each holds a ring of {@link CaptureQueue#DEFAULT_CAPACITY}). */
    static final int MAX_SESSIONS = 16;
    private static final long REQUEST_TIMEOUT_S = 10;
    private static final long SESSION_JOIN_MS = 3_000;
    private static final long BUSY_WAIT_NS = 1_000_000_000L;
    private static final int OUT_BUFFER = 2 * CaptureProtocol.SNAPLEN;
    private static final int DRAIN_LIMIT = 256;
    private static final long IDLE_PARK_NS = 1_000_000;
    private static final int FRAME_RECORD_HEADER = 1 + Long.BYTES + Integer.BYTES;
    private static final int MAX_IPV4_LENGTH = 0xFFFF;

    /** What one capture request can name: a pod's (or host's) port, or a node's VXLAN tunnel port. */
    public record Target(String label, String portName, String node, NodeDatapath datapath, int portId, boolean tunnel,
        int localVtepIp, int vni)
    {
    }

    private final Path path;
    private final ServerSocketChannel server;
    private final Map<String, Target> pods;
    private final Map<String, Target> tunnels;
    private final Set<String> capturedPorts = new HashSet<>();
    private final List<Session> sessions = new ArrayList<>();
    private final ScheduledExecutorService timer;
    private final Thread acceptor;
    private volatile boolean closed;

    private CaptureServer(final Path path, final ServerSocketChannel server, final Map<String, Target> pods,
        final Map<String, Target> tunnels)
    {
        this.path = path;
        this.server = server;
        this.pods = new LinkedHashMap<>(pods);
        this.tunnels = new LinkedHashMap<>(tunnels);
        this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon(true)
            .name("psw-capture-timer").factory());
        this.acceptor = Thread.ofPlatform().daemon(true).name("psw-capture-accept").unstarted(this::acceptLoop);
    }

    /**
     * Listens on {@code path} (a stale socket file of the same name is replaced).
     *
     * @param pods    by pod key ({@code namespace/name}) or host name.
     * @param tunnels by node name.
     */
    public static CaptureServer start(final Path path, final Map<String, Target> pods, final Map<String, Target> tunnels)
    {
        ServerSocketChannel server = null;
        try
        {
            Files.createDirectories(path.getParent());
            Files.deleteIfExists(path);
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path));
            // Frames of every pod go through here: only the owner (root, as up runs) may connect.
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        }
        catch (final IOException | RuntimeException failed)
        {
            closeQuietly(server);
            throw new UncheckedIOException("cannot open the capture socket " + path + ": " + failed.getMessage(),
                failed instanceof final IOException io ? io : new IOException(failed));
        }
        final CaptureServer captures = new CaptureServer(path, server, pods, tunnels);
        captures.acceptor.start();
        return captures;
    }

    public Path path()
    {
        return path;
    }

    private void acceptLoop()
    {
        while (!closed)
        {
            final SocketChannel client;
            try
            {
                client = server.accept();
            }
            catch (final IOException closedOrFailed)
            {
                if (closed)
                {
                    return;
                }
                LockSupport.parkNanos(10_000_000);
                continue;
            }
            Thread.ofPlatform().daemon(true).name("psw-capture-client").start(() -> serve(client));
        }
    }

    /** One connection: read the request, answer, then stream until either side ends it. */
    private void serve(final SocketChannel client)
    {
        final ScheduledFuture<?> timeout = timer.schedule(() -> closeQuietly(client), REQUEST_TIMEOUT_S, TimeUnit.SECONDS);
        final String request;
        try
        {
            request = readLine(client);
        }
        catch (final IOException failed)
        {
            closeQuietly(client);
            return;
        }
        finally
        {
            timeout.cancel(false);
        }
        final Session session;
        try
        {
            session = open(request, client);
        }
        catch (final RequestException refused)
        {
            answer(client, CaptureProtocol.ERROR + " " + refused.getMessage());
            closeQuietly(client);
            return;
        }
        session.run();
    }

    private Session open(final String request, final SocketChannel client) throws RequestException
    {
        if (request == null)
        {
            throw new RequestException("no request (expected: capture pod NS/POD | capture tunnel NODE)");
        }
        final String[] words = request.strip().split("\\s+");
        if (words.length != 3 || !words[0].equals(CaptureProtocol.CAPTURE)
            || !(words[1].equals(CaptureProtocol.POD) || words[1].equals(CaptureProtocol.TUNNEL)))
        {
            throw new RequestException("cannot read the request \"" + request.strip()
                + "\" (expected: capture pod NS/POD | capture tunnel NODE)");
        }
        final Target target = words[1].equals(CaptureProtocol.POD) ? pod(words[2]) : tunnel(words[2]);
        final String key = target.node() + "#" + target.portId();
        synchronized (this)
        {
            if (closed)
            {
                throw new RequestException("the lab is stopping");
            }
            // A capture that was just stopped may still be ending: give it a moment to free the port.
            final long deadline = System.nanoTime() + BUSY_WAIT_NS;
            while (capturedPorts.contains(key) && !closed && deadline - System.nanoTime() > 0)
            {
                try
                {
                    wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                }
                catch (final InterruptedException interrupted)
                {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            if (closed)
            {
                throw new RequestException("the lab is stopping");
            }
            if (capturedPorts.contains(key))
            {
                throw new RequestException(target.label() + " is being captured already (one capture per port at a "
                    + "time; stop the other capture first)");
            }
            if (sessions.size() >= MAX_SESSIONS)
            {
                throw new RequestException("too many captures at once (at most " + MAX_SESSIONS + ")");
            }
            final Session session = new Session(target, key, client);
            capturedPorts.add(key);
            sessions.add(session);
            // Answer before mirroring: the client learns the port first, then records follow.
            if (!answer(client, CaptureProtocol.OK + " " + target.portName() + " on " + target.node()))
            {
                capturedPorts.remove(key);
                sessions.remove(session);
                closeQuietly(client);
                throw new RequestException("the client went away");
            }
            target.datapath().mirror(target.portId(), session.queue);
            return session;
        }
    }

    private Target pod(final String name) throws RequestException
    {
        Target target = pods.get(name);
        if (target == null && !name.contains("/"))
        {
            target = pods.get("default/" + name);
        }
        if (target == null)
        {
            final List<String> podNames = pods.keySet().stream().filter(each -> each.contains("/")).toList();
            final List<String> hostNames = pods.keySet().stream().filter(each -> !each.contains("/")).toList();
            throw new RequestException("no pod " + name + " in this lab; its pods: " + String.join(", ", podNames)
                + (hostNames.isEmpty() ? "" : "; its hosts: " + String.join(", ", hostNames)));
        }
        return target;
    }

    private Target tunnel(final String node) throws RequestException
    {
        final Target target = tunnels.get(node);
        if (target == null)
        {
            throw new RequestException("no node " + node + " with a tunnel port in this lab; its nodes: "
                + String.join(", ", tunnels.keySet()));
        }
        return target;
    }

    private synchronized void ended(final Session session)
    {
        sessions.remove(session);
        capturedPorts.remove(session.key);
        notifyAll();
    }

    /** Ends every capture (each client reads why, then EOF) and removes the socket file. */
    @Override
    public void close()
    {
        final List<Session> running;
        synchronized (this)
        {
            if (closed)
            {
                return;
            }
            closed = true;
            running = List.copyOf(sessions);
        }
        closeQuietly(server);
        running.forEach(session -> session.stop("the lab is stopping"));
        for (final Session session : running)
        {
            try
            {
                session.thread.join(SESSION_JOIN_MS);
            }
            catch (final InterruptedException interrupted)
            {
                Thread.currentThread().interrupt();
                break;
            }
            if (session.thread.isAlive())
            {
                // Stuck writing to a client that reads nothing: cut it off.
                closeQuietly(session.client);
            }
        }
        timer.shutdownNow();
        try
        {
            Files.deleteIfExists(path);
        }
        catch (final IOException ignored)
        {
            // podswitch down removes a stale socket file.
        }
    }

    /** One running capture: the mirror on the pipeline side, this thread on the socket side. */
    private final class Session
    {
        private final Target target;
        private final String key;
        private final SocketChannel client;
        private final CaptureQueue queue = new CaptureQueue();
        private final ByteBuffer out = ByteBuffer.allocateDirect(OUT_BUFFER);
        private final MemorySegment outSegment = MemorySegment.ofBuffer(out);
        private final MemorySegment outerHeaders = MemorySegment.ofArray(new byte[VxlanFlyweight.ENCAPSULATION_OVERHEAD]);
        private final EthernetFlyweight ethernet = new EthernetFlyweight();
        private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
        private final UdpFlyweight udp = new UdpFlyweight();
        private final VxlanFlyweight vxlan = new VxlanFlyweight();
        /** System.nanoTime() → nanoseconds since the epoch, for the pipeline's batch timestamps. */
        private final long epochOffsetNs;
        private volatile String stopReason;
        private volatile boolean clientGone;
        private final Thread thread;
        private int identification;

        Session(final Target target, final String key, final SocketChannel client)
        {
            this.target = target;
            this.key = key;
            this.client = client;
            // Made on the connection's own thread, which then runs it.
            this.thread = Thread.currentThread();
            final Instant now = Instant.now();
            this.epochOffsetNs = now.getEpochSecond() * 1_000_000_000L + now.getNano() - System.nanoTime();
        }

        void stop(final String why)
        {
            stopReason = why;
            LockSupport.unpark(thread);
        }

        void run()
        {
            thread.setName("psw-capture-" + target.portName());
            // The client sends nothing after its request: a read returns only when it has gone (EOF),
            // so the mirror is removed at once rather than at the next failed write.
            Thread.ofVirtual().name("psw-capture-watch").start(this::watchClient);
            long nextStats = System.nanoTime() + CaptureProtocol.STATS_INTERVAL_NS;
            try
            {
                while (stopReason == null)
                {
                    final int handed = queue.drain(this::put, DRAIN_LIMIT);
                    final long now = System.nanoTime();
                    if (now - nextStats >= 0)
                    {
                        putStats();
                        nextStats = now + CaptureProtocol.STATS_INTERVAL_NS;
                    }
                    if (handed < DRAIN_LIMIT)
                    {
                        flush();
                        if (handed == 0)
                        {
                            LockSupport.parkNanos(IDLE_PARK_NS);
                        }
                    }
                }
                if (clientGone)
                {
                    return;
                }
                // The lab is stopping: stop mirroring, send what is queued, say why, then EOF.
                target.datapath().mirror(target.portId(), null);
                while (queue.drain(this::put, DRAIN_LIMIT) > 0)
                {
                    // until empty
                }
                putStats();
                final byte[] why = stopReason.getBytes(StandardCharsets.UTF_8);
                ensureRoom(1 + Integer.BYTES + why.length);
                out.put(CaptureProtocol.END).putInt(why.length).put(why);
                flush();
            }
            catch (final IOException | UncheckedIOException clientGone)
            {
                // The client closed the connection (Ctrl-C, count reached): the capture is over.
            }
            finally
            {
                target.datapath().mirror(target.portId(), null);
                closeQuietly(client);
                ended(this);
            }
        }

        private void watchClient()
        {
            final ByteBuffer ignored = ByteBuffer.allocate(64);
            try
            {
                while (client.read(ignored) >= 0)
                {
                    ignored.clear();
                }
            }
            catch (final IOException closed)
            {
                // Closed by either side: over either way.
            }
            clientGone = true;
            stop("the client has gone");
        }

        private void put(final boolean transmitted, final MemorySegment ring, final long offset, final int length,
            final long nowNs, final int tunnelSourceIp)
        {
            final boolean outerMissing = target.tunnel() && !transmitted;
            final int frameLength = length + (outerMissing ? VxlanFlyweight.ENCAPSULATION_OVERHEAD : 0);
            try
            {
                ensureRoom(FRAME_RECORD_HEADER + frameLength);
            }
            catch (final IOException failed)
            {
                throw new UncheckedIOException(failed);
            }
            out.put(CaptureProtocol.FRAME).putLong(epochOffsetNs + nowNs).putInt(frameLength);
            if (outerMissing)
            {
                writeOuterHeaders(ring, offset, length, tunnelSourceIp);
                out.put(outerHeaders.asByteBuffer());
            }
            MemorySegment.copy(ring, offset, outSegment, out.position(), length);
            out.position(out.position() + length);
        }

        /** Outer headers as the sending VTEP built them (RFC 7348: UDP checksum zero), around an inner frame. */
        private void writeOuterHeaders(final MemorySegment ring, final long offset, final int length,
            final int remoteVtepIp)
        {
            // A TCP super-frame the tunnel merged from a GRO train may not fit the outer 16-bit lengths:
            // they are capped at 65,535 then (tshark notes the difference and still decodes it).
            final int udpPayload = Math.min(VxlanFlyweight.HEADER_LENGTH + length,
                MAX_IPV4_LENGTH - Ipv4Flyweight.MIN_HEADER_LENGTH - UdpFlyweight.HEADER_LENGTH);
            ethernet.wrap(outerHeaders, 0)
                .destinationMac(vtepMac(target.localVtepIp()))
                .sourceMac(vtepMac(remoteVtepIp))
                .etherType(EthernetFlyweight.ETHER_TYPE_IPV4);
            ipv4.wrap(outerHeaders, EthernetFlyweight.HEADER_LENGTH).init(IpProtocol.UDP.number(), remoteVtepIp,
                target.localVtepIp(), UdpFlyweight.HEADER_LENGTH + udpPayload, identification++ & 0xFFFF);
            udp.wrap(outerHeaders, EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.MIN_HEADER_LENGTH)
                .init(TunnelPort.sourcePortFor(innerFlowHash(ring, offset, length)), VxlanFlyweight.UDP_PORT, udpPayload);
            vxlan.wrap(outerHeaders, TunnelPort.OUTER_UDP_PAYLOAD_OFFSET).init(target.vni());
        }

        private void putStats() throws IOException
        {
            ensureRoom(1 + 2 * Long.BYTES);
            out.put(CaptureProtocol.STATS).putLong(queue.queued()).putLong(queue.dropped());
        }

        private void ensureRoom(final int bytes) throws IOException
        {
            if (out.remaining() < bytes)
            {
                flush();
            }
        }

        private void flush() throws IOException
        {
            out.flip();
            while (out.hasRemaining())
            {
                if (client.write(out) < 0)
                {
                    throw new ClosedChannelException();
                }
            }
            out.clear();
        }
    }

    /** The inner IPv4 addresses, protocol and (for TCP/UDP/SCTP) ports, mixed: stable per flow. */
    static int innerFlowHash(final MemorySegment frame, final long offset, final int length)
    {
        final int l3 = EthernetFlyweight.HEADER_LENGTH;
        if (length < l3 + Ipv4Flyweight.MIN_HEADER_LENGTH
            || PacketBytes.getU16(frame, offset + EthernetFlyweight.ETHER_TYPE_OFFSET) != EthernetFlyweight.ETHER_TYPE_IPV4)
        {
            return 0;
        }
        final ValueLayout.OfInt word = ValueLayout.JAVA_INT_UNALIGNED;
        int hash = frame.get(word, offset + l3 + Ipv4Flyweight.SOURCE_OFFSET) * 31
            + frame.get(word, offset + l3 + Ipv4Flyweight.DESTINATION_OFFSET);
        hash = hash * 31 + frame.get(ValueLayout.JAVA_BYTE, offset + l3 + Ipv4Flyweight.PROTOCOL_OFFSET);
        final int headerLength = (frame.get(ValueLayout.JAVA_BYTE, offset + l3) & 0x0F) * 4;
        if (length >= l3 + headerLength + Integer.BYTES)
        {
            hash = hash * 31 + frame.get(word, offset + l3 + headerLength);
        }
        return hash;
    }

    /** As TunnelPort derives outer MACs from VTEP addresses, so both directions read alike. */
    private static long vtepMac(final int vtepIp)
    {
        return 0x0E00_0000_0000L | (vtepIp & 0xFFFF_FFFFL);
    }

    private static boolean answer(final SocketChannel client, final String line)
    {
        try
        {
            final ByteBuffer bytes = ByteBuffer.wrap((line.replace('\n', ' ') + "\n").getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining())
            {
                client.write(bytes);
            }
            return true;
        }
        catch (final IOException gone)
        {
            return false;
        }
    }

    /** Reads one LF-terminated line byte by byte (nothing after it is consumed); null at EOF first. */
    static String readLine(final SocketChannel channel) throws IOException
    {
        final ByteBuffer one = ByteBuffer.allocate(1);
        final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
        while (true)
        {
            one.clear();
            if (channel.read(one) < 0)
            {
                return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
            }
            final byte b = one.get(0);
            if (b == '\n')
            {
                return line.toString(StandardCharsets.UTF_8);
            }
            if (line.size() >= CaptureProtocol.MAX_LINE)
            {
                throw new IOException("line longer than " + CaptureProtocol.MAX_LINE + " bytes");
            }
            line.write(b);
        }
    }

    private static void closeQuietly(final java.nio.channels.Channel channel)
    {
        if (channel == null)
        {
            return;
        }
        try
        {
            channel.close();
        }
        catch (final IOException ignored)
        {
            // Closing is all that was wanted.
        }
    }

    private static final class RequestException extends Exception
    {
        RequestException(final String message)
        {
            super(message, null, false, false);
        }
    }
}
