package dev.podswitch.dataplane.port.tap;

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
 * The few libc calls a TAP device needs, bound once through the FFM linker (Linux x86_64 ABI and
 * constants). Calls that can fail take a captured-state segment first, where the linker stores
 * {@code errno} right after the call (before the JVM can clobber it); read it with
 * {@link #errno(MemorySegment)}. Stateless: any thread.
 */
final class LinuxLibc
{
    static final int O_RDWR = 0x2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    static final int EAGAIN = 11;
    static final int EINTR = 4;

    // _IOW('T', nr, int): direction write (1 << 30) | size 4 << 16 | 'T' << 8 | nr.
    static final long TUNSETIFF = 0x400454CAL;
    static final long TUNSETOFFLOAD = 0x400454D0L;
    static final long TUNSETVNETHDRSZ = 0x400454D8L;
    /** TUNSETOFFLOAD bits (linux/if_tun.h): what the kernel may hand us unfinished. */
    static final long TUN_F_CSUM = 0x01;
    static final long TUN_F_TSO4 = 0x02;
    static final long TUN_F_TSO6 = 0x04;
    static final short IFF_TAP = 0x0002;
    static final short IFF_NO_PI = 0x1000;
    static final short IFF_VNET_HDR = 0x4000;
    /** struct ifreq: char ifr_name[IFNAMSIZ]; then a union whose first member is short ifr_flags. */
    static final int IFNAMSIZ = 16;
    static final int IFREQ_LENGTH = 40;
    static final int IFREQ_FLAGS_OFFSET = IFNAMSIZ;
    /** struct iovec: void *iov_base; size_t iov_len. */
    static final int IOVEC_LENGTH = 16;

    static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
        CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    /** int open(const char *path, int flags). */
    static final MethodHandle OPEN = bind("open",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    /** int close(int fd). */
    static final MethodHandle CLOSE = bind("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    /** int ioctl(int fd, unsigned long request, void *argp) — variadic after the request. */
    static final MethodHandle IOCTL_POINTER = bind("ioctl",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS),
        Linker.Option.firstVariadicArg(2));
    /** int ioctl(int fd, unsigned long request, unsigned long value) — for requests that take a value. */
    static final MethodHandle IOCTL_VALUE = bind("ioctl",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
        Linker.Option.firstVariadicArg(2));
    /** ssize_t read(int fd, void *buf, size_t count). */
    static final MethodHandle READ = bind("read",
        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    /** ssize_t writev(int fd, const struct iovec *iov, int iovcnt). */
    static final MethodHandle WRITEV = bind("writev",
        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    private LinuxLibc()
    {
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

    static int errno(final MemorySegment captured)
    {
        return (int)ERRNO.get(captured, 0L);
    }
}
