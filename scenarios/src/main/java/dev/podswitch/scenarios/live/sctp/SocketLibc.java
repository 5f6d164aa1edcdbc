package dev.podswitch.scenarios.live.sctp;

import dev.podswitch.util.Closeables;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The libc socket calls live SCTP needs, bound once through the FFM linker (Linux x86_64 ABI and
 * constants), in the style of the TAP port's binding: calls that can fail take a captured-state
 * segment first, where the linker stores {@code errno} right after the call; read it with
 * {@link #errno(MemorySegment)}. The JDK's own sockets cannot do raw IP or IPPROTO_SCTP, hence
 * this. Stateless: any thread. A socket keeps the network namespace of the thread that made it.
 */
final class SocketLibc
{
    static final int AF_INET = 2;
    static final int SOCK_STREAM = 1;
    static final int SOCK_RAW = 3;
    static final int SOCK_NONBLOCK = 0x800;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int IPPROTO_SCTP = 132;
    static final int SOL_SOCKET = 1;
    static final int SO_REUSEADDR = 2;
    static final int SO_ERROR = 4;
    static final int SHUT_RDWR = 2;
    static final short POLLIN = 0x1;
    static final short POLLOUT = 0x4;
    static final int EINTR = 4;
    static final int EINPROGRESS = 115;
    static final int ECONNREFUSED = 111;

    /** struct sockaddr_in: sa_family_t sin_family (host order); in_port_t sin_port; struct in_addr sin_addr; zero[8]. */
    static final int SOCKADDR_IN_LENGTH = 16;
    private static final ValueLayout.OfShort NET_U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt NET_U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    /** struct pollfd: int fd; short events; short revents. */
    static final int POLLFD_LENGTH = 8;

    static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final ValueLayout ADDRESS = ValueLayout.ADDRESS;

    /** int socket(int domain, int type, int protocol). */
    static final MethodHandle SOCKET = bind("socket", FunctionDescriptor.of(INT, INT, INT, INT));
    /** int bind(int fd, const struct sockaddr *addr, socklen_t len). */
    static final MethodHandle BIND = bind("bind", FunctionDescriptor.of(INT, INT, ADDRESS, INT));
    /** int listen(int fd, int backlog). */
    static final MethodHandle LISTEN = bind("listen", FunctionDescriptor.of(INT, INT, INT));
    /** int accept(int fd, struct sockaddr *addr, socklen_t *len). */
    static final MethodHandle ACCEPT = bind("accept", FunctionDescriptor.of(INT, INT, ADDRESS, ADDRESS));
    /** int connect(int fd, const struct sockaddr *addr, socklen_t len). */
    static final MethodHandle CONNECT = bind("connect", FunctionDescriptor.of(INT, INT, ADDRESS, INT));
    /** ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to, socklen_t tolen). */
    static final MethodHandle SENDTO = bind("sendto", FunctionDescriptor.of(LONG, INT, ADDRESS, LONG, INT, ADDRESS, INT));
    /** ssize_t recv(int fd, void *buf, size_t len, int flags). */
    static final MethodHandle RECV = bind("recv", FunctionDescriptor.of(LONG, INT, ADDRESS, LONG, INT));
    /** ssize_t write(int fd, const void *buf, size_t count). */
    static final MethodHandle WRITE = bind("write", FunctionDescriptor.of(LONG, INT, ADDRESS, LONG));
    /** int poll(struct pollfd *fds, nfds_t nfds, int timeout_ms). */
    static final MethodHandle POLL = bind("poll", FunctionDescriptor.of(INT, ADDRESS, LONG, INT));
    /** int setsockopt(int fd, int level, int name, const void *value, socklen_t len). */
    static final MethodHandle SETSOCKOPT = bind("setsockopt", FunctionDescriptor.of(INT, INT, INT, INT, ADDRESS, INT));
    /** int getsockopt(int fd, int level, int name, void *value, socklen_t *len). */
    static final MethodHandle GETSOCKOPT = bind("getsockopt", FunctionDescriptor.of(INT, INT, INT, INT, ADDRESS, ADDRESS));
    /** int shutdown(int fd, int how). */
    static final MethodHandle SHUTDOWN = bind("shutdown", FunctionDescriptor.of(INT, INT, INT));
    /** int close(int fd). */
    static final MethodHandle CLOSE = bind("close", FunctionDescriptor.of(INT, INT));

    private SocketLibc()
    {
    }

    private static MethodHandle bind(final String name, final FunctionDescriptor descriptor)
    {
        return LIBC.find(name)
            .map(symbol -> LINKER.downcallHandle(symbol, descriptor, CAPTURE_ERRNO))
            .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    }

    static int errno(final MemorySegment captured)
    {
        return (int)ERRNO.get(captured, 0L);
    }

    /** A sockaddr_in for an IPv4 address and port (both as plain ints, written in network order). */
    static MemorySegment sockaddrIn(final Arena arena, final int ip, final int port)
    {
        final MemorySegment address = arena.allocate(SOCKADDR_IN_LENGTH, 4);
        address.set(ValueLayout.JAVA_SHORT, 0, (short)AF_INET);
        address.set(NET_U16, 2, (short)port);
        address.set(NET_U32, 4, ip);
        return address;
    }

    /** The IPv4 address of a sockaddr_in. */
    static int sockaddrIp(final MemorySegment address)
    {
        return address.get(NET_U32, 4);
    }

    /** Waits up to {@code timeoutMs} for {@code events} on {@code fd}; returns the revents (0 on timeout or EINTR). */
    static int poll(final int fd, final short events, final int timeoutMs)
    {
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment captured = call.allocate(CAPTURE_LAYOUT);
            final MemorySegment pollfd = call.allocate(POLLFD_LENGTH, 4);
            pollfd.set(ValueLayout.JAVA_INT, 0, fd);
            pollfd.set(ValueLayout.JAVA_SHORT, 4, events);
            final int ready = (int)POLL.invokeExact(captured, pollfd, 1L, timeoutMs);
            if (ready < 0 && errno(captured) != EINTR)
            {
                throw new IllegalStateException("poll failed: errno " + errno(captured));
            }
            return ready <= 0 ? 0 : pollfd.get(ValueLayout.JAVA_SHORT, 6) & 0xFFFF;
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

    /** Closes a descriptor, ignoring the result: nothing useful can be done about a failed close. */
    static void closeQuietly(final int fd)
    {
        Closeables.closeQuietly(() -> close(fd));
    }

    private static void close(final int fd) throws Exception
    {
        try (Arena call = Arena.ofConfined())
        {
            final int ignored = (int)CLOSE.invokeExact(call.allocate(CAPTURE_LAYOUT), fd);
        }
        catch (final Throwable failed)
        {
            throw failed instanceof final Exception exception ? exception : new Exception(failed);
        }
    }
}
