package dev.podswitch.dataplane.port.tunnel;

import dev.podswitch.dataplane.packet.PacketBytes;
import dev.podswitch.dataplane.port.linux.LinuxLibc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A non-blocking kernel UDP socket through the FFM API, with the two Linux features that make a
 * userspace VXLAN endpoint fast: UDP GSO on send ({@code UDP_SEGMENT}: one {@code sendmsg} carries
 * a train of equally sized datagrams, which the kernel cuts — or, on loopback, hands over whole) and
 * UDP GRO on receive ({@code UDP_GRO}: one {@code recvmsg} returns a train of datagrams from one
 * sender, with their size in a control message).
 *
 * <p>Threads: {@link #send} on one thread, {@link #receive} on one thread (the same or another);
 * each direction has its own preallocated message header, address, iovec and control memory, so
 * neither allocates. {@link #close} once neither runs any more.
 */
final class UdpSocket implements AutoCloseable
{
    /** {@link #receive} result: nothing waiting. */
    static final int AGAIN = -1;
    /** {@link #receive} result: the call failed; see {@link #lastErrno()}. */
    static final int ERROR = -2;
    /** The largest UDP payload over IPv4 (65,535 - 20 - 8). */
    static final int MAX_PAYLOAD = 65_507;
    /** UDP_MAX_SEGMENTS in older kernels: the most datagrams one GSO send may carry. */
    static final int MAX_SEGMENTS = 64;
    private static final ValueLayout.OfShort U16_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt U32_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final int CONTROL_LENGTH = 64;
    private static final int EAGAIN = 11;
    private static final int EINTR = 4;

    private final int fd;
    private final int localPort;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment sendErrno = arena.allocate(LinuxLibc.CAPTURE_LAYOUT);
    private final MemorySegment sendMessage = arena.allocate(LinuxLibc.MSGHDR_LENGTH, 8);
    private final MemorySegment sendAddress = arena.allocate(LinuxLibc.SOCKADDR_IN_LENGTH, 8);
    private final MemorySegment sendIovec = arena.allocate(LinuxLibc.IOVEC_LENGTH, 8);
    private final MemorySegment sendControl = arena.allocate(CONTROL_LENGTH, 8);
    private final MemorySegment receiveErrno = arena.allocate(LinuxLibc.CAPTURE_LAYOUT);
    private final MemorySegment receiveMessage = arena.allocate(LinuxLibc.MSGHDR_LENGTH, 8);
    private final MemorySegment receiveAddress = arena.allocate(LinuxLibc.SOCKADDR_IN_LENGTH, 8);
    private final MemorySegment receiveIovec = arena.allocate(LinuxLibc.IOVEC_LENGTH, 8);
    private final MemorySegment receiveControl = arena.allocate(CONTROL_LENGTH, 8);
    private int lastSenderIp;
    private int lastSenderPort;
    private int lastSegmentSize;
    private int lastErrno;
    private boolean closed;

    private UdpSocket(final int fd, final int localPort)
    {
        this.fd = fd;
        this.localPort = localPort;
        sendAddress.set(ValueLayout.JAVA_SHORT, 0, (short)LinuxLibc.AF_INET);
        sendMessage.set(ValueLayout.ADDRESS, LinuxLibc.MSGHDR_NAME, sendAddress);
        sendMessage.set(ValueLayout.JAVA_INT, LinuxLibc.MSGHDR_NAMELEN, LinuxLibc.SOCKADDR_IN_LENGTH);
        sendMessage.set(ValueLayout.ADDRESS, LinuxLibc.MSGHDR_IOV, sendIovec);
        sendMessage.set(ValueLayout.JAVA_LONG, LinuxLibc.MSGHDR_IOVLEN, 1);
        // One UDP_SEGMENT control message, filled in per send (its length says whether it is there).
        sendControl.set(ValueLayout.JAVA_LONG, 0, LinuxLibc.CMSG_HEADER_LENGTH + 2);
        sendControl.set(ValueLayout.JAVA_INT, 8, LinuxLibc.SOL_UDP);
        sendControl.set(ValueLayout.JAVA_INT, 12, LinuxLibc.UDP_SEGMENT);
        receiveMessage.set(ValueLayout.ADDRESS, LinuxLibc.MSGHDR_IOV, receiveIovec);
        receiveMessage.set(ValueLayout.JAVA_LONG, LinuxLibc.MSGHDR_IOVLEN, 1);
    }

    /**
     * Opens a socket bound to {@code ip}:{@code port} (0: an ephemeral port).
     *
     * @param gro          receive trains of datagrams (UDP_GRO).
     * @param bufferBytes  send and receive buffer size (forced past the sysctl limits when root).
     * @throws IllegalStateException naming the call and errno when the kernel refuses.
     */
    static UdpSocket open(final int ip, final int port, final boolean gro, final int bufferBytes)
    {
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment errno = call.allocate(LinuxLibc.CAPTURE_LAYOUT);
            final int fd = (int)LinuxLibc.SOCKET.invokeExact(errno, LinuxLibc.AF_INET,
                LinuxLibc.SOCK_DGRAM | LinuxLibc.SOCK_NONBLOCK | LinuxLibc.SOCK_CLOEXEC, 0);
            check(fd, errno, "socket(AF_INET, SOCK_DGRAM)");
            try
            {
                final MemorySegment value = call.allocateFrom(ValueLayout.JAVA_INT, bufferBytes);
                if ((int)LinuxLibc.SETSOCKOPT.invokeExact(errno, fd, LinuxLibc.SOL_SOCKET, LinuxLibc.SO_RCVBUFFORCE, value, 4) < 0)
                {
                    final int ignored = (int)LinuxLibc.SETSOCKOPT.invokeExact(errno, fd, LinuxLibc.SOL_SOCKET,
                        LinuxLibc.SO_RCVBUF, value, 4);
                }
                if ((int)LinuxLibc.SETSOCKOPT.invokeExact(errno, fd, LinuxLibc.SOL_SOCKET, LinuxLibc.SO_SNDBUFFORCE, value, 4) < 0)
                {
                    final int ignored = (int)LinuxLibc.SETSOCKOPT.invokeExact(errno, fd, LinuxLibc.SOL_SOCKET,
                        LinuxLibc.SO_SNDBUF, value, 4);
                }
                if (gro)
                {
                    final MemorySegment on = call.allocateFrom(ValueLayout.JAVA_INT, 1);
                    check((int)LinuxLibc.SETSOCKOPT.invokeExact(errno, fd, LinuxLibc.SOL_UDP, LinuxLibc.UDP_GRO, on, 4),
                        errno, "setsockopt(UDP_GRO)");
                }
                final MemorySegment address = call.allocate(LinuxLibc.SOCKADDR_IN_LENGTH, 8);
                writeAddress(address, ip, port);
                check((int)LinuxLibc.BIND.invokeExact(errno, fd, address, LinuxLibc.SOCKADDR_IN_LENGTH), errno,
                    "bind(" + PacketBytes.ipToString(ip) + ":" + port + ")");
                final MemorySegment length = call.allocateFrom(ValueLayout.JAVA_INT, LinuxLibc.SOCKADDR_IN_LENGTH);
                check((int)LinuxLibc.GETSOCKNAME.invokeExact(errno, fd, address, length), errno, "getsockname");
                return new UdpSocket(fd, address.get(U16_BE, 2) & 0xFFFF);
            }
            catch (final RuntimeException | Error failed)
            {
                final int ignored = (int)LinuxLibc.CLOSE.invokeExact(errno, fd);
                throw failed;
            }
        }
        catch (final RuntimeException | Error failed)
        {
            throw failed;
        }
        catch (final Throwable unexpected)
        {
            throw new IllegalStateException("cannot open a UDP socket on " + PacketBytes.ipToString(ip), unexpected);
        }
    }

    private static void check(final int result, final MemorySegment errno, final String what)
    {
        if (result < 0)
        {
            final int code = LinuxLibc.errno(errno);
            throw new IllegalStateException(what + " failed: errno " + code
                + (code == 98 ? " (EADDRINUSE: another VXLAN endpoint or kernel vxlan device holds the port)" : "")
                + (code == 99 ? " (EADDRNOTAVAIL: the address is not on this host)" : ""));
        }
    }

    private static void writeAddress(final MemorySegment address, final int ip, final int port)
    {
        address.set(ValueLayout.JAVA_SHORT, 0, (short)LinuxLibc.AF_INET);
        address.set(U16_BE, 2, (short)port);
        address.set(U32_BE, 4, ip);
    }

    int fd()
    {
        return fd;
    }

    int localPort()
    {
        return localPort;
    }

    /**
     * Sends {@code length} bytes to {@code ip}:{@code port}: one datagram, or — when
     * {@code segmentSize} is positive and smaller than {@code length} — a train of datagrams of
     * {@code segmentSize} bytes each (the last may be shorter) in one call.
     *
     * @return false when the kernel did not take it (buffer full, unreachable); see {@link #lastErrno()}.
     */
    boolean send(final int ip, final int port, final MemorySegment payload, final long offset, final int length,
        final int segmentSize)
    {
        sendAddress.set(U16_BE, 2, (short)port);
        sendAddress.set(U32_BE, 4, ip);
        sendIovec.set(ValueLayout.JAVA_LONG, 0, payload.address() + offset);
        sendIovec.set(ValueLayout.JAVA_LONG, 8, length);
        if (segmentSize > 0 && segmentSize < length)
        {
            sendControl.set(ValueLayout.JAVA_SHORT, LinuxLibc.CMSG_HEADER_LENGTH, (short)segmentSize);
            sendMessage.set(ValueLayout.ADDRESS, LinuxLibc.MSGHDR_CONTROL, sendControl);
            sendMessage.set(ValueLayout.JAVA_LONG, LinuxLibc.MSGHDR_CONTROLLEN, LinuxLibc.CMSG_HEADER_LENGTH + 8);
        }
        else
        {
            sendMessage.set(ValueLayout.ADDRESS, LinuxLibc.MSGHDR_CONTROL, MemorySegment.NULL);
            sendMessage.set(ValueLayout.JAVA_LONG, LinuxLibc.MSGHDR_CONTROLLEN, 0);
        }
        final long sent;
        try
        {
            sent = (long)LinuxLibc.SENDMSG.invokeExact(sendErrno, fd, sendMessage, LinuxLibc.MSG_DONTWAIT);
        }
        catch (final Throwable impossible)
        {
            throw new IllegalStateException(impossible);
        }
        if (sent == length)
        {
            return true;
        }
        lastErrno = sent < 0 ? LinuxLibc.errno(sendErrno) : 0;
        return false;
    }

    /**
     * Receives one datagram — or, with GRO, a train of them from one sender — into {@code buffer}.
     *
     * @return the bytes received, {@link #AGAIN} or {@link #ERROR}; then {@link #lastSenderIp()},
     *         {@link #lastSenderPort()} and {@link #lastSegmentSize()} (0 for a single datagram)
     *         describe it.
     */
    int receive(final MemorySegment buffer)
    {
        receiveMessage.set(ValueLayout.ADDRESS, LinuxLibc.MSGHDR_NAME, receiveAddress);
        receiveMessage.set(ValueLayout.JAVA_INT, LinuxLibc.MSGHDR_NAMELEN, LinuxLibc.SOCKADDR_IN_LENGTH);
        receiveMessage.set(ValueLayout.ADDRESS, LinuxLibc.MSGHDR_CONTROL, receiveControl);
        receiveMessage.set(ValueLayout.JAVA_LONG, LinuxLibc.MSGHDR_CONTROLLEN, CONTROL_LENGTH);
        receiveIovec.set(ValueLayout.JAVA_LONG, 0, buffer.address());
        receiveIovec.set(ValueLayout.JAVA_LONG, 8, buffer.byteSize());
        final long received;
        try
        {
            received = (long)LinuxLibc.RECVMSG.invokeExact(receiveErrno, fd, receiveMessage, LinuxLibc.MSG_DONTWAIT);
        }
        catch (final Throwable impossible)
        {
            throw new IllegalStateException(impossible);
        }
        if (received < 0)
        {
            lastErrno = LinuxLibc.errno(receiveErrno);
            return lastErrno == EAGAIN || lastErrno == EINTR ? AGAIN : ERROR;
        }
        lastSenderIp = receiveAddress.get(U32_BE, 4);
        lastSenderPort = receiveAddress.get(U16_BE, 2) & 0xFFFF;
        lastSegmentSize = 0;
        final long controlLength = receiveMessage.get(ValueLayout.JAVA_LONG, LinuxLibc.MSGHDR_CONTROLLEN);
        long cmsg = 0;
        while (cmsg + LinuxLibc.CMSG_HEADER_LENGTH <= controlLength)
        {
            final long length = receiveControl.get(ValueLayout.JAVA_LONG, cmsg);
            if (length < LinuxLibc.CMSG_HEADER_LENGTH)
            {
                break;
            }
            if (receiveControl.get(ValueLayout.JAVA_INT, cmsg + 8) == LinuxLibc.SOL_UDP
                && receiveControl.get(ValueLayout.JAVA_INT, cmsg + 12) == LinuxLibc.UDP_GRO)
            {
                lastSegmentSize = receiveControl.get(ValueLayout.JAVA_INT, cmsg + LinuxLibc.CMSG_HEADER_LENGTH);
            }
            cmsg += (length + 7) & ~7L;
        }
        return (int)received;
    }

    int lastSenderIp()
    {
        return lastSenderIp;
    }

    int lastSenderPort()
    {
        return lastSenderPort;
    }

    /** The size of each datagram of the last train received, or 0 when it was a single datagram. */
    int lastSegmentSize()
    {
        return lastSegmentSize;
    }

    int lastErrno()
    {
        return lastErrno;
    }

    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        LinuxLibc.closeOnce(fd, arena);
    }
}
