package dev.podswitch.dataplane.port.tunnel;

import dev.podswitch.dataplane.packet.PacketBytes;
import dev.podswitch.dataplane.packet.VxlanFlyweight;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;

import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real UDP underlay through Netty's native epoll datagram transport, or its NIO one: each VTEP
 * binds its IP on UDP 4789 to receive, and sends from a small pool of
 * sockets whose ephemeral ports stand for the flow hash — a kernel UDP socket cannot pick its
 * source port per packet, so the hash selects a socket. In one JVM, nodes use loopback addresses
 * (127.x.y.z), which Linux routes without any configuration.
 *
 * <p>Sends are queued from the pipeline thread and flushed once per batch; receives run on a
 * Netty event-loop thread and go straight to the tunnel port, which copies into the node's ring.
 * Each send allocates a buffer and a datagram: this is the portable underlay ({@code
 * ClusterOptions.Underlay.NETTY}, and {@code UDP} where {@link NativeUdpUnderlay} is unavailable),
 * not the fast one.
 *
 * <p>Senders it believes: as {@link NativeUdpUnderlay} — from one of its VTEP addresses only from
 * that VTEP's sending ports, from another loopback address never, from an external peer by its
 * address ({@link VtepSenders}). The sending channels never deliver what reaches them: only the
 * VTEP's port is a VXLAN endpoint.
 */
public final class EpollUnderlay implements VxlanUnderlay
{
    private static final int SENDERS_PER_VTEP = 4;

    private final EventLoopGroup group;
    private final boolean epoll;
    private final int port;
    private final VtepSenders believed = new VtepSenders();
    private final Map<Integer, Vtep> vteps = new ConcurrentHashMap<>();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();

    private record Vtep(Channel receiver, Channel[] senders, Map<Integer, InetSocketAddress> addressByIp)
    {
    }

    /**
     * @param port  the UDP port every VTEP listens on: 4789 in production, another for parallel tests.
     * @param epoll the native epoll transport (Linux); false: Java NIO, which runs anywhere.
     * @throws IllegalStateException when epoll is asked for and not available, with Netty's cause.
     */
    public EpollUnderlay(final int port, final boolean epoll)
    {
        if (epoll && !Epoll.isAvailable())
        {
            throw new IllegalStateException("Netty's epoll transport is unavailable: "
                + Epoll.unavailabilityCause().getMessage(), Epoll.unavailabilityCause());
        }
        this.port = port;
        this.epoll = epoll;
        this.group = new MultiThreadIoEventLoopGroup(1, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    }

    /** On UDP 4789, through epoll where it is available, else NIO. */
    public EpollUnderlay()
    {
        this(VxlanFlyweight.UDP_PORT, Epoll.isAvailable());
    }

    /** Why the native transport is not in use, or null when it is. */
    public static Throwable nativeUnavailabilityCause()
    {
        return Epoll.isAvailable() ? null : Epoll.unavailabilityCause();
    }

    @Override
    public void bind(final int localVtepIp, final VxlanReceiver receiver)
    {
        final InetAddress address = toAddress(localVtepIp);
        final Channel receiveChannel = bootstrap(new Receiver(localVtepIp, receiver))
            .bind(new InetSocketAddress(address, port)).syncUninterruptibly().channel();
        final Channel[] senders = new Channel[SENDERS_PER_VTEP];
        final int[] sourcePorts = new int[SENDERS_PER_VTEP];
        for (int i = 0; i < senders.length; i++)
        {
            senders[i] = bootstrap(DISCARD).bind(new InetSocketAddress(address, 0)).syncUninterruptibly().channel();
            sourcePorts[i] = ((InetSocketAddress)senders[i].localAddress()).getPort();
        }
        believed.add(localVtepIp, sourcePorts);
        vteps.put(localVtepIp, new Vtep(receiveChannel, senders, new ConcurrentHashMap<>()));
    }

    @Override
    public int[] sourcePorts(final int localVtepIp)
    {
        return believed.portsOf(localVtepIp);
    }

    private Bootstrap bootstrap(final ChannelHandler handler)
    {
        return new Bootstrap()
            .group(group)
            .channel(epoll ? EpollDatagramChannel.class : NioDatagramChannel.class)
            .option(ChannelOption.SO_RCVBUF, 4 << 20)
            .option(ChannelOption.SO_SNDBUF, 4 << 20)
            .handler(handler);
    }

    @Override
    public boolean send(final int localVtepIp, final int remoteVtepIp, final int sourcePort, final MemorySegment outerFrame,
        final long offset, final int length)
    {
        final Vtep vtep = vteps.get(localVtepIp);
        if (vtep == null)
        {
            return false;
        }
        final Channel sender = vtep.senders()[sourcePort % SENDERS_PER_VTEP];
        final int payloadLength = length - TunnelPort.OUTER_UDP_PAYLOAD_OFFSET;
        final ByteBuf buffer = sender.alloc().directBuffer(payloadLength);
        buffer.writeBytes(outerFrame.asSlice(offset + TunnelPort.OUTER_UDP_PAYLOAD_OFFSET, payloadLength).asByteBuffer());
        final InetSocketAddress recipient = vtep.addressByIp()
            .computeIfAbsent(remoteVtepIp, ip -> new InetSocketAddress(toAddress(ip), port));
        sent.incrementAndGet();
        sender.write(new DatagramPacket(buffer, recipient), sender.voidPromise());
        return true;
    }

    @Override
    public void flush(final int localVtepIp)
    {
        final Vtep vtep = vteps.get(localVtepIp);
        if (vtep != null)
        {
            for (final Channel sender : vtep.senders())
            {
                sender.flush();
            }
        }
    }

    @Override
    public long sentCount()
    {
        return sent.get();
    }

    @Override
    public long deliveredCount()
    {
        return delivered.get();
    }

    /** Closes every VTEP's sockets and stops the event loop; sends are refused from then on. */
    @Override
    public void close()
    {
        for (final Vtep vtep : vteps.values())
        {
            vtep.receiver().close().syncUninterruptibly();
            for (final Channel sender : vtep.senders())
            {
                sender.close().syncUninterruptibly();
            }
        }
        vteps.clear();
        believed.clear();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static InetAddress toAddress(final int ip)
    {
        try
        {
            return InetAddress.getByAddress(new byte[] {(byte)(ip >>> 24), (byte)(ip >>> 16), (byte)(ip >>> 8), (byte)ip});
        }
        catch (final UnknownHostException impossible)
        {
            throw new IllegalStateException(PacketBytes.ipToString(ip), impossible);
        }
    }

    private final class Receiver extends SimpleChannelInboundHandler<DatagramPacket>
    {
        private final int localVtepIp;
        private final VxlanReceiver receiver;

        Receiver(final int localVtepIp, final VxlanReceiver receiver)
        {
            this.localVtepIp = localVtepIp;
            this.receiver = receiver;
        }

        @Override
        protected void channelRead0(final ChannelHandlerContext context, final DatagramPacket packet)
        {
            final ByteBuf content = packet.content();
            final InetSocketAddress from = packet.sender();
            final byte[] sender = from.getAddress().getAddress();
            final int senderIp = ((sender[0] & 0xFF) << 24) | ((sender[1] & 0xFF) << 16) | ((sender[2] & 0xFF) << 8)
                | (sender[3] & 0xFF);
            if (!believed.admits(senderIp, from.getPort()))
            {
                receiver.onForgedSender(senderIp, 1);
                return;
            }
            final MemorySegment payload = MemorySegment.ofBuffer(content.nioBuffer());
            receiver.onVxlanPayload(senderIp, payload, 0, content.readableBytes());
            // Counted after the frame is in the ring, so "sent == delivered" implies "visible in a ring".
            delivered.incrementAndGet();
        }
    }

    /** What a sending channel does with a datagram sent to it: releases it (it is no VXLAN endpoint). */
    @ChannelHandler.Sharable
    private static final class Discard extends SimpleChannelInboundHandler<DatagramPacket>
    {
        @Override
        protected void channelRead0(final ChannelHandlerContext context, final DatagramPacket packet)
        {
        }
    }

    private static final Discard DISCARD = new Discard();

    @Override
    public String toString()
    {
        return "EpollUnderlay{port=" + port + ", " + (epoll ? "epoll" : "nio") + ", vteps=" + vteps.size() + "}";
    }
}
