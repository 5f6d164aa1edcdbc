package dev.podswitch.dataplane.port.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * An epoll set of file descriptors a node reads from (its TAP devices, its tunnel socket): an
 * idle node thread waits on it instead of sleeping blind, so a frame arriving at any of them wakes
 * the thread at once — the difference between a ping answered in tens of microseconds and one
 * that waits out a park. The set's own fd is itself pollable, so a thread running several nodes
 * nests their sets in one of its own.
 *
 * <p>Threads: {@link #add}/{@link #remove} from any thread (the kernel allows changing a set
 * while another thread waits on it); {@link #await} from the one thread that owns the set.
 */
public final class ReadinessSet implements AutoCloseable
{
    private static final int EVENTS = 16;
    private final int fd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment waitErrno = arena.allocate(LinuxLibc.CAPTURE_LAYOUT);
    private final MemorySegment events = arena.allocate((long)EVENTS * LinuxLibc.EPOLL_EVENT_LENGTH, 8);
    private boolean closed;

    private ReadinessSet(final int fd)
    {
        this.fd = fd;
    }

    /** A new, empty set; null where epoll is not available (not Linux x86_64), so callers sleep instead. */
    public static ReadinessSet createOrNull()
    {
        if (!isAvailable())
        {
            return null;
        }
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment errno = call.allocate(LinuxLibc.CAPTURE_LAYOUT);
            final int fd = (int)LinuxLibc.EPOLL_CREATE1.invokeExact(errno, LinuxLibc.EPOLL_CLOEXEC);
            if (fd < 0)
            {
                throw new IllegalStateException("epoll_create1 failed: errno " + LinuxLibc.errno(errno));
            }
            return new ReadinessSet(fd);
        }
        catch (final RuntimeException | Error failed)
        {
            throw failed;
        }
        catch (final Throwable unexpected)
        {
            throw new IllegalStateException("epoll_create1", unexpected);
        }
    }

    private static boolean isAvailable()
    {
        return LinuxLibc.unsupportedPlatform() == null;
    }

    public int fd()
    {
        return fd;
    }

    /** Watches {@code watched} for readability; false when the kernel refused (fd closed, already in). */
    public synchronized boolean add(final int watched)
    {
        return control(LinuxLibc.EPOLL_CTL_ADD, watched);
    }

    public synchronized boolean remove(final int watched)
    {
        return control(LinuxLibc.EPOLL_CTL_DEL, watched);
    }

    private boolean control(final int operation, final int watched)
    {
        if (closed)
        {
            return false;
        }
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment errno = call.allocate(LinuxLibc.CAPTURE_LAYOUT);
            final MemorySegment event = call.allocate(LinuxLibc.EPOLL_EVENT_LENGTH, 8);
            event.set(ValueLayout.JAVA_INT, 0, LinuxLibc.EPOLLIN);
            event.set(ValueLayout.JAVA_INT_UNALIGNED, 4, watched);
            return (int)LinuxLibc.EPOLL_CTL.invokeExact(errno, fd, operation, watched, event) == 0;
        }
        catch (final Throwable impossible)
        {
            throw new IllegalStateException(impossible);
        }
    }

    /**
     * Waits until a watched fd is readable or {@code timeoutMs} passed (0: just look).
     *
     * @return how many fds are ready (0 on timeout or interruption by a signal).
     */
    public int await(final int timeoutMs)
    {
        try
        {
            final int ready = (int)LinuxLibc.EPOLL_WAIT.invokeExact(waitErrno, fd, events, EVENTS, timeoutMs);
            return Math.max(ready, 0);
        }
        catch (final Throwable impossible)
        {
            throw new IllegalStateException(impossible);
        }
    }

    /**
     * Waits on one readiness fd (a set's, possibly nesting others) for the thread that owns it: its
     * own event buffer, so waiting allocates nothing.
     */
    public static final class Waiter
    {
        private final int fd;
        private final MemorySegment errno = Arena.ofAuto().allocate(LinuxLibc.CAPTURE_LAYOUT);
        private final MemorySegment ready = Arena.ofAuto().allocate((long)EVENTS * LinuxLibc.EPOLL_EVENT_LENGTH, 8);

        public Waiter(final int fd)
        {
            this.fd = fd;
        }

        /** @return how many fds are ready (0 on timeout, signal, or a set closed meanwhile). */
        public int await(final int timeoutMs)
        {
            try
            {
                final int count = (int)LinuxLibc.EPOLL_WAIT.invokeExact(errno, fd, ready, EVENTS, timeoutMs);
                if (count < 0)
                {
                    // The set is gone (lab shutting down) or a signal: sleep the timeout rather than spin.
                    java.util.concurrent.locks.LockSupport.parkNanos(timeoutMs * 1_000_000L);
                    return 0;
                }
                return count;
            }
            catch (final Throwable impossible)
            {
                throw new IllegalStateException(impossible);
            }
        }
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
