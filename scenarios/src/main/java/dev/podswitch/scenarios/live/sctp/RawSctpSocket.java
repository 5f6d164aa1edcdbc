package dev.podswitch.scenarios.live.sctp;

import java.io.Closeable;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A raw IPv4 socket for protocol 132: {@code socket(AF_INET, SOCK_RAW, IPPROTO_SCTP)}. It receives
 * a copy of every SCTP packet delivered to its network namespace, IPv4 header included; it sends
 * SCTP packets (common header and chunks) for which the kernel writes the IPv4 header, choosing
 * the source address by its routes. It needs CAP_NET_RAW.
 *
 * <p>Why raw: this kernel may have no SCTP at all. A kernel without an SCTP protocol handler
 * delivers protocol-132 packets only to raw sockets, and — because a raw socket took the packet —
 * sends no ICMP protocol unreachable for it either; a kernel with SCTP would answer each packet
 * itself as well, so the raw path is only used when it has none (see {@link LiveSctp}).
 *
 * <p>Threads: one thread receives, sends and finally closes it; {@link #wakeUp()} may be called
 * from any other thread to make that thread's {@link #receive} return.
 */
final class RawSctpSocket implements Closeable
{
    private final int fd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment captured = arena.allocate(SocketLibc.CAPTURE_LAYOUT);
    private final AtomicBoolean wakingUp = new AtomicBoolean();
    private volatile boolean closed;

    private RawSctpSocket(final int fd)
    {
        this.fd = fd;
    }

    /** Opens one in the calling thread's network namespace. */
    static RawSctpSocket open()
    {
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment errno = call.allocate(SocketLibc.CAPTURE_LAYOUT);
            final int fd = (int)SocketLibc.SOCKET.invokeExact(errno, SocketLibc.AF_INET,
                SocketLibc.SOCK_RAW | SocketLibc.SOCK_CLOEXEC, SocketLibc.IPPROTO_SCTP);
            if (fd < 0)
            {
                throw new IllegalStateException("socket(AF_INET, SOCK_RAW, IPPROTO_SCTP) failed: errno "
                    + SocketLibc.errno(errno) + " (raw sockets need CAP_NET_RAW)");
            }
            return new RawSctpSocket(fd);
        }
        catch (final RuntimeException | Error failed)
        {
            throw failed;
        }
        catch (final Throwable impossible)
        {
            throw new IllegalStateException(impossible);
        }
    }

    /**
     * Sends {@code length} bytes of {@code packet} (an SCTP packet, no IP header) to {@code destinationIp}.
     *
     * @return false when the kernel refused it (no route, buffer full): the caller treats it as lost.
     */
    boolean send(final int destinationIp, final MemorySegment packet, final int length)
    {
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment to = SocketLibc.sockaddrIn(call, destinationIp, 0);
            final long sent = (long)SocketLibc.SENDTO.invokeExact(captured, fd, packet, (long)length, 0, to,
                SocketLibc.SOCKADDR_IN_LENGTH);
            return sent == length;
        }
        catch (final RuntimeException | Error failed)
        {
            throw failed;
        }
        catch (final Throwable impossible)
        {
            throw new IllegalStateException(impossible);
        }
    }

    /**
     * Waits up to {@code timeoutMs} for one packet and copies it (IPv4 header first) into {@code buffer}.
     *
     * @return its length (cut at the buffer's size), 0 when nothing came in time, -1 once woken up or closed.
     */
    int receive(final MemorySegment buffer, final int timeoutMs)
    {
        if (closed)
        {
            return -1;
        }
        final int ready = SocketLibc.poll(fd, SocketLibc.POLLIN, timeoutMs);
        if (closed)
        {
            return -1;
        }
        if ((ready & SocketLibc.POLLIN) == 0)
        {
            return 0;
        }
        try
        {
            final long received = (long)SocketLibc.RECV.invokeExact(captured, fd, buffer, buffer.byteSize(), 0);
            return received < 0 ? 0 : (int)received;
        }
        catch (final RuntimeException | Error failed)
        {
            throw failed;
        }
        catch (final Throwable impossible)
        {
            throw new IllegalStateException(impossible);
        }
    }

    /**
     * Makes a blocked or later {@link #receive} return -1: shutdown wakes poll at once (else the
     * poll timeout does, later). Any thread, any number of times. The flag is set only after the
     * shutdown, so the receiving thread — which closes the socket once it sees the flag — never
     * closes the descriptor under this call.
     */
    void wakeUp()
    {
        if (!wakingUp.compareAndSet(false, true))
        {
            return;
        }
        try (Arena call = Arena.ofConfined())
        {
            final int ignored = (int)SocketLibc.SHUTDOWN.invokeExact(call.allocate(SocketLibc.CAPTURE_LAYOUT), fd,
                SocketLibc.SHUT_RDWR);
        }
        catch (final Throwable ignored)
        {
            // Shutting a raw socket down only wakes its poller; the poll timeout does the same, later.
        }
        closed = true;
    }

    @Override
    public void close()
    {
        closed = true;
        SocketLibc.closeQuietly(fd);
        arena.close();
    }
}
