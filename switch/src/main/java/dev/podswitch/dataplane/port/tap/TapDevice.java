package dev.podswitch.dataplane.port.tap;

import dev.podswitch.dataplane.port.linux.LinuxLibc;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A Linux TAP device, opened through {@code /dev/net/tun} with the FFM API: a non-blocking fd on
 * which every read returns one Ethernet frame and every write sends one, each prefixed by a
 * {@link VirtioNetHeader}. The device exists while the fd is open (not persistent): closing it
 * removes the link, wherever it was moved to.
 *
 * <p>{@link #open} only ever creates (IFF_TUN_EXCL): if any link of that name exists — a TAP left
 * persistent by an agent, one somebody else made and may still hold — it fails with EBUSY instead
 * of attaching the switch to a device it did not make. Attaching to an existing persistent TAP is
 * {@link #reattach}, for an agent taking its own pods back after a restart; the kernel refuses it
 * with EBUSY while another fd holds the device (a single-queue TAP has one reader).
 *
 * <p>Offloads (TUNSETOFFLOAD CSUM | TSO4 | TSO6, the default): the pod's kernel hands over TCP
 * super-frames of up to 64 KiB with a partial checksum, described by the virtio-net header, and
 * the switch forwards one of those where it would forward ~45 MTU-sized frames — the difference
 * between ~1 and ~10 Gbit/s for a userspace switch. Frames written carry their offload request in
 * the header, so a super-frame crosses from one TAP to another whole and the receiving kernel
 * finishes it. {@link #open(String, boolean)} with {@code false} turns offloads off: complete,
 * MTU-sized frames only (for comparison runs).
 *
 * <p>Threads: {@link #read} on one thread, {@link #write} on one thread (the same or another);
 * each has its own preallocated errno and iovec memory, so neither allocates.
 * Lifecycle: {@link #open}, then I/O, then {@link #close} once no thread reads or writes any more.
 */
public final class TapDevice implements AutoCloseable
{
    /** {@link #read} result: no frame waiting (EAGAIN). */
    public static final int READ_AGAIN = -1;
    /** {@link #read} result: the read failed; see {@link #lastReadErrno()}. */
    public static final int READ_ERROR = -2;
    public static final int MAX_NAME_LENGTH = LinuxLibc.IFNAMSIZ - 1;
    private static final int CAP_NET_ADMIN = 12;
    /** linux/if_tun.h: TUNSETIFF fails with EBUSY when a link of that name already exists. */
    private static final short IFF_TUN_EXCL = (short)0x8000;
    private static final int EBUSY = 16;
    private static final Throwable UNAVAILABILITY_CAUSE = probe();
    private static final MemorySegment ZERO_HEADER = Arena.global().allocate(VirtioNetHeader.LENGTH, 8);

    private final String name;
    private final int fd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment readErrno = arena.allocate(LinuxLibc.CAPTURE_LAYOUT);
    private final MemorySegment writeErrno = arena.allocate(LinuxLibc.CAPTURE_LAYOUT);
    private final MemorySegment iovecs = arena.allocate(2L * LinuxLibc.IOVEC_LENGTH, 8);
    private final MemorySegment writeHeader = arena.allocate(VirtioNetHeader.LENGTH, 8);
    private final MemorySegment readIovecs = arena.allocate(2L * LinuxLibc.IOVEC_LENGTH, 8);
    private final boolean offloads;
    private int lastReadErrno;
    private int lastWriteErrno;
    private boolean closed;

    private TapDevice(final String name, final int fd, final boolean offloads)
    {
        this.name = name;
        this.fd = fd;
        this.offloads = offloads;
        iovecs.set(ValueLayout.ADDRESS, 0, ZERO_HEADER);
        iovecs.set(ValueLayout.JAVA_LONG, 8, VirtioNetHeader.LENGTH);
    }

    public static boolean isAvailable()
    {
        return UNAVAILABILITY_CAUSE == null;
    }

    /** Why TAP devices cannot be used here (not Linux x86_64, no /dev/net/tun, no CAP_NET_ADMIN), or null. */
    public static Throwable unavailabilityCause()
    {
        return UNAVAILABILITY_CAUSE;
    }

    /**
     * Creates the TAP device {@code name} in the caller's network namespace, with offloads.
     *
     * @throws IllegalStateException with the errno when the kernel refuses (EBUSY: a link with that
     *         name exists; EPERM: not permitted).
     */
    public static TapDevice open(final String name)
    {
        return open(name, true);
    }

    /** As {@link #open(String)}; {@code offloads} false asks the kernel for complete frames only. */
    public static TapDevice open(final String name, final boolean offloads)
    {
        return open(name, offloads, true);
    }

    /**
     * Attaches to the existing persistent TAP {@code name} (see {@link #persistent}) in the caller's
     * namespace. Check that the link exists first: like {@code open} without IFF_TUN_EXCL, this makes
     * a new device when there is none.
     *
     * @throws IllegalStateException with the errno when the kernel refuses (EBUSY: another fd holds
     *         the device, e.g. a running agent).
     */
    public static TapDevice reattach(final String name, final boolean offloads)
    {
        return open(name, offloads, false);
    }

    private static TapDevice open(final String name, final boolean offloads, final boolean exclusive)
    {
        if (!isAvailable())
        {
            throw new IllegalStateException("TAP devices are unavailable: " + UNAVAILABILITY_CAUSE.getMessage(),
                UNAVAILABILITY_CAUSE);
        }
        final byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
        if (nameBytes.length == 0 || nameBytes.length > MAX_NAME_LENGTH)
        {
            throw new IllegalArgumentException("TAP name '" + name + "' must be 1.." + MAX_NAME_LENGTH + " characters");
        }
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment errno = call.allocate(LinuxLibc.CAPTURE_LAYOUT);
            final int fd = (int)LinuxLibc.OPEN.invokeExact(errno, call.allocateFrom("/dev/net/tun"),
                LinuxLibc.O_RDWR | LinuxLibc.O_NONBLOCK | LinuxLibc.O_CLOEXEC);
            check(fd, errno, "open /dev/net/tun");
            try
            {
                final MemorySegment ifreq = call.allocate(LinuxLibc.IFREQ_LENGTH, 8);
                MemorySegment.copy(nameBytes, 0, ifreq, ValueLayout.JAVA_BYTE, 0, nameBytes.length);
                ifreq.set(ValueLayout.JAVA_SHORT, LinuxLibc.IFREQ_FLAGS_OFFSET,
                    (short)(LinuxLibc.IFF_TAP | LinuxLibc.IFF_NO_PI | LinuxLibc.IFF_VNET_HDR
                        | (exclusive ? IFF_TUN_EXCL : 0)));
                final int attached = (int)LinuxLibc.IOCTL_POINTER.invokeExact(errno, fd, LinuxLibc.TUNSETIFF, ifreq);
                if (attached < 0 && LinuxLibc.errno(errno) == EBUSY)
                {
                    throw new IllegalStateException("ioctl(TUNSETIFF, " + name + ") failed: errno " + EBUSY
                        + (exclusive ? " (EBUSY: a link named " + name + " exists; podswitch only creates TAPs)"
                            : " (EBUSY: another process holds TAP " + name + ")"));
                }
                check(attached, errno, "ioctl(TUNSETIFF, " + name + ")");
                final MemorySegment headerSize = call.allocateFrom(ValueLayout.JAVA_INT, VirtioNetHeader.LENGTH);
                check((int)LinuxLibc.IOCTL_POINTER.invokeExact(errno, fd, LinuxLibc.TUNSETVNETHDRSZ, headerSize), errno,
                    "ioctl(TUNSETVNETHDRSZ, " + VirtioNetHeader.LENGTH + ")");
                final long offloadBits = offloads ? LinuxLibc.TUN_F_CSUM | LinuxLibc.TUN_F_TSO4 | LinuxLibc.TUN_F_TSO6 : 0L;
                check((int)LinuxLibc.IOCTL_VALUE.invokeExact(errno, fd, LinuxLibc.TUNSETOFFLOAD, offloadBits), errno,
                    "ioctl(TUNSETOFFLOAD, " + offloadBits + ")");
                return new TapDevice(name, fd, offloads);
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
            throw new IllegalStateException("cannot open TAP " + name, unexpected);
        }
    }

    private static void check(final int result, final MemorySegment errno, final String what)
    {
        if (result < 0)
        {
            final int code = LinuxLibc.errno(errno);
            final String hint = code == 1 ? " (EPERM: needs root or CAP_NET_ADMIN)" : "";
            throw new IllegalStateException(what + " failed: errno " + code + hint);
        }
    }

    public String name()
    {
        return name;
    }

    /**
     * Makes the device outlive this fd (TUNSETPERSIST): a CNI attachment's interface must survive an
     * agent restart, after which {@link #open} in the pod's namespace attaches to it again by name.
     * {@code false} undoes it, so closing the fd removes the device.
     */
    public void persistent(final boolean persistent)
    {
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment errno = call.allocate(LinuxLibc.CAPTURE_LAYOUT);
            check((int)LinuxLibc.IOCTL_VALUE.invokeExact(errno, fd, LinuxLibc.TUNSETPERSIST, persistent ? 1L : 0L), errno,
                "ioctl(TUNSETPERSIST, " + persistent + ")");
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

    /** The device's fd, readable when the pod sent a frame (for the node's epoll set). */
    public int fd()
    {
        return fd;
    }

    /** Whether the kernel may hand over (and this device writes) frames with offload requests. */
    public boolean offloads()
    {
        return offloads;
    }

    /**
     * Reads one frame, virtio-net header first, into {@code buffer} (its whole size is offered).
     *
     * @return the bytes read including the header, {@link #READ_AGAIN} when nothing is waiting,
     *         or {@link #READ_ERROR}.
     */
    public int read(final MemorySegment buffer)
    {
        final long result;
        try
        {
            result = (long)LinuxLibc.READ.invokeExact(readErrno, fd, buffer, buffer.byteSize());
        }
        catch (final Throwable impossible)
        {
            throw new IllegalStateException(impossible);
        }
        return readResult(result);
    }

    /**
     * Reads one frame: its virtio-net header into {@code header} and the frame itself into
     * {@code frame} (the whole of both is offered), with one readv.
     *
     * @return the bytes read including the header, {@link #READ_AGAIN} or {@link #READ_ERROR}.
     */
    public int read(final MemorySegment header, final MemorySegment frame)
    {
        readIovecs.set(ValueLayout.ADDRESS, 0, header);
        readIovecs.set(ValueLayout.JAVA_LONG, 8, header.byteSize());
        readIovecs.set(ValueLayout.ADDRESS, LinuxLibc.IOVEC_LENGTH, frame);
        readIovecs.set(ValueLayout.JAVA_LONG, LinuxLibc.IOVEC_LENGTH + 8, frame.byteSize());
        final long result;
        try
        {
            result = (long)LinuxLibc.READV.invokeExact(readErrno, fd, readIovecs, 2);
        }
        catch (final Throwable impossible)
        {
            throw new IllegalStateException(impossible);
        }
        return readResult(result);
    }

    private int readResult(final long result)
    {
        if (result >= 0)
        {
            return (int)result;
        }
        lastReadErrno = LinuxLibc.errno(readErrno);
        return lastReadErrno == LinuxLibc.EAGAIN || lastReadErrno == LinuxLibc.EINTR ? READ_AGAIN : READ_ERROR;
    }

    /**
     * Writes one frame with a zeroed virtio-net header in front (writev of two iovecs, so the frame
     * is not copied); {@code frame} must be native memory.
     *
     * @return false when the kernel did not take it (queue full, device down); see {@link #lastWriteErrno()}.
     */
    public boolean write(final MemorySegment frame, final long offset, final int length)
    {
        iovecs.set(ValueLayout.ADDRESS, 0, ZERO_HEADER);
        return writeFrame(frame, offset, length);
    }

    /**
     * Writes one frame with the virtio-net header for {@code offload} (a partial checksum, a TCP
     * super-frame to be segmented by the receiving kernel); {@code frame} must be native memory.
     */
    public boolean write(final MemorySegment frame, final long offset, final int length, final long offload)
    {
        VirtioNetHeader.write(writeHeader, offload, frame, offset);
        iovecs.set(ValueLayout.ADDRESS, 0, writeHeader);
        return writeFrame(frame, offset, length);
    }

    private boolean writeFrame(final MemorySegment frame, final long offset, final int length)
    {
        iovecs.set(ValueLayout.JAVA_LONG, LinuxLibc.IOVEC_LENGTH, frame.address() + offset);
        iovecs.set(ValueLayout.JAVA_LONG, LinuxLibc.IOVEC_LENGTH + 8, length);
        final long result;
        try
        {
            result = (long)LinuxLibc.WRITEV.invokeExact(writeErrno, fd, iovecs, 2);
        }
        catch (final Throwable impossible)
        {
            throw new IllegalStateException(impossible);
        }
        if (result == VirtioNetHeader.LENGTH + length)
        {
            return true;
        }
        lastWriteErrno = result < 0 ? LinuxLibc.errno(writeErrno) : 0;
        return false;
    }

    public int lastReadErrno()
    {
        return lastReadErrno;
    }

    public int lastWriteErrno()
    {
        return lastWriteErrno;
    }

    /** Closes the fd, which removes the device; call once no thread reads or writes any more. */
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

    private static Throwable probe()
    {
        final UnsupportedOperationException platform = LinuxLibc.unsupportedPlatform();
        if (platform != null)
        {
            return new UnsupportedOperationException("TAP ports " + platform.getMessage());
        }
        if (!Files.exists(Path.of("/dev/net/tun")))
        {
            return new UnsupportedOperationException("/dev/net/tun does not exist (load the tun module: modprobe tun)");
        }
        try
        {
            if (!hasNetAdmin())
            {
                return new UnsupportedOperationException("creating TAP devices needs root or CAP_NET_ADMIN "
                    + "(run as root, e.g. sudo, or in a container with --cap-add NET_ADMIN --device /dev/net/tun)");
            }
            final Object linked = LinuxLibc.READ;
            return linked == null ? new UnsupportedOperationException("libc read not linked") : null;
        }
        catch (final IOException | RuntimeException | LinkageError cause)
        {
            return cause;
        }
    }

    /** Bit CAP_NET_ADMIN of the effective capability set in /proc/self/status. */
    private static boolean hasNetAdmin() throws IOException
    {
        for (final String line : Files.readAllLines(Path.of("/proc/self/status")))
        {
            if (line.startsWith("CapEff:"))
            {
                final long effective = Long.parseUnsignedLong(line.substring("CapEff:".length()).trim(), 16);
                return (effective & (1L << CAP_NET_ADMIN)) != 0;
            }
        }
        return false;
    }

    @Override
    public String toString()
    {
        return "TapDevice{" + name + ", fd=" + fd + "}";
    }
}
