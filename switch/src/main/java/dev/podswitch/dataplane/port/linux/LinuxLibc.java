package dev.podswitch.dataplane.port.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The few libc calls TAP devices and the UDP underlay need, bound once through the FFM linker (Linux x86_64 ABI and
 * constants). Calls that can fail take a captured-state segment first, where the linker stores
 * {@code errno} right after the call (before the JVM can clobber it); read it with
 * {@link #errno(MemorySegment)}. Stateless: any thread.
 */
public final class LinuxLibc
{
    public static final int O_RDWR = 0x2;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_CLOEXEC = 0x80000;
    public static final int EAGAIN = 11;
    public static final int EINTR = 4;

    // _IOW('T', nr, int): direction write (1 << 30) | size 4 << 16 | 'T' << 8 | nr.
    public static final long TUNSETIFF = 0x400454CAL;
    public static final long TUNSETOFFLOAD = 0x400454D0L;
    public static final long TUNSETVNETHDRSZ = 0x400454D8L;
    public static final long TUNSETPERSIST = 0x400454CBL;
    /** TUNSETOFFLOAD bits (linux/if_tun.h): what the kernel may hand us unfinished. */
    public static final long TUN_F_CSUM = 0x01;
    public static final long TUN_F_TSO4 = 0x02;
    public static final long TUN_F_TSO6 = 0x04;
    public static final short IFF_TAP = 0x0002;
    public static final short IFF_NO_PI = 0x1000;
    public static final short IFF_VNET_HDR = 0x4000;
    /** struct ifreq: char ifr_name[IFNAMSIZ]; then a union whose first member is short ifr_flags. */
    public static final int IFNAMSIZ = 16;
    public static final int IFREQ_LENGTH = 40;
    public static final int IFREQ_FLAGS_OFFSET = IFNAMSIZ;
    /** struct iovec: void *iov_base; size_t iov_len. */
    public static final int IOVEC_LENGTH = 16;

    public static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
        CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    /** int open(const char *path, int flags). */
    public static final MethodHandle OPEN = bind("open",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    /** int close(int fd). */
    public static final MethodHandle CLOSE = bind("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    /** int ioctl(int fd, unsigned long request, void *argp) — variadic after the request. */
    public static final MethodHandle IOCTL_POINTER = bind("ioctl",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS),
        Linker.Option.firstVariadicArg(2));
    /** int ioctl(int fd, unsigned long request, unsigned long value) — for requests that take a value. */
    public static final MethodHandle IOCTL_VALUE = bind("ioctl",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
        Linker.Option.firstVariadicArg(2));
    /** ssize_t read(int fd, void *buf, size_t count). */
    public static final MethodHandle READ = bind("read",
        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    /** ssize_t readv(int fd, const struct iovec *iov, int iovcnt). */
    public static final MethodHandle READV = bind("readv",
        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    /** ssize_t writev(int fd, const struct iovec *iov, int iovcnt). */
    public static final MethodHandle WRITEV = bind("writev",
        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    // Sockets (sys/socket.h, netinet/udp.h): the UDP underlay.
    public static final int AF_INET = 2;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_NONBLOCK = 0x800;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int SOL_SOCKET = 1;
    public static final int SO_REUSEADDR = 2;
    public static final int SO_SNDBUF = 7;
    public static final int SO_RCVBUF = 8;
    public static final int SO_SNDBUFFORCE = 32;
    public static final int SO_RCVBUFFORCE = 33;
    public static final int SOL_UDP = 17;
    public static final int UDP_SEGMENT = 103;
    public static final int UDP_GRO = 104;
    public static final int MSG_DONTWAIT = 0x40;
    /** struct sockaddr_in: family, port (network order), address (network order), 8 bytes zero. */
    public static final int SOCKADDR_IN_LENGTH = 16;
    /** struct msghdr on LP64: name, namelen (+pad), iov, iovlen, control, controllen, flags (+pad). */
    public static final int MSGHDR_LENGTH = 56;
    public static final int MSGHDR_NAME = 0;
    public static final int MSGHDR_NAMELEN = 8;
    public static final int MSGHDR_IOV = 16;
    public static final int MSGHDR_IOVLEN = 24;
    public static final int MSGHDR_CONTROL = 32;
    public static final int MSGHDR_CONTROLLEN = 40;
    /** struct cmsghdr: size_t len, int level, int type, then the data (8-byte aligned). */
    public static final int CMSG_HEADER_LENGTH = 16;

    /** int socket(int domain, int type, int protocol). */
    public static final MethodHandle SOCKET = bind("socket",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    /** int bind(int fd, const struct sockaddr *address, socklen_t length). */
    public static final MethodHandle BIND = bind("bind",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    /** int setsockopt(int fd, int level, int name, const void *value, socklen_t length). */
    public static final MethodHandle SETSOCKOPT = bind("setsockopt",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    /** int getsockname(int fd, struct sockaddr *address, socklen_t *length). */
    public static final MethodHandle GETSOCKNAME = bind("getsockname",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    /** ssize_t sendmsg(int fd, const struct msghdr *message, int flags). */
    public static final MethodHandle SENDMSG = bind("sendmsg",
        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    /** ssize_t recvmsg(int fd, struct msghdr *message, int flags). */
    public static final MethodHandle RECVMSG = bind("recvmsg",
        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    // epoll (sys/epoll.h): idle node threads sleep until a TAP or the tunnel socket is readable.
    public static final int EPOLL_CLOEXEC = 0x80000;
    public static final int EPOLL_CTL_ADD = 1;
    public static final int EPOLL_CTL_DEL = 2;
    public static final int EPOLLIN = 0x001;
    /** struct epoll_event is packed on x86_64: uint32 events, then uint64 data. */
    public static final int EPOLL_EVENT_LENGTH = 12;

    /** int epoll_create1(int flags). */
    public static final MethodHandle EPOLL_CREATE1 = bind("epoll_create1",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    /** int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event). */
    public static final MethodHandle EPOLL_CTL = bind("epoll_ctl",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS));
    /** int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout_ms). */
    public static final MethodHandle EPOLL_WAIT = bind("epoll_wait",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT));

    private LinuxLibc()
    {
    }

    /**
     * Closes {@code fd} and then frees {@code arena} (the fd's preallocated call memory), once:
     * the shared last step of every native resource here.
     */
    public static void closeOnce(final int fd, final java.lang.foreign.Arena arena)
    {
        try (java.lang.foreign.Arena call = java.lang.foreign.Arena.ofConfined())
        {
            final int ignored = (int)CLOSE.invokeExact(call.allocate(CAPTURE_LAYOUT), fd);
        }
        catch (final Throwable impossible)
        {
            throw new IllegalStateException(impossible);
        }
        finally
        {
            arena.close();
        }
    }

    /** Why these bindings cannot be used on this platform (not Linux x86_64), or null. */
    public static UnsupportedOperationException unsupportedPlatform()
    {
        final String os = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT);
        final String arch = System.getProperty("os.arch", "");
        return os.contains("linux") && (arch.equals("amd64") || arch.equals("x86_64")) ? null
            : new UnsupportedOperationException("needs Linux x86_64; this is " + os + " " + arch);
    }

    /** Binds with errno capture: every handle takes the captured-state segment as its first argument. */
    private static MethodHandle bind(final String name, final FunctionDescriptor descriptor,
        final Linker.Option... extra)
    {
        final Linker.Option[] options = new Linker.Option[extra.length + 1];
        options[0] = CAPTURE_ERRNO;
        System.arraycopy(extra, 0, options, 1, extra.length);
        return LIBC.find(name)
            .map(symbol -> LINKER.downcallHandle(symbol, descriptor, options))
            .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    }

    public static int errno(final MemorySegment captured)
    {
        return (int)ERRNO.get(captured, 0L);
    }
}
