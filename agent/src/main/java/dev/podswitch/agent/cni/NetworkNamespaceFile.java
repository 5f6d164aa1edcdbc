package dev.podswitch.agent.cni;

import dev.podswitch.cni.CniVersions;
import dev.podswitch.dataplane.port.linux.LinuxLibc;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What ADD checks of CNI_NETNS before anything enters it: that it is a network namespace (a file
 * of the kernel's nsfs: {@code /proc/PID/ns/net}, or a bind mount of one as {@code ip netns}
 * makes) and not the agent's own or the host's. A plain existence check let a FIFO through, whose
 * open blocks the agent (the driver) forever, and {@code /proc/self/ns/net}, which built the pod's
 * TAP, address and default route in the host's namespace.
 *
 * <p>The path is only {@code stat}ed — which never blocks and never opens a device — until it is
 * known to be an nsfs file; only then is it opened (non-blocking), checked again through the open
 * descriptor (the path may have been swapped meanwhile) and asked its type with
 * {@code ioctl(NS_GET_NSTYPE)}, since {@code /proc/PID/ns/mnt} is an nsfs file too. Stateless.
 */
final class NetworkNamespaceFile
{
    /** {@code _IO(0xb7, 0x3)}, linux/nsfs.h (Linux 4.11). */
    private static final long NS_GET_NSTYPE = 0xb703L;
    private static final int CLONE_NEWNET = 0x40000000;
    private static final int O_RDONLY = 0;
    private static final int O_NOCTTY = 0x100;
    /** Namespaces ADD must never build a pod in: the agent's and init's (the host's, unless the agent runs in a container). */
    private static final List<String> REFUSED = List.of("/proc/self/ns/net", "/proc/1/ns/net");

    private NetworkNamespaceFile()
    {
    }

    /** @throws CniError code 3 when {@code path} does not exist, 4 when it is no network namespace or one ADD must not use. */
    static void require(final String path)
    {
        if (path.isEmpty() || path.indexOf('\0') >= 0 || !path.startsWith("/"))
        {
            throw refused(path, "is not an absolute path");
        }
        final Identity identity;
        try
        {
            identity = Identity.of(Path.of(path));
        }
        catch (final NoSuchFileException gone)
        {
            throw new CniError(CniVersions.UNKNOWN_CONTAINER, "network namespace does not exist", path);
        }
        catch (final IOException | RuntimeException unreadable)
        {
            throw refused(path, "cannot be examined: " + unreadable.getMessage());
        }
        final Identity own = ownNamespace();
        if (identity.device() != own.device())
        {
            throw refused(path, "is not a namespace file (not on nsfs; a runtime passes /proc/PID/ns/net or a bind "
                + "mount of it such as /var/run/netns/NAME)");
        }
        for (final String hostNamespace : REFUSED)
        {
            if (identity.equals(identityOrNull(hostNamespace)))
            {
                throw refused(path, "is the agent's own or the host's network namespace (" + hostNamespace + "); a pod "
                    + "interface there would put the pod's address and default route on the host");
            }
        }
        requireNetworkType(path, identity);
    }

    private static CniError refused(final String path, final String why)
    {
        return new CniError(CniVersions.INVALID_ENVIRONMENT, "CNI_NETNS is not a pod's network namespace",
            "'" + path + "' " + why);
    }

    /** The file's device and inode: for nsfs files, the namespace itself (two bind mounts of one namespace are equal). */
    private record Identity(long device, long inode)
    {
        static Identity of(final Path path) throws IOException
        {
            final Map<String, Object> attributes = Files.readAttributes(path, "unix:dev,ino");
            return new Identity((Long)attributes.get("dev"), (Long)attributes.get("ino"));
        }
    }

    private static Identity ownNamespace()
    {
        try
        {
            return Identity.of(Path.of(REFUSED.getFirst()));
        }
        catch (final IOException | RuntimeException noProc)
        {
            throw new CniError(CniVersions.INVALID_ENVIRONMENT, "cannot check CNI_NETNS",
                "the agent cannot stat its own " + REFUSED.getFirst() + ": " + noProc.getMessage());
        }
    }

    private static Identity identityOrNull(final String path)
    {
        try
        {
            return Identity.of(Path.of(path));
        }
        catch (final IOException | RuntimeException unreadable)
        {
            return null;
        }
    }

    /** Opens the (known nsfs) file and asks the kernel what kind of namespace it is. */
    private static void requireNetworkType(final String path, final Identity expected)
    {
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment errno = call.allocate(LinuxLibc.CAPTURE_LAYOUT);
            final int fd = (int)LinuxLibc.OPEN.invokeExact(errno, call.allocateFrom(path),
                O_RDONLY | O_NOCTTY | LinuxLibc.O_NONBLOCK | LinuxLibc.O_CLOEXEC);
            if (fd < 0)
            {
                throw refused(path, "cannot be opened: errno " + LinuxLibc.errno(errno));
            }
            try
            {
                if (!expected.equals(identityOrNull("/proc/self/fd/" + fd)))
                {
                    throw refused(path, "changed while it was being checked");
                }
                final int type = (int)LinuxLibc.IOCTL_VALUE.invokeExact(errno, fd, NS_GET_NSTYPE, 0L);
                if (type < 0)
                {
                    throw refused(path, "is not a namespace the kernel can name (NS_GET_NSTYPE: errno "
                        + LinuxLibc.errno(errno) + ")");
                }
                if (type != CLONE_NEWNET)
                {
                    throw refused(path, "is a namespace of another kind (type 0x" + Integer.toHexString(type)
                        + "), not a network namespace");
                }
            }
            finally
            {
                final int ignored = (int)LinuxLibc.CLOSE.invokeExact(errno, fd);
            }
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
}
