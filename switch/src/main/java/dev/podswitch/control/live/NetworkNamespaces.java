package dev.podswitch.control.live;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * Runs Java code inside a named network namespace ({@code ip netns add} puts them under
 * /var/run/netns): a fresh platform thread joins the namespace with {@code setns(CLONE_NEWNET)}
 * — which Linux allows per thread — runs the task and ends, so no other thread changes namespace.
 * A socket keeps the namespace it was created in, so a task may return a listening or connected
 * socket that any thread then uses: the building block for in-namespace listeners and probes.
 *
 * <p>It also makes the namespaces podswitch owns ({@link #addOwned}) and tells them from anyone
 * else's ({@link #isOwned}): {@code podswitch down --all} deletes leftovers of crashed labs, and a
 * {@code psw…} name alone does not say who made a namespace.
 */
public final class NetworkNamespaces
{
    public static final String NETNS_DIR = "/var/run/netns/";
    /**
     * The alias ({@code ip link set … alias}) podswitch gives the loopback of every namespace it
     * makes and every link it makes: the mark travels with the namespace or link itself, so it
     * survives a crashed JVM and a lost state file, and nothing else has to be kept in sync.
     */
    public static final String OWNER_MARK = "podswitch-owned";
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;
    private static final int CLONE_NEWNET = 0x40000000;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle OPEN = bind("open",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle SETNS = bind("setns",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE = bind("close",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private NetworkNamespaces()
    {
    }

    private static MethodHandle bind(final String name, final FunctionDescriptor descriptor)
    {
        return LINKER.defaultLookup().find(name)
            .map(symbol -> LINKER.downcallHandle(symbol, descriptor, Linker.Option.captureCallState("errno")))
            .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    }

    /**
     * Creates the network namespace {@code name} ({@code ip netns add}) with podswitch's mark on
     * its loopback; if it cannot be marked, it is deleted again (an unmarked namespace would outlive
     * every {@code down --all}).
     */
    public static void addOwned(final String name)
    {
        IpCommand.ip("netns", "add", name);
        try
        {
            IpCommand.ip("-n", name, "link", "set", "dev", "lo", "alias", OWNER_MARK);
        }
        catch (final RuntimeException failed)
        {
            try
            {
                IpCommand.ip("netns", "delete", name);
            }
            catch (final RuntimeException alsoFailed)
            {
                failed.addSuppressed(alsoFailed);
            }
            throw failed;
        }
    }

    /** Whether namespace {@code name} exists and carries podswitch's mark ({@link #addOwned}). */
    public static boolean isOwned(final String name)
    {
        try
        {
            return isMarked(IpCommand.ip("-n", name, "-o", "link", "show", "dev", "lo"));
        }
        catch (final RuntimeException goneOrUnreadable)
        {
            return false;
        }
    }

    /** Whether a line of {@code ip -o link show} shows podswitch's mark on that link. */
    public static boolean isMarked(final String linkLine)
    {
        return linkLine.contains("alias " + OWNER_MARK);
    }

    /**
     * Runs {@code task} on a new thread inside namespace {@code namespace} and returns its result.
     *
     * @throws Exception what the task threw, or IllegalStateException when the namespace cannot be entered.
     */
    public static <T> T callIn(final String namespace, final Callable<T> task) throws Exception
    {
        return callInPath(NETNS_DIR + namespace, task);
    }

    /**
     * As {@link #callIn}, for a namespace given by path — what a container runtime passes a CNI
     * plugin ({@code /var/run/netns/NAME}, {@code /proc/PID/ns/net}, a bind mount anywhere).
     */
    public static <T> T callInPath(final String namespacePath, final Callable<T> task) throws Exception
    {
        final FutureTask<T> call = new FutureTask<>(() ->
        {
            enterOnThisThread(namespacePath);
            return task.call();
        });
        final String name = namespacePath.substring(namespacePath.lastIndexOf('/') + 1);
        Thread.ofPlatform().name("psw-netns-" + name).daemon(true).start(call);
        try
        {
            return call.get();
        }
        catch (final ExecutionException failed)
        {
            if (failed.getCause() instanceof final Exception cause)
            {
                throw cause;
            }
            throw failed;
        }
    }

    /** Moves the calling thread (only) into the namespace; for threads made for it, which end afterwards. */
    private static void enterOnThisThread(final String namespace)
    {
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment errno = call.allocate(CAPTURE);
            final int fd = (int)OPEN.invokeExact(errno, call.allocateFrom(namespace), O_RDONLY | O_CLOEXEC);
            if (fd < 0)
            {
                throw new IllegalStateException("open " + namespace + " failed: errno "
                    + (int)ERRNO.get(errno, 0L) + " (does the namespace exist? ip netns list)");
            }
            try
            {
                if ((int)SETNS.invokeExact(errno, fd, CLONE_NEWNET) != 0)
                {
                    throw new IllegalStateException("setns(" + namespace + ", CLONE_NEWNET) failed: errno "
                        + (int)ERRNO.get(errno, 0L) + " (needs root or CAP_SYS_ADMIN)");
                }
            }
            finally
            {
                final int ignored = (int)CLOSE.invokeExact(errno, fd);
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
